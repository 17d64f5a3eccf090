"""Starting, running and exporting a what-if; the page and the API; who may see it."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assistance.models import DibaoStandard
from core.models import Job
from core.roles import Role
from households.models import Household
from transitions.models import WhatIfDistrict, WhatIfScenario
from transitions.supervision.whatif import services

from ...conftest import login
from ...factories import UserFactory, region
from ..conftest import on_day
from .conftest import case

TODAY = dt.date(2027, 1, 15)
URL = "/api/v1/what-if/"
RAISE = {"440781": {"urban": "900", "rural": "650"}}


@pytest.fixture
def register(village_a, village_taicheng, cw_baisha, cpi_high):  # type: ignore[no-untyped-def]
    rural = Household.Hukou.RURAL
    return [
        case(
            village_taicheng, by=cw_baisha, hukou=rural, members=[{"age": 40}], wages=[(0, "600")]
        ),
        case(village_taicheng, by=cw_baisha, hukou=rural, members=[{"age": 75}, {"age": 10}]),
        case(village_a, by=cw_baisha, members=[{"age": 40}], wages=[(0, "100")], status="applied"),
    ]


@pytest.fixture
def admin_taishan(db):  # type: ignore[no-untyped-def]
    """A district data administrator of 台山市."""
    return UserFactory(username="da_taishan", role=Role.DATA_ADMIN, region=region("440781"))


def start(by, **kw):  # type: ignore[no-untyped-def]
    args = {"title": "2027 raise", "effective_month": "2027-03", "standards": RAISE} | kw
    with on_day(TODAY):
        return services.whatif_start(**args, by=by)


def run(scenario: WhatIfScenario) -> WhatIfScenario:
    services.whatif_run(job_id=scenario.job_id)
    scenario.refresh_from_db()
    return scenario


def test_a_scenario_is_simulated_per_district_and_exported(  # type: ignore[no-untyped-def]
    register, data_admin, django_capture_on_commit_callbacks
):
    standards_before = list(DibaoStandard.objects.values_list("urban", "rural").order_by("pk"))
    with django_capture_on_commit_callbacks() as callbacks:
        scenario = start(data_admin)
    assert len(callbacks) == 1 and scenario.status == "queued"
    assert scenario.baseline["standards"]["440781"] == {"urban": "857.00", "rural": "600.00"}
    scenario = run(scenario)
    assert scenario.status == "done" and scenario.job.status == Job.Status.DONE
    taishan = WhatIfDistrict.objects.get(scenario=scenario, county__code="440781")
    # 600 at the standard: ineligible now; 650 − 600 = 50 (+ 10 % of 650 price subsidy = 65)
    # → 115. Zero income, aged 75 and a minor: 2 × 600 + 2 × 120 + 120 = 1560 → 2 × 650 +
    # 2 × 130 + 130 = 1690.
    assert (taishan.households, taishan.active, taishan.pending) == (2, 2, 0)
    assert (taishan.changed, taishan.became_eligible, taishan.became_ineligible) == (2, 1, 0)
    assert taishan.current_monthly == Decimal("1560")
    assert taishan.proposed_monthly == Decimal("1805")
    assert taishan.monthly_difference == Decimal("245")
    assert taishan.yearly_difference == Decimal("2940")
    pengjiang = WhatIfDistrict.objects.get(scenario=scenario, county__code="440703")
    assert (pengjiang.households, pengjiang.pending, pengjiang.changed) == (1, 1, 0)
    assert WhatIfDistrict.objects.filter(scenario=scenario).count() == 7  # every district
    assert list(DibaoStandard.objects.values_list("urban", "rural").order_by("pk")) == (
        standards_before
    )
    assert list(scenario.transitions.order_by("id").values_list("to_status", flat=True)) == [
        "queued",
        "running",
        "done",
    ]
    body, _content_type, name = services.whatif_export(scenario, "csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "District" and len(rows) == 1 + 7 + 1
    assert rows[-1][0] == "Total" and Decimal(rows[-1][9]) == Decimal("245")
    assert name.endswith(".csv")
    # Run twice (a redelivered message): nothing happens.
    assert services.whatif_run(job_id=scenario.job_id) is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"effective_month": "2026-12"}, "effective_month"),
        ({"effective_month": "März"}, "effective_month"),
        ({"title": " "}, "title"),
        ({"standards": {"440781": {"urban": "-1"}}}, "standards.440781.urban"),
        ({"standards": {"440781": {"rural": "abc"}}}, "standards.440781.rural"),
        ({"standards": {"440781": {"rural": "600.123"}}}, "standards.440781.rural"),
        ({"standards": {"999999": {"rural": "600"}}}, "standards.999999"),
        ({"supplements": {"aged_70": "120"}}, "supplements.aged_70"),
        ({"supplements": {"pets": "10"}}, "supplements.pets"),
        ({"price_trigger_pct": "x"}, "price_trigger_pct"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_written(kwargs, field, data_admin):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as e:
        start(data_admin, **kwargs)
    assert field in e.value.message_dict
    assert not WhatIfScenario.objects.exists() and not Job.objects.exists()


def test_a_proposal_that_changes_nothing_is_refused(data_admin):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as e:
        start(data_admin, standards={"440781": {"urban": "857.00"}})
    assert e.value.code == "no_change"


def test_only_data_administrators_and_a_district_admin_only_for_the_district(  # type: ignore[no-untyped-def]
    register, data_admin, admin_taishan, ca_pengjiang
):
    with pytest.raises(PermissionDenied):
        start(ca_pengjiang)
    with pytest.raises(ValidationError) as e:
        start(admin_taishan, standards={"440703": {"urban": "999"}})
    assert "standards.440703" in e.value.message_dict
    mine = run(start(admin_taishan))
    assert list(mine.districts.values_list("county__code", flat=True)) == ["440781"]
    city = start(data_admin)
    from transitions.supervision.whatif.selectors import whatif_list

    assert list(whatif_list(user=admin_taishan)) == [mine]
    assert set(whatif_list(user=data_admin)) == {mine, city}


def test_the_page_proposes_shows_and_exports(client, register, data_admin):  # type: ignore[no-untyped-def]
    login(client, data_admin)
    url = reverse("transitions:whatif_list")
    with on_day(TODAY):
        r = client.get(url)
        assert r.status_code == 200 and "standards.440781.urban" in r.content.decode()
        r = client.post(
            url, {"title": "x", "effective_month": "2027-03", "standards.440781.rural": "-5"}
        )
        assert r.status_code == 200
        assert r.context["form"].errors["standards.440781.rural"]
        r = client.post(
            url,
            {"title": "raise", "effective_month": "2027-03", "standards.440781.rural": "650"},
        )
    scenario = WhatIfScenario.objects.get()
    assert r.status_code == 302 and r.url == reverse(
        "transitions:whatif_detail", args=[scenario.pk]
    )
    run(scenario)
    r = client.get(r.url)
    assert r.status_code == 200 and len(r.context["districts"]) == 7
    r = client.get(reverse("transitions:whatif_export", args=[scenario.pk, "xlsx"]))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")


def test_an_outsider_sees_and_changes_nothing(  # type: ignore[no-untyped-def]
    client, api, register, data_admin, admin_taishan, ca_taishan
):
    scenario = run(start(data_admin))
    detail = reverse("transitions:whatif_detail", args=[scenario.pk])
    export = reverse("transitions:whatif_export", args=[scenario.pk, "csv"])
    login(client, ca_taishan)  # the civil-affairs reviewer of 台山市: not a data administrator
    assert client.get(reverse("transitions:whatif_list")).status_code == 403
    assert client.get(detail).status_code == 403
    assert client.get(export).status_code == 403
    login(api, ca_taishan)
    assert api.get(URL).status_code == 403
    assert api.post(URL, {"title": "x"}, format="json").status_code == 403
    login(client, admin_taishan)  # 台山市's data administrator: not the city's scenario
    assert client.get(detail).status_code == 404
    assert client.get(export).status_code == 404
    login(api, admin_taishan)
    assert api.get(URL).json()["results"] == []
    assert api.get(f"{URL}{scenario.pk}/").status_code == 404
    assert WhatIfScenario.objects.count() == 1


def test_the_api_starts_and_shows_a_scenario(
    api, register, data_admin, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    login(api, data_admin)
    with on_day(TODAY):
        r = api.post(
            URL,
            {"title": "t", "effective_month": "2027-03", "standards": {"440781": {"urban": "x"}}},
            format="json",
        )
        assert r.status_code == 400 and list(r.json()["standards"]["440781"]) == ["urban"]
        r = api.post(
            URL, {"title": "t", "effective_month": "2027-03", "standards": RAISE}, format="json"
        )
    assert r.status_code == 202 and r.json()["status"] == "queued"
    pk = r.json()["id"]
    run(WhatIfScenario.objects.get(pk=pk))
    r = api.get(f"{URL}{pk}/")
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert {d["county"]: d["monthly_difference"] for d in r.json()["districts"]}[
        "440781"
    ] == "245.00"
    for _ in range(3):
        run(start(data_admin))
    with django_assert_max_num_queries(8):
        r = api.get(URL)
    assert r.status_code == 200 and len(r.json()["results"]) == 4


def test_the_detail_shows_progress_then_the_results(client, register, data_admin):  # type: ignore[no-untyped-def]
    scenario = start(data_admin)
    login(client, data_admin)
    url = reverse("transitions:whatif_detail", args=[scenario.pk])
    r = client.get(url)
    assert r.status_code == 200 and 'data-testid="job-progress"' in r.content.decode()
    r = client.get(url, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "hx-get" in r.content.decode()
    run(scenario)
    r = client.get(url, headers={"HX-Request": "true"})
    assert r.status_code == 204 and r["HX-Refresh"] == "true"
    page = client.get(url).content.decode()
    assert 'data-testid="districts"' in page and "Done" in page
    assert "857.00" in page and "900" in page  # in force → proposed


def test_the_list_page_queries_do_not_grow_with_the_scenarios(  # type: ignore[no-untyped-def]
    client, register, data_admin, django_assert_max_num_queries
):
    for _ in range(5):
        start(data_admin)
    login(client, data_admin)
    with on_day(TODAY), django_assert_max_num_queries(16):
        r = client.get(reverse("transitions:whatif_list"))
    assert r.status_code == 200 and len(r.context["page"]) == 5


def test_a_run_that_cannot_read_the_policy_fails_and_saves_nothing(register, data_admin):  # type: ignore[no-untyped-def]
    from assistance.models import PolicyParameter

    scenario = start(data_admin)
    # The trigger's row ends before the effective month after the scenario was queued.
    PolicyParameter.objects.filter(key="price_trigger_pct").update(valid_to=dt.date(2026, 12, 31))
    scenario = run(scenario)
    assert scenario.status == "failed" and scenario.job.status == Job.Status.FAILED
    assert "price_trigger_pct" in scenario.job.message
    assert not scenario.districts.exists()
    with pytest.raises(ValidationError):
        services.whatif_export(scenario, "csv")
