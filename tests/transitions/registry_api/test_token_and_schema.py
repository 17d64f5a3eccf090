"""The token endpoint (client credentials only, registry clients only), the OpenAPI schema,
and the admin (city level only)."""

import base64
import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from oauth2_provider.models import Application

from transitions.models import RegistryCall, RegistryClient

from ...conftest import login
from .conftest import make_client, search

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/dci/v1/oauth2/token/"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_client_credentials_token_then_search(api, hrss, household_a):
    app = hrss.application
    r = api.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app.client_id, "s3cret-人社局系统"),
    )
    assert r.status_code == 200, r.content
    token = r.json()["access_token"]
    assert r.json()["expires_in"] == 3600
    assert search(api, token).json()["pagination"]["total_count"] == 3
    # The wrong secret, another grant, an expired client: no token.
    r = api.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app.client_id, "wrong"),
    )
    assert r.status_code == 401
    r = api.post(
        TOKEN_URL,
        {"grant_type": "password", "username": "x", "password": "y"},
        HTTP_AUTHORIZATION=basic(app.client_id, "s3cret-人社局系统"),
    )
    assert r.status_code in (400, 401) and "access_token" not in r.json()
    RegistryClient.objects.filter(pk=hrss.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    r = api.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app.client_id, "s3cret-人社局系统"),
    )
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client"
    assert "expired" in r.json()["error_description"]
    calls = list(RegistryCall.objects.filter(endpoint="token").order_by("id"))
    assert [(c.status_code, c.error_code) for c in calls] == [
        (200, ""),
        (401, "invalid_client"),
        (400, "unsupported_grant_type"),  # never reaches a password check
        (400, "client_expired"),
    ], [(c.status_code, c.error_code) for c in calls]
    assert all(c.client == hrss for c in calls) and "s3cret" not in str(calls[0].request_summary)


def test_foreign_application_gets_no_token(api, db):
    Application.objects.create(
        name="其他",
        client_id="other",
        client_secret="pw",
        client_type="confidential",
        authorization_grant_type="client-credentials",
    )
    r = api.post(
        TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic("other", "pw")
    )
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client"
    assert RegistryCall.objects.get(endpoint="token").error_code == "foreign_client"


def test_schema_has_the_endpoints_with_examples(api, data_admin, tmp_path):
    schema = login(api, data_admin).get("/api/schema/", {"format": "json"}).json()
    for endpoint in ("sync/search/", "subscribe/", "unsubscribe/", "txn/status/"):
        op = schema["paths"][f"/api/dci/v1/registry/{endpoint}"]["post"]
        assert op["tags"] == ["DCI social registry"]
        assert op["requestBody"]["content"]["application/json"]["examples"], endpoint
    search_op = schema["paths"]["/api/dci/v1/registry/sync/search/"]["post"]
    assert set(search_op["responses"]) >= {"200", "400", "401", "403"}
    assert search_op["responses"]["200"]["content"]["application/json"]["examples"]
    GENERATOR_STATS.reset()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))


def test_admin_city_level_only(client, data_admin, ca_pengjiang, hrss):
    from django.contrib.auth.models import Permission

    login(client, data_admin)
    assert client.get("/admin/transitions/registryclient/").status_code == 200
    r = client.get(f"/admin/transitions/registryclient/{hrss.pk}/change/")
    assert r.status_code == 200 and "人社局系统" in r.content.decode()
    # A district reviewer, even with the permission, sees none.
    ca_pengjiang.is_staff = True
    ca_pengjiang.save()
    ca_pengjiang.user_permissions.add(Permission.objects.get(codename="view_registryclient"))
    login(client, ca_pengjiang)
    assert client.get("/admin/transitions/registryclient/").status_code in (302, 403)
    from django.contrib.admin.sites import site

    from transitions.models import RegistryClient as Model

    request = type("R", (), {"user": ca_pengjiang})()
    assert not site._registry[Model].get_queryset(request).exists()
    assert not site._registry[Model].has_view_permission(request)


def test_admin_add_creates_the_oauth_application(client, data_admin, db):
    data_admin.is_staff = True
    data_admin.save()
    login(client, data_admin)
    from core.models import Region

    r = client.post(
        "/admin/transitions/registryclient/add/",
        {
            "name": "医保局系统",
            "purpose": "医疗救助",
            "legal_basis": "",
            "regions": [Region.objects.get(code="440705").pk],
            "allowed_fields": ["name", "id_number"],
            "expires_at_0": "2027-06-30",
            "expires_at_1": "23:59:00",
            "is_active": "on",
        },
        follow=True,
    )
    assert r.status_code == 200, r.content
    c = RegistryClient.objects.get(name="医保局系统")
    assert c.application.authorization_grant_type == "client-credentials"
    assert c.allowed_fields == ["name", "id_number"] and c.created_by == data_admin
    assert "shown once" in r.content.decode() or "仅显示一次" in r.content.decode()
    _ = make_client  # the fixture builder is the same shape
