"""The numbers that are policy live in policy data: changing a parameter (a new effective-dated
row) changes the behaviour, and no age limit is typed into the code."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from assistance.dibao import services
from assistance.models import IncomeType, PolicyParameter
from assistance.policy import selectors as policy_data
from assistance.policy.rules import MemberFacts, supplement_category
from households.ages import age_bands
from households.models import LabourCapacity

from ..factories import PersonFactory, unique_id_number

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 6, 15)


def change(key: str, value: int, from_: dt.date = dt.date(2026, 1, 1)) -> None:
    """A new period of `key` from `from_`: the current one is ended the day before."""
    PolicyParameter.objects.filter(key=key, valid_to__isnull=True).update(
        valid_to=from_ - dt.timedelta(days=1)
    )
    PolicyParameter.objects.create(key=key, valid_from=from_, value=Decimal(value))


def test_no_numeric_age_limit_in_assistance_code():
    pattern = re.compile(r"age[^\n]*[<>]=?\s*\d{2}|\d{2}\s*[<>]=?[^\n]*\bage")
    found = []
    for path in sorted((ROOT / "assistance").rglob("*.py")):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if pattern.search(code):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == [], "age limits are policy parameters (assistance.policy.selectors)"


def test_seeded_values_are_todays_numbers():
    on = dt.date(2015, 1, 1)
    bands = policy_data.age_bands(on)
    assert (bands.working_from, bands.elderly_from, bands.adult_from) == (16, 60, 18)
    ages = policy_data.supplement_ages(on)
    assert (ages.aged_from, ages.aged_high_from) == (60, 70)
    assert policy_data.int_parameter("notice_start_horizon_days", on) == 30
    assert set(IncomeType.objects.filter(unstable=True).values_list("code", flat=True)) == {
        "wages",
        "business",
    }


def test_supplement_ages_follow_the_parameters():
    percents = {"aged_70": Decimal("20"), "aged_60": Decimal("10"), "minor": Decimal("20")}
    old = policy_data.supplement_ages(dt.date(2025, 6, 1))
    change("supplement_aged_high_from", 65)
    change("adult_age", 16)
    new = policy_data.supplement_ages(dt.date(2026, 6, 1))
    assert supplement_category(MemberFacts(1, "a", 66), percents, old) == "aged_60"
    assert supplement_category(MemberFacts(1, "a", 66), percents, new) == "aged_70"
    assert supplement_category(MemberFacts(1, "a", 17), percents, old) == "minor"
    assert supplement_category(MemberFacts(1, "a", 17), percents, new) == ""


def test_default_labour_capacity_follows_the_working_age():
    person = PersonFactory(id_number=unique_id_number(birth=dt.date(1965, 1, 1)))  # 61 in 2026
    assert person.default_labour_capacity(dt.date(2026, 6, 1)) == LabourCapacity.NONE
    change("elderly_age_from", 63)
    assert age_bands(dt.date(2026, 6, 1)).elderly_from == 63
    assert person.default_labour_capacity(dt.date(2026, 6, 1)) == LabourCapacity.FULL
    assert person.default_labour_capacity(dt.date(2025, 6, 1)) == LabourCapacity.NONE  # 60 then


def test_a_missing_age_parameter_is_a_clear_error():
    PolicyParameter.objects.filter(key="adult_age").delete()
    with pytest.raises(ValidationError, match="adult_age"):
        policy_data.age_bands(dt.date(2026, 1, 1))


# --- services and pages follow the parameters ------------------------------------------------

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def after_the_builders():  # type: ignore[no-untyped-def]
    """build_case dates cases in November 2026: run on a fixed day after them."""
    with time_machine.travel(dt.datetime(2026, 11, 28, 10, tzinfo=SHANGHAI), tick=False):
        yield


def _confirmed(village, cw, cw2, checker, **kw):  # type: ignore[no-untyped-def]
    from .conftest import S, build_case, poor_household

    return build_case(poor_household(village, **kw), to=S.CONFIRMED, maker=cw, second=cw2, checker=checker)  # fmt: skip


def test_review_interval_follows_the_unstable_flag_and_the_working_age(
    after_the_builders, cw_baisha, cw_baisha_2, ca_pengjiang, village_a
):  # type: ignore[no-untyped-def]
    case = _confirmed(village_a, cw_baisha, cw_baisha_2, ca_pengjiang)  # wages, head aged 45
    on = dt.date(2026, 11, 13)
    assert services.review_interval_months(case, on=on) == 6
    IncomeType.objects.filter(code="wages").update(unstable=False)
    assert services.review_interval_months(case, on=on) == 12
    IncomeType.objects.filter(code="wages").update(unstable=True)
    change("elderly_age_from", 45)  # the head (45) is no longer of working age
    assert services.review_interval_months(case, on=on) == 12


def test_review_interval_counts_partial_capacity_per_the_parameter(
    after_the_builders, cw_baisha, cw_baisha_2, ca_pengjiang, village_a
):  # type: ignore[no-untyped-def]
    from .conftest import head_of

    case = _confirmed(village_a, cw_baisha, cw_baisha_2, ca_pengjiang)  # wages, head aged 45
    head = head_of(case.household)
    head.labour_capacity_assessed, head.labour_capacity_reason = "partial", "慢性病"
    head.save()
    on = dt.date(2026, 11, 13)
    assert services.review_interval_months(case, on=on) == 6  # partial counts (seeded: 1)
    change("review_partial_capacity_counts", 0)
    assert services.review_interval_months(case, on=on) == 12  # only full capacity counts


def test_notice_start_horizon_follows_the_parameter(
    after_the_builders, cw_baisha, cw_baisha_2, village_a
):  # type: ignore[no-untyped-def]
    from .conftest import S, build_case, poor_household

    case = build_case(poor_household(village_a), to=S.PROPOSED, maker=cw_baisha, second=cw_baisha_2)
    change("notice_start_horizon_days", 5, dt.date(2026, 11, 1))
    with pytest.raises(ValidationError) as e:
        services.dibao_case_start_notice(case=case, starts_on=dt.date(2026, 12, 10), by=cw_baisha)
    assert "starts_on" in e.value.message_dict


def test_single_person_unit_adult_age_follows_the_parameter(
    after_the_builders, cw_baisha, village_a
):  # type: ignore[no-untyped-def]
    from .conftest import head_of, poor_household

    household = poor_household(village_a, members=((45, "head"), (17, "child")))
    child = household.memberships.get(relation="child").person
    child.disability_grade, child.disability_category = 1, "visual"
    child.save()
    with pytest.raises(ValidationError):
        services.dibao_case_create(
            household=household, by=cw_baisha, unit="single_person", single_person=child,
            applicant=head_of(household),
        )  # fmt: skip
    change("adult_age", 17)
    case = services.dibao_case_create(
        household=household, by=cw_baisha, unit="single_person", single_person=child,
        applicant=head_of(household),
    )  # fmt: skip
    assert case.single_person == child


def test_step_page_texts_read_the_working_day_periods_in_force(
    client, after_the_builders, cw_baisha, cw_baisha_2, village_a
):  # type: ignore[no-untyped-def]
    from ..conftest import login
    from .conftest import S, build_case, poor_household

    client.cookies["django_language"] = "en"
    case = build_case(poor_household(village_a), to=S.APPLIED, maker=cw_baisha, second=cw_baisha_2)
    login(client, cw_baisha)
    page = client.get(reverse("assistance:accept", args=[case.pk])).content.decode()
    assert "within 3 working days and the procedure finish within 30 working days" in page
    change("start_investigation_wd", 5, dt.date(2026, 11, 1))
    change("procedure_limit_wd", 20, dt.date(2026, 11, 1))
    page = client.get(reverse("assistance:accept", args=[case.pk])).content.decode()
    assert "within 5 working days and the procedure finish within 20 working days" in page
    services.dibao_case_accept(case=case, accepted_on=dt.date(2026, 11, 3), by=cw_baisha)
    change("procedure_limit_extended_wd", 40, dt.date(2026, 11, 1))
    page = client.get(reverse("assistance:extend", args=[case.pk])).content.decode()
    assert "The extended limit is 40 working days from acceptance" in page
