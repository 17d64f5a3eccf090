"""Return-to-poverty monitoring: each rule at, below and above its threshold, an idempotent
rerun, the case in the town caseworker's inbox, and closing it (history, scope, stale page)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from assistance.models import Programme, ProgrammeCase
from assistance.oversight.inbox import inbox_items
from core.calendar import add_working_days
from poverty.models import PovertyLine, PovertyRecord
from transitions.models import MonitoringCase, MonitoringRule
from transitions.supervision.monitoring.services import monitoring_case_close, monitoring_run
from verification.models import RECORD_MODELS, DatasetSnapshot

from ...conftest import login
from ...factories import household_with_members
from .conftest import TODAY

pytestmark = pytest.mark.django_db
K = MonitoringRule.Kind


def exited(household, by):  # type: ignore[no-untyped-def]
    return PovertyRecord.objects.create(
        household=household,
        status=PovertyRecord.Status.EXIT_CONFIRMED,
        registered_on=dt.date(2018, 3, 1),
        exit_confirmed_on=dt.date(2020, 6, 1),
        exit_document_no="江府〔2020〕1号",
        created_by=by,
    )


@pytest.fixture
def employment(data_admin):  # type: ignore[no-untyped-def]
    return DatasetSnapshot.objects.create(
        kind="employment",
        department="人社局",
        as_of=dt.date(2026, 10, 31),
        file="datasets/x.csv",
        file_format="csv",
        original_name="x.csv",
        sha256="0" * 64,
        status=DatasetSnapshot.Status.MERGED,
        merged_at=timezone.now(),
        uploaded_by=data_admin,
    )


def wages(snapshot, household, monthly: Decimal) -> None:  # type: ignore[no-untyped-def]
    """The household head earns `monthly` (the others nothing)."""
    head = household.memberships.order_by("id").first().person
    RECORD_MODELS["employment"].objects.create(
        snapshot=snapshot, row_no=1, id_number=head.id_number, monthly_salary=monthly
    )


def line() -> Decimal:
    rule = MonitoringRule.objects.in_force(TODAY).get(kind=K.INCOME)
    poverty = PovertyLine.objects.in_force(TODAY).order_by("-valid_from").first()
    return rule.threshold * poverty.yuan_per_year


def opened(kind: str) -> list[int]:
    return list(
        MonitoringCase.objects.filter(rule=kind)
        .order_by("household_id")
        .values_list("household_id", flat=True)
    )


# ----------------------------------------------------------------------------- income


def test_income_rule_at_below_and_above_the_line(employment, cw_baisha, village_a):  # type: ignore[no-untyped-def]
    # Three members: the monitoring line per person a year × 3 ÷ 12 is the head's monthly wage
    # that puts the household exactly on the line.
    on_line = (line() * 3 / 12).quantize(Decimal("0.01"))
    at, below, above = (household_with_members(village_a, members=3) for _i in range(3))
    for h, monthly in ((at, on_line), (below, on_line - Decimal("1")), (above, on_line + 1)):
        exited(h, cw_baisha)
        wages(employment, h, monthly)
    no_record = household_with_members(village_a, members=3)  # not in the register: not read
    wages(employment, no_record, Decimal("1"))

    assert monitoring_run(on=TODAY)[K.INCOME] == 1
    assert opened(K.INCOME) == [below.pk]
    case = MonitoringCase.objects.get(rule=K.INCOME)
    assert case.status == "open" and case.village == village_a
    assert case.opened_on == TODAY
    rule = MonitoringRule.objects.in_force(TODAY).get(kind=K.INCOME)
    assert case.due_on == add_working_days(TODAY, rule.deadline_working_days)
    t = case.transitions.get()
    assert (t.action, t.from_status, t.to_status, t.by) == ("open", "", "open", None)


def test_income_rule_needs_the_dataset(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    exited(household_with_members(village_a), cw_baisha)
    assert monitoring_run(on=TODAY)[K.INCOME] == 0  # no employment data merged yet


def test_the_line_is_policy_data(employment, cw_baisha, village_a):  # type: ignore[no-untyped-def]
    h = household_with_members(village_a, members=1)
    exited(h, cw_baisha)
    wages(employment, h, (line() / 12).quantize(Decimal("0.01")) - 1)  # just below 1.5×
    MonitoringRule.objects.filter(kind=K.INCOME).update(threshold=Decimal("1.0"))
    assert monitoring_run(on=TODAY)[K.INCOME] == 0  # above 1.0× the line


# ----------------------------------------------------------------------------- medical


def medical(household, by, cost: str, applied=dt.date(2026, 9, 1), status="approved"):  # type: ignore[no-untyped-def]
    return ProgrammeCase.objects.create(
        programme=Programme.MEDICAL,
        household=household,
        status=status,
        applied_on=applied,
        details={"compliant_out_of_pocket": cost},
        created_by=by,
    )


def test_medical_rule_thresholds_for_exited_and_other_households(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    ex_at, ex_above, other_below, other_above = (
        household_with_members(village_a) for _i in range(4)
    )
    for h in (ex_at, ex_above):
        exited(h, cw_baisha)
    medical(ex_at, cw_baisha, "3000.00")
    medical(ex_at, cw_baisha, "2000.00")  # 5,000 a year: at the threshold
    medical(ex_above, cw_baisha, "5000.01")
    medical(other_below, cw_baisha, "19999.99")
    medical(other_above, cw_baisha, "15000")
    medical(other_above, cw_baisha, "5000.50")
    medical(other_below, cw_baisha, "9000", applied=dt.date(2025, 11, 1))  # outside the year
    medical(other_below, cw_baisha, "9000", status="refused")

    assert monitoring_run(on=TODAY)[K.MEDICAL] == 2
    assert opened(K.MEDICAL) == sorted([ex_above.pk, other_above.pk])
    detail = MonitoringCase.objects.get(household=other_above).detail
    assert detail["out_of_pocket"] == "20000.50" and detail["exited"] is False


# ----------------------------------------------------------------------------- hardship


def test_hardship_rule_within_the_look_back(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    recent, old, other_cause, illness = (household_with_members(village_a) for _i in range(4))

    def event(h, programme, date, cause=""):  # type: ignore[no-untyped-def]
        return ProgrammeCase.objects.create(
            programme=programme,
            household=h,
            cause=cause,
            event_date=date,
            applied_on=date,
            created_by=cw_baisha,
        )

    lookback = MonitoringRule.objects.in_force(TODAY).get(kind=K.HARDSHIP).lookback_days
    event(recent, Programme.DISASTER, TODAY - dt.timedelta(days=lookback - 1))
    event(old, Programme.DISASTER, TODAY - dt.timedelta(days=lookback))  # on the edge: out
    event(other_cause, Programme.TEMPORARY, TODAY, cause="fire")
    first = event(illness, Programme.TEMPORARY, TODAY, cause="sudden_serious_illness")

    assert monitoring_run(on=TODAY)[K.HARDSHIP] == 2
    assert opened(K.HARDSHIP) == sorted([recent.pk, illness.pk])
    case = MonitoringCase.objects.get(household=illness)
    assert case.trigger == f"programme:{first.pk}"


# ----------------------------------------------------------------------------- idempotence


def test_a_rerun_opens_no_second_case(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    h = household_with_members(village_a)
    exited(h, cw_baisha)
    medical(h, cw_baisha, "9000")
    ProgrammeCase.objects.create(
        programme=Programme.DISASTER,
        household=h,
        event_date=TODAY,
        applied_on=TODAY,
        created_by=cw_baisha,
    )
    first = monitoring_run(on=TODAY)
    assert (first[K.MEDICAL], first[K.HARDSHIP]) == (1, 1)
    again = monitoring_run(on=TODAY)
    assert again == {K.INCOME: 0, K.MEDICAL: 0, K.HARDSHIP: 0}
    assert MonitoringCase.objects.count() == 2


def test_after_closing_the_event_opens_nothing_again_a_figure_does(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    h = household_with_members(village_a)
    exited(h, cw_baisha)
    medical(h, cw_baisha, "9000")
    ProgrammeCase.objects.create(
        programme=Programme.DISASTER,
        household=h,
        event_date=TODAY,
        applied_on=TODAY,
        created_by=cw_baisha,
    )
    monitoring_run(on=TODAY)
    for c in MonitoringCase.objects.all():
        monitoring_case_close(case=c, outcome="no_risk", reason="checked", by=cw_baisha)
    later = monitoring_run(on=TODAY + dt.timedelta(days=3))
    assert later[K.HARDSHIP] == 0  # the same disaster
    assert later[K.MEDICAL] == 1  # the cost is still above the threshold: assessed again


# ----------------------------------------------------------------------------- inbox, closing


@pytest.fixture
def mcase(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    h = household_with_members(village_a)
    medical(h, cw_baisha, "25000")
    monitoring_run(on=TODAY)
    return MonitoringCase.objects.get(household=h)


def test_the_case_is_in_the_town_caseworkers_inbox(mcase, cw_baisha, cw_taicheng):  # type: ignore[no-untyped-def]
    items = [i for i in inbox_items(cw_baisha) if i.kind == "monitoring_case"]
    assert len(items) == 1
    assert items[0].deadline == mcase.due_on
    assert items[0].url == reverse("transitions:monitoring_case", args=[mcase.pk])
    assert not [i for i in inbox_items(cw_taicheng) if i.kind == "monitoring_case"]


def test_closing_records_outcome_reason_and_history(mcase, cw_baisha):  # type: ignore[no-untyped-def]
    closed = monitoring_case_close(
        case=mcase, outcome="assisted", reason=" medical aid granted ", by=cw_baisha, version=0
    )
    assert (closed.status, closed.outcome, closed.reason) == (
        "closed",
        "assisted",
        "medical aid granted",
    )
    assert closed.closed_by == cw_baisha and closed.closed_on == TODAY
    t = closed.transitions.order_by("id").last()
    assert (t.action, t.from_status, t.to_status, t.by, t.reason) == (
        "close",
        "open",
        "closed",
        cw_baisha,
        "medical aid granted",
    )
    assert not [i for i in inbox_items(cw_baisha) if i.kind == "monitoring_case"]
    with pytest.raises(ValidationError) as e:
        monitoring_case_close(case=mcase, outcome="assisted", reason="again", by=cw_baisha)
    assert e.value.code == "wrong_status"


def test_closing_needs_an_outcome_and_a_reason(mcase, cw_baisha):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as e:
        monitoring_case_close(case=mcase, outcome="maybe", reason=" ", by=cw_baisha)
    assert set(e.value.message_dict) == {"outcome", "reason"}
    mcase.refresh_from_db()
    assert mcase.status == "open" and mcase.transitions.count() == 1


def test_a_stale_page_is_refused(mcase, cw_baisha, cw_baisha_2):  # type: ignore[no-untyped-def]
    monitoring_case_close(case=mcase, outcome="no_risk", reason="a", by=cw_baisha, version=0)
    with pytest.raises(ValidationError) as e:
        monitoring_case_close(case=mcase, outcome="assisted", reason="b", by=cw_baisha_2, version=0)
    assert e.value.code == "wrong_status"


def test_the_outsider_can_neither_see_nor_close(mcase, cw_taicheng, ca_pengjiang, client):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        monitoring_case_close(case=mcase, outcome="no_risk", reason="x", by=cw_taicheng)
    with pytest.raises(PermissionDenied):  # the district reads, the town closes
        monitoring_case_close(case=mcase, outcome="no_risk", reason="x", by=ca_pengjiang)
    login(client, cw_taicheng)
    url = reverse("transitions:monitoring_case", args=[mcase.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"outcome": "no_risk", "reason": "x"}).status_code == 404
    page = client.get(reverse("transitions:monitoring_cases"))
    assert page.status_code == 200 and f'data-case="{mcase.pk}"' not in page.content.decode()
    mcase.refresh_from_db()
    assert mcase.status == "open"


def test_the_caseworker_closes_on_the_page(mcase, cw_baisha, client):  # type: ignore[no-untyped-def]
    login(client, cw_baisha)
    url = reverse("transitions:monitoring_case", args=[mcase.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="close-form"' in page.content.decode()
    bad = client.post(url, {"outcome": "risk_cleared", "reason": "", "version": 0})
    assert bad.status_code == 200 and bad.context["form"].errors["reason"]
    ok = client.post(url, {"outcome": "risk_cleared", "reason": "income recovered", "version": 0})
    assert ok.status_code == 302
    mcase.refresh_from_db()
    assert mcase.outcome == "risk_cleared"
    listing = client.get(reverse("transitions:monitoring_cases") + "?status=closed")
    assert f'data-case="{mcase.pk}"' in listing.content.decode()


def test_the_monthly_beat_entry(settings):  # type: ignore[no-untyped-def]
    entry = settings.CELERY_BEAT_SCHEDULE["transitions-run-monitoring"]
    assert entry["task"] == "transitions.run_monitoring"
    from transitions.supervision.tasks import run_monitoring

    assert run_monitoring.name == "transitions.run_monitoring"


def test_the_database_refuses_a_second_open_case_or_a_second_case_per_event(mcase):  # type: ignore[no-untyped-def]
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        MonitoringCase.objects.create(
            household=mcase.household,
            village=mcase.village,
            rule=mcase.rule,
            opened_on=TODAY,
            due_on=TODAY,
        )
    first = MonitoringCase.objects.create(
        household=mcase.household,
        village=mcase.village,
        rule=K.HARDSHIP,
        trigger="programme:1",
        status="closed",
        opened_on=TODAY,
        due_on=TODAY,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        MonitoringCase.objects.create(
            household=first.household,
            village=first.village,
            rule=K.HARDSHIP,
            trigger="programme:1",
            opened_on=TODAY,
            due_on=TODAY,
        )


def test_monitoring_rules_and_budgets_do_not_overlap(data_admin):  # type: ignore[no-untyped-def]
    from django.db import IntegrityError, transaction

    from transitions.models import FundBudget

    from ...factories import region

    with pytest.raises(IntegrityError), transaction.atomic():
        MonitoringRule.objects.create(kind=K.INCOME, threshold=2, valid_from=dt.date(2026, 1, 1))
    FundBudget.objects.create(
        county=region("440703"), fund="dibao", monthly_amount=1, valid_from=dt.date(2026, 1, 1)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        FundBudget.objects.create(
            county=region("440703"), fund="dibao", monthly_amount=2, valid_from=dt.date(2026, 6, 1)
        )
    FundBudget.objects.create(  # another fund, another district: fine
        county=region("440703"), fund="medical", monthly_amount=2, valid_from=dt.date(2026, 6, 1)
    )


# ----------------------------------------------------------------------------- API

API = "/api/v1/monitoring-cases/"


def test_api_lists_and_closes_the_towns_cases(mcase, cw_baisha, api):  # type: ignore[no-untyped-def]
    login(api, cw_baisha)
    rows = api.get(API, {"status": "open"}).json()["results"]
    assert [r["id"] for r in rows] == [mcase.pk]
    assert rows[0]["allowed_actions"] == ["close"]
    bad = api.post(f"{API}{mcase.pk}/close/", {"outcome": "maybe", "reason": ""}, format="json")
    assert bad.status_code == 400 and set(bad.json()) >= {"outcome", "reason"}
    ok = api.post(
        f"{API}{mcase.pk}/close/",
        {"outcome": "assisted", "reason": "aid granted", "version": 0},
        format="json",
    )
    assert ok.status_code == 200
    body = ok.json()
    assert (body["status"], body["outcome"], body["closed_by"]) == (
        "closed",
        "assisted",
        "cw_baisha",
    )
    assert body["transitions"][-1]["from_status"] == "open"
    again = api.post(
        f"{API}{mcase.pk}/close/", {"outcome": "assisted", "reason": "x"}, format="json"
    )
    assert again.status_code == 409
    assert api.get(API, {"status": "nonsense"}).status_code == 400


def test_api_hides_the_case_from_the_outsider(mcase, cw_taicheng, ca_pengjiang, api):  # type: ignore[no-untyped-def]
    login(api, cw_taicheng)
    assert api.get(API).json()["results"] == []
    assert api.get(f"{API}{mcase.pk}/").status_code == 404
    closing = {"outcome": "no_risk", "reason": "x"}
    assert api.post(f"{API}{mcase.pk}/close/", closing, format="json").status_code == 404
    login(api, ca_pengjiang)  # the district reads, cannot close
    assert api.get(f"{API}{mcase.pk}/").status_code == 200
    assert api.post(f"{API}{mcase.pk}/close/", closing, format="json").status_code == 403
    mcase.refresh_from_db()
    assert mcase.status == "open"
