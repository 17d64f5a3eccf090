"""API authentication (session and token), deny-by-default, and the OpenAPI schema and docs."""

import json

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.api_urls import router
from core.models import User
from households.models import Household

from ..conftest import login
from ..factories import UserFactory, unique_id_number

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "pw-Xianjie-1"  # tests.factories.UserFactory


def household_payload(village) -> dict:  # type: ignore[no-untyped-def]
    return {
        "village": village.pk,
        "address": "白沙路2号",
        "hukou_type": "urban",
        "members": [{"relation": "head", "name": "黄一", "id_number": unique_id_number()}],
    }


# --- token ----------------------------------------------------------------------------------


def test_obtain_a_token_and_use_it(api, cw_baisha, household_a, household_taicheng):  # type: ignore[no-untyped-def]
    response = api.post(TOKEN_URL, {"username": "cw_baisha", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(key=key).user == cw_baisha
    # The same token on a second request for it.
    again = api.post(TOKEN_URL, {"username": "cw_baisha", "password": PASSWORD}, format="json")
    assert again.json()["token"] == key

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    listed = client.get("/api/v1/households/")
    assert listed.status_code == 200
    assert {r["id"] for r in listed.json()["results"]} == {household_a.pk}  # scope applies
    assert client.get(f"/api/v1/households/{household_taicheng.pk}/").status_code == 404


def test_token_writes_need_no_csrf_token(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=cw_baisha).key}")
    response = client.post("/api/v1/households/", household_payload(village_a), format="json")
    assert response.status_code == 201, response.json()


def test_session_writes_need_the_csrf_token(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    client = APIClient(enforce_csrf_checks=True)
    # django-axes needs the request that a log-in comes with.
    assert client.login(request=HttpRequest(), username="cw_baisha", password=PASSWORD)
    assert client.get("/api/v1/households/").status_code == 200  # session auth works for reads
    response = client.post("/api/v1/households/", household_payload(village_a), format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Household.objects.exists()


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "cw_baisha", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "cw_baisha"},
    ],
)
def test_no_token_without_the_right_password(api, cw_baisha, credentials):  # type: ignore[no-untyped-def]
    response = api.post(TOKEN_URL, credentials, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert not Token.objects.exists()


def test_inactive_user_gets_no_token_and_old_tokens_stop_working(api, cw_baisha):  # type: ignore[no-untyped-def]
    key = Token.objects.create(user=cw_baisha).key
    User.objects.filter(pk=cw_baisha.pk).update(is_active=False)
    assert api.post(TOKEN_URL, {"username": "cw_baisha", "password": PASSWORD}).status_code == 400
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/households/").status_code == 401


# --- unauthenticated / unauthorised ---------------------------------------------------------


@pytest.fixture
def every_endpoint(household_a):  # type: ignore[no-untyped-def]
    """(method, schema path, URL) of every /api/v1/ operation but the token ones."""
    person = household_a.memberships.first().person_id
    h = household_a.pk
    return [
        ("get", "/api/v1/regions/", "/api/v1/regions/"),
        ("get", "/api/v1/regions/{id}/", f"/api/v1/regions/{household_a.village_id}/"),
        ("get", "/api/v1/households/", "/api/v1/households/"),
        ("post", "/api/v1/households/", "/api/v1/households/"),
        ("get", "/api/v1/households/{id}/", f"/api/v1/households/{h}/"),
        ("patch", "/api/v1/households/{id}/", f"/api/v1/households/{h}/"),
        (
            "post",
            "/api/v1/households/{id}/remove-member/",
            f"/api/v1/households/{h}/remove-member/",
        ),
        ("get", "/api/v1/persons/", "/api/v1/persons/"),
        ("post", "/api/v1/persons/", "/api/v1/persons/"),
        ("get", "/api/v1/persons/{id}/", f"/api/v1/persons/{person}/"),
        ("patch", "/api/v1/persons/{id}/", f"/api/v1/persons/{person}/"),
    ]


def test_every_endpoint_is_covered(every_endpoint):  # type: ignore[no-untyped-def]
    """Guard: EXPECTED is checked against the schema below; every operation in it but the token
    ones (tests/core/test_security.py) must be in `every_endpoint`, and so in the access tests."""
    expected = {(m, path) for path, methods in EXPECTED.items() for m in methods}
    token_ops = {("post", TOKEN_URL), ("post", f"{TOKEN_URL}revoke/")}
    assert {(m, path) for m, path, _url in every_endpoint} == expected - token_ops


def test_unauthenticated_is_401(api, every_endpoint):  # type: ignore[no-untyped-def]
    for method, _path, url in every_endpoint:
        response = getattr(api, method)(url, {}, format="json")
        assert response.status_code == 401, (method, url)
        assert response["WWW-Authenticate"] == "Token", (method, url)
        assert set(response.json()) == {"detail"}, (method, url)


def test_bad_token_is_401(api, every_endpoint):  # type: ignore[no-untyped-def]
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    for method, _path, url in every_endpoint:
        assert getattr(api, method)(url, {}, format="json").status_code == 401, (method, url)


def test_user_without_a_role_is_denied_everything(api, every_endpoint, baisha):  # type: ignore[no-untyped-def]
    login(api, UserFactory(username="norole", role="", region=baisha))
    for method, _path, url in every_endpoint:
        response = getattr(api, method)(url, {}, format="json")
        assert response.status_code == 403, (method, url)


# --- schema and docs ------------------------------------------------------------------------

EXPECTED = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/auth/token/revoke/": {"post"},
    "/api/v1/regions/": {"get"},
    "/api/v1/regions/{id}/": {"get"},
    "/api/v1/households/": {"get", "post"},
    "/api/v1/households/{id}/": {"get", "patch"},
    "/api/v1/households/{id}/remove-member/": {"post"},
    "/api/v1/persons/": {"get", "post"},
    "/api/v1/persons/{id}/": {"get", "patch"},
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def test_schema_lists_every_endpoint(api, cw_baisha):  # type: ignore[no-untyped-def]
    response = login(api, cw_baisha).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    found = {path: {m for m in item if m in HTTP_METHODS} for path, item in schema["paths"].items()}
    # This module owns the register's endpoints; each app's API tests check their own paths.
    own = {
        p: m
        for p, m in found.items()
        if p.split("/")[3] in {"auth", "regions", "households", "persons"}
    }
    assert own == EXPECTED
    for prefix, _viewset, _basename in router.registry:
        assert f"/api/v1/{prefix}/" in found
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    # Full ID numbers are write-only: no response schema carries them.
    for name, component in schema["components"]["schemas"].items():
        if not name.endswith("Request"):
            assert "id_number" not in component.get("properties", {}), name


def test_schema_generates_without_warnings_and_validates(tmp_path):  # type: ignore[no-untyped-def]
    GENERATOR_STATS.reset()
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/households/{id}/remove-member/" in out.read_text()


def test_docs_load_for_a_logged_in_user(api, cw_baisha):  # type: ignore[no-untyped-def]
    response = login(api, cw_baisha).get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    # The init script is served apart (the CSP allows no inline script): it loads the schema.
    script = api.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert b"/api/schema/" in script.content


def test_schema_is_not_public(api):  # type: ignore[no-untyped-def]
    assert api.get("/api/schema/").status_code in (401, 403)


def test_api_root_lists_the_endpoints_to_signed_in_users_only(api, cw_baisha):  # type: ignore[no-untyped-def]
    assert api.get("/api/v1/").status_code == 401
    response = login(api, cw_baisha).get("/api/v1/")
    assert response.status_code == 200
    assert set(response.json()) == {"regions", "households", "persons"}
