"""/api/v1/standards/, /policy-parameters/, /category-supplements/ and the schema of the
assistance API."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

from assistance.models import DibaoStandard
from assistance.policy import selectors as policy_data

from ..conftest import login
from ..factories import region

pytestmark = pytest.mark.django_db

STANDARDS = "/api/v1/standards/"
PARAMETERS = "/api/v1/policy-parameters/"
SUPPLEMENTS = "/api/v1/category-supplements/"


@pytest.fixture(autouse=True)
def _english(api, settings):  # type: ignore[no-untyped-def]
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def post(api, path, data):  # type: ignore[no-untyped-def]
    return api.post(path, data=json.dumps(data), content_type="application/json")


def patch(api, path, data):  # type: ignore[no-untyped-def]
    return api.patch(path, data=json.dumps(data), content_type="application/json")


def rows(response) -> list[dict]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json()
    return response.json()["results"]


@pytest.fixture
def pengjiang():  # type: ignore[no-untyped-def]
    return region("440703")


@pytest.fixture
def current(pengjiang) -> DibaoStandard:  # type: ignore[no-untyped-def]
    """The seeded open-ended 2023 standard of 蓬江区 (914 urban and rural)."""
    return DibaoStandard.objects.get(county=pengjiang, valid_to__isnull=True)


def new_standard(county, **kw) -> dict:  # type: ignore[no-untyped-def]
    return {
        "county": county.pk,
        "valid_from": "2027-01-01",
        "urban": "960.00",
        "rural": "960.00",
        "source_document": "江府办〔2027〕1号",
        **kw,
    }


# --- reading --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["cw_baisha", "ca_pengjiang", "cw_taicheng", "data_admin"])
def test_standards_are_readable_with_the_view_permission(api, request, persona, pengjiang):  # type: ignore[no-untyped-def]
    login(api, request.getfixturevalue(persona))
    found = rows(api.get(STANDARDS, {"county": pengjiang.pk, "on": "2026-11-28"}))
    assert [(r["urban"], r["valid_from"], r["valid_to"]) for r in found] == [
        ("914.00", "2023-01-01", None)
    ]
    assert found[0]["county_code"] == "440703" and found[0]["county_name"] == "蓬江区"
    detail = api.get(f"{STANDARDS}{found[0]['id']}/")
    assert detail.status_code == 200 and detail.json()["urban"] == "914.00"


def test_standards_filters(api, cw_baisha, pengjiang):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    # 2016 was interpolated between the 2015 and 2020 figures.
    (row,) = rows(api.get(STANDARDS, {"county": pengjiang.pk, "on": "2016-06-30"}))
    assert row["interpolated"] is True and row["valid_from"] == "2016-01-01"
    on_day = rows(api.get(STANDARDS, {"on": "2026-11-28"}))
    assert len(on_day) == 7  # one per county-level unit
    assert len({r["county"] for r in on_day}) == 7
    assert len(rows(api.get(STANDARDS, {"county": pengjiang.pk}))) > 1
    assert rows(api.get(STANDARDS, {"on": "2001-01-01"})) == []
    assert api.get(STANDARDS, {"on": "soon"}).status_code == 400


def test_policy_parameters_and_supplements_are_read_only(api, cw_baisha):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    (notice,) = rows(api.get(PARAMETERS, {"key": "notice_days", "on": "2026-11-28"}))
    assert Decimal(notice["value"]) == 7
    assert rows(api.get(PARAMETERS, {"on": "2001-01-01"})) == []
    assert api.get(f"{PARAMETERS}{notice['id']}/").json()["key"] == "notice_days"
    supplements = rows(api.get(SUPPLEMENTS, {"on": "2026-11-28"}))
    assert {r["category"]: Decimal(r["percent"]) for r in supplements}["aged_70"] == 20
    (minor,) = rows(api.get(SUPPLEMENTS, {"category": "minor"}))
    assert Decimal(minor["percent"]) == 20
    assert api.get(SUPPLEMENTS, {"category": "nope"}).status_code == 400


def test_policy_parameters_and_supplements_cannot_be_written(api, data_admin):  # type: ignore[no-untyped-def]
    login(api, data_admin)  # the data administrator changes them in the admin, not here
    first = rows(api.get(PARAMETERS))[0]["id"]
    for path in (PARAMETERS, SUPPLEMENTS):
        assert post(api, path, {}).status_code == 405
    assert patch(api, f"{PARAMETERS}{first}/", {"value": "1"}).status_code == 405


@pytest.mark.parametrize("path", [STANDARDS, PARAMETERS, SUPPLEMENTS])
def test_roles_without_the_view_permission_get_403(api, va_baisha, path):  # type: ignore[no-untyped-def]
    assert login(api, va_baisha).get(path).status_code == 403


@pytest.mark.parametrize("path", [STANDARDS, PARAMETERS, SUPPLEMENTS])
def test_anonymous_is_401(api, path):  # type: ignore[no-untyped-def]
    assert api.get(path).status_code == 401


# --- writing --------------------------------------------------------------------------------


def test_data_admin_closes_the_current_standard_and_adds_the_next(
    api, data_admin, current, pengjiang
):  # type: ignore[no-untyped-def]
    login(api, data_admin)
    r = patch(api, f"{STANDARDS}{current.pk}/", {"valid_to": "2026-12-31"})
    assert r.status_code == 200, r.json()
    assert r.json()["valid_to"] == "2026-12-31" and r.json()["updated_by"] == data_admin.pk
    r = post(api, STANDARDS, new_standard(pengjiang))
    assert r.status_code == 201, r.json()
    created = DibaoStandard.objects.get(pk=r.json()["id"])
    assert created.updated_by == data_admin and created.valid_to is None
    assert policy_data.standard_on(pengjiang, dt.date(2027, 3, 1)) == created
    assert policy_data.standard_on(pengjiang, dt.date(2026, 12, 31)) == current


@pytest.mark.parametrize("persona", ["cw_baisha", "ca_pengjiang", "va_baisha"])
def test_others_cannot_write_standards(api, request, persona, current, pengjiang):  # type: ignore[no-untyped-def]
    before = DibaoStandard.objects.count()
    login(api, request.getfixturevalue(persona))
    assert post(api, STANDARDS, new_standard(pengjiang)).status_code == 403
    assert patch(api, f"{STANDARDS}{current.pk}/", {"valid_to": "2026-12-31"}).status_code == 403
    assert DibaoStandard.objects.count() == before
    current.refresh_from_db()
    assert current.valid_to is None


def test_overlapping_standard_is_400(api, data_admin, current, pengjiang):  # type: ignore[no-untyped-def]
    login(api, data_admin)
    before = DibaoStandard.objects.count()
    # The 2023 standard is open-ended: a 2027 one would overlap it.
    r = post(api, STANDARDS, new_standard(pengjiang))
    assert r.status_code == 400
    (message,) = r.json()["non_field_errors"]
    assert "overlaps" in message and "2023-01-01" in message and "open-ended" in message
    # A period inside a closed one, and the same start as an existing one.
    for payload in (
        new_standard(pengjiang, valid_from="2019-03-01", valid_to="2019-06-30"),
        new_standard(pengjiang, valid_from="2023-01-01"),
        new_standard(pengjiang, valid_from="2014-06-01", valid_to="2015-01-01"),
    ):
        r = post(api, STANDARDS, payload)
        assert r.status_code == 400 and set(r.json()) == {"non_field_errors"}, payload
    # Extending a closed period into the next one overlaps too.
    y2019 = DibaoStandard.objects.get(county=pengjiang, valid_from=dt.date(2019, 1, 1))
    r = patch(api, f"{STANDARDS}{y2019.pk}/", {"valid_to": "2020-01-31"})
    assert r.status_code == 400 and "2020-01-01" in r.json()["non_field_errors"][0]
    y2019.refresh_from_db()
    assert y2019.valid_to == dt.date(2019, 12, 31)
    assert DibaoStandard.objects.count() == before
    # Before the first standard, the period is free; another county is independent.
    assert post(api, STANDARDS, new_standard(pengjiang, valid_from="2014-01-01",
                                             valid_to="2014-12-31")).status_code == 201  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"valid_from": "2014-06-01", "valid_to": "2014-01-01"}, "valid_to"),
        ({"urban": "-1"}, "urban"),
        ({"rural": "abc"}, "rural"),
        ({"county": "township"}, "county"),
        ({"county": 10**9}, "county"),
        ({"valid_from": None}, "valid_from"),
    ],
)
def test_bad_standard_is_400_with_field_errors(api, data_admin, pengjiang, changes, field):  # type: ignore[no-untyped-def]
    if changes.get("county") == "township":
        changes = {**changes, "county": region("440703002").pk}
    before = DibaoStandard.objects.count()
    payload = new_standard(pengjiang, valid_from="2014-01-01", **{"valid_to": "2014-12-31"})
    payload.update(changes)
    r = post(login(api, data_admin), STANDARDS, payload)
    assert r.status_code == 400
    assert set(r.json()) == {field}, r.json()
    assert DibaoStandard.objects.count() == before


def test_missing_standard_is_404(api, data_admin):  # type: ignore[no-untyped-def]
    login(api, data_admin)
    assert api.get(f"{STANDARDS}999999/").status_code == 404
    assert patch(api, f"{STANDARDS}999999/", {"note": "x"}).status_code == 404


# --- schema ---------------------------------------------------------------------------------

ASSISTANCE_PATHS = {
    "/api/v1/dibao-cases/": {"get", "post"},
    "/api/v1/dibao-cases/{id}/": {"get"},
    "/api/v1/dibao-cases/{id}/computation/": {"get"},
    **{
        f"/api/v1/dibao-cases/{{id}}/{action}/": {"post"}
        for action in (
            "sign",
            "apply",
            "accept",
            "extend",
            "start-investigation",
            "declarations",
            "investigation",
            "attachments",
            "propose",
            "start-notice",
            "object",
            "confirm",
            "refuse",
            "withdraw",
            "review-open",
            "review-close",
            "suspend",
            "resume",
            "terminate",
        )
    },
    "/api/v1/standards/": {"get", "post"},
    "/api/v1/standards/{id}/": {"get", "patch"},
    "/api/v1/policy-parameters/": {"get"},
    "/api/v1/policy-parameters/{id}/": {"get"},
    "/api/v1/category-supplements/": {"get"},
    "/api/v1/category-supplements/{id}/": {"get"},
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}

# What settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] needs once several assistance
# models have a `status` (drf-spectacular warns about the name collision otherwise).
ENUM_NAME_OVERRIDES = {
    "DibaoCaseStatusEnum": "assistance.models.DibaoCase.Status",
    "ProgrammeCaseStatusEnum": "assistance.models.ProgrammeCase.Status",
    "PayrollStatusEnum": "assistance.models.Payroll.Status",
    "OutreachReportStatusEnum": "assistance.models.OutreachReport.Status",
}


def test_schema_lists_every_assistance_endpoint(api, cw_baisha):  # type: ignore[no-untyped-def]
    schema = json.loads(login(api, cw_baisha).get("/api/schema/", {"format": "json"}).content)
    found = {p: {m for m in item if m in HTTP_METHODS} for p, item in schema["paths"].items()}
    for path, methods in ASSISTANCE_PATHS.items():
        assert found.get(path) == methods, path
    attach = schema["paths"]["/api/v1/dibao-cases/{id}/attachments/"]["post"]
    assert "multipart/form-data" in attach["requestBody"]["content"]
    confirm = schema["paths"]["/api/v1/dibao-cases/{id}/confirm/"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(confirm["responses"])


@pytest.fixture
def enum_overrides(monkeypatch):  # type: ignore[no-untyped-def]
    from drf_spectacular import plumbing
    from drf_spectacular.settings import spectacular_settings

    merged = {**ENUM_NAME_OVERRIDES, **spectacular_settings.ENUM_NAME_OVERRIDES}
    monkeypatch.setattr(spectacular_settings, "ENUM_NAME_OVERRIDES", merged)
    plumbing._load_enum_name_overrides.cache_clear()
    yield
    plumbing._load_enum_name_overrides.cache_clear()


def test_schema_generates_without_warnings_and_validates(tmp_path, enum_overrides):  # type: ignore[no-untyped-def]
    GENERATOR_STATS.reset()
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/dibao-cases/{id}/review-close/" in text
    assert "/api/v1/standards/{id}/" in text
