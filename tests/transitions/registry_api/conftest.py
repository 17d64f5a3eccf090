"""Registry clients with tokens, at a fixed moment (the clients' expiry and the as-of dates are
relative to it)."""

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, set_token_value

from transitions.models import RegistryClient

from ...factories import region

NOW = dt.datetime(2026, 12, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
URL = "/api/dci/v1/registry/"


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


def make_client(
    *,
    name: str = "人社局系统",
    regions: tuple[str, ...] = ("440703",),
    fields: tuple[str, ...] = ("name", "household_id", "region_code", "dibao_status"),
    expires_at: dt.datetime | None = None,
) -> RegistryClient:
    app = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret="s3cret-" + name,
        hash_client_secret=True,
    )
    client = RegistryClient.objects.create(
        application=app,
        name=name,
        purpose="社会保险参保核对",
        allowed_fields=list(fields),
        expires_at=expires_at or timezone.now() + dt.timedelta(days=180),
    )
    client.regions.set([region(c) for c in regions])
    return client


def token_for(application: Application, *, seconds: int = 3600) -> str:
    raw = secrets.token_urlsafe(24)
    token = AccessToken(
        application=application,
        expires=timezone.now() + dt.timedelta(seconds=seconds),
        scope="registry",
    )
    set_token_value(token, raw)
    token.save()
    return raw


@pytest.fixture
def hrss(db):  # type: ignore[no-untyped-def]
    return make_client()


def call(api, raw_token: str, endpoint: str, body: dict):  # type: ignore[no-untyped-def]
    return api.post(URL + endpoint, body, format="json", HTTP_AUTHORIZATION=f"Bearer {raw_token}")


def search(api, raw_token: str, **criteria):  # type: ignore[no-untyped-def]
    criteria.setdefault("query_type", "expression")
    criteria.setdefault("query", {"expression": []})
    return call(api, raw_token, "sync/search/", {"reference_id": "t", "search_criteria": criteria})
