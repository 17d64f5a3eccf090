"""The assistance programmes other than dibao (tekun, low-income recognition, temporary, medical,
education, disaster and housing aid) and outreach reports (主动发现).

Two layers:

- pure rule functions (no database): eligibility and amounts from plain numbers, so they are
  tested without fixtures (`tekun_findings`, `tekun_floor`, `low_income_band`, `temporary_cap`,
  `medical_aid`, `check_decided_amount`);
- services, one per transition: keyword-only, atomic, the case row locked (select_for_update),
  guarded by the allowed statuses, permission- and region-checked, and a ProgrammeTransition
  (who, when, from, to, why) written in the same transaction.

Policy numbers (multiples, rates, caps, deadlines) come from `policy_data.parameter(key, on)` and
the dibao standard in force from `policy_data.standard_on(county, on)`; none is a literal here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance.dibao import selectors
from assistance.models import (
    DibaoCase,
    OutreachReport,
    Programme,
    ProgrammeCase,
    ProgrammeTransition,
)
from assistance.policy import selectors as policy_data
from core.calendar import add_working_days
from core.models import Region, User
from core.roles import DECIDE_PROGRAMME, REPORT_OUTREACH
from core.scope import scope_queryset
from core.services import require_perm, require_region, require_status
from households.models import Household, LabourCapacity, Person

P = Programme
PS = ProgrammeCase.Status
FEN = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
MAX_AMOUNT = Decimal("1000000")

APPLY = "assistance.add_programmecase"
CHANGE = "assistance.change_programmecase"
CHANGE_OUTREACH = "assistance.change_outreachreport"

#: Statuses in which a programme case is "open" (it counts against duplicates).
OPEN = (PS.APPLIED, PS.APPROVED, PS.PAID)
#: Statuses in which an award exists (counts for the yearly limits).
AWARDED = (PS.APPROVED, PS.PAID)
#: Programmes whose amount the reviewer decides with a reason.
DISCRETIONARY = (P.EDUCATION, P.DISASTER, P.HOUSING)
#: Ongoing recognitions (may be closed after approval or payment, e.g. when the person dies).
ONGOING = (P.TEKUN, P.LOW_INCOME)


class TemporaryCause:
    FIRE = "fire"
    TRAFFIC_ACCIDENT = "traffic_accident"
    SERIOUS_ILLNESS = "sudden_serious_illness"
    OTHER = "other"

    choices = [
        (FIRE, gettext_lazy("Fire")),
        (TRAFFIC_ACCIDENT, gettext_lazy("Traffic accident")),
        (SERIOUS_ILLNESS, gettext_lazy("Sudden serious illness")),
        (OTHER, gettext_lazy("Other severe hardship")),
    ]
    values = [c for c, _label in choices]

    @classmethod
    def label(cls, value: str) -> str:
        return str(dict(cls.choices).get(value, value))


#: The details each programme's application carries (in ProgrammeCase.details), with their types.
DETAIL_FIELDS: dict[str, dict[str, type]] = {
    P.TEKUN: {"no_income": bool, "no_legal_supporter": bool, "description": str},
    P.LOW_INCOME: {"per_capita_income": Decimal, "description": str},
    P.TEMPORARY: {"description": str},
    P.MEDICAL: {
        "compliant_out_of_pocket": Decimal,
        "annual_household_income": Decimal,
        "description": str,
    },
    P.EDUCATION: {"description": str},
    P.DISASTER: {"description": str},
    P.HOUSING: {"description": str},
}


# ============================================================================ pure rules


def fen(x: Decimal) -> Decimal:
    return x.quantize(FEN, ROUND_HALF_UP)


def tekun_findings(
    *,
    age: int,
    labour_capacity: str,
    severely_disabled: bool,
    has_income: bool,
    has_legal_supporter: bool,
) -> list[str]:
    """Why a person does NOT qualify as tekun (empty list = qualifies).

    The three "no"s: no labour capacity, no income, no legal supporter; and the person is aged
    60 or over, under 16, or severely disabled (domain.md §1, §2).
    """
    problems = []
    if not (age >= 60 or age < 16 or severely_disabled):
        problems.append(
            _("Tekun is for persons aged 60 or over, under 16, or with a severe disability.")
        )
    if labour_capacity != LabourCapacity.NONE:
        problems.append(_("The person has labour capacity."))
    if has_income:
        problems.append(_("The person has income."))
    if has_legal_supporter:
        problems.append(_("The person has a legal supporter able to support them."))
    return problems


def tekun_floor(*, standard: Decimal, multiple: Decimal) -> Decimal:
    """The minimum monthly tekun support: multiple × standard, rounded up to the fen."""
    return (standard * multiple).quantize(FEN, ROUND_CEILING)


@dataclass(frozen=True)
class LowIncomeBand:
    band: str  # "dibao" (below the standard), "low_income", or "above"
    standard: Decimal
    threshold: Decimal
    per_capita_income: Decimal

    @property
    def qualifies(self) -> bool:
        return self.band == "low_income"


def low_income_band(
    *, per_capita_income: Decimal, standard: Decimal, multiple: Decimal
) -> LowIncomeBand:
    """standard ≤ income < multiple × standard → low-income; below the standard it is a dibao
    case; at or above the threshold, neither."""
    threshold = fen(standard * multiple)
    if per_capita_income < standard:
        band = "dibao"
    elif per_capita_income < threshold:
        band = "low_income"
    else:
        band = "above"
    return LowIncomeBand(band, standard, threshold, per_capita_income)


def temporary_cap(*, standard: Decimal, multiple: Decimal, members: int) -> Decimal:
    """Cap of one temporary-assistance award: multiple × monthly standard × members."""
    return fen(multiple * standard * members)


@dataclass(frozen=True)
class MedicalAid:
    out_of_pocket: Decimal
    annual_income: Decimal
    capacity: Decimal
    rate_pct: Decimal
    formula_amount: Decimal
    annual_cap: Decimal
    already_awarded: Decimal
    remaining_cap: Decimal
    aid: Decimal

    def as_json(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items()}


def medical_aid(
    *,
    out_of_pocket: Decimal,
    annual_income: Decimal,
    rate_pct: Decimal,
    capacity_pct: Decimal,
    annual_cap: Decimal,
    already_awarded: Decimal = ZERO,
) -> MedicalAid:
    """aid = (compliant out-of-pocket − capacity) × rate, capacity = capacity% × annual income,
    never below 0 and never above the annual cap minus what was already awarded this year."""
    capacity = fen(annual_income * capacity_pct / HUNDRED)
    formula = fen(max(ZERO, out_of_pocket - capacity) * rate_pct / HUNDRED)
    remaining = max(ZERO, annual_cap - already_awarded)
    return MedicalAid(
        out_of_pocket=out_of_pocket,
        annual_income=annual_income,
        capacity=capacity,
        rate_pct=rate_pct,
        formula_amount=formula,
        annual_cap=annual_cap,
        already_awarded=already_awarded,
        remaining_cap=remaining,
        aid=min(formula, remaining),
    )


def check_decided_amount(
    amount: Any, *, field: str = "amount", allow_zero: bool = False
) -> Decimal:
    """A reviewer's amount: a number, not negative, not absurd (> 1,000,000 is refused)."""
    if amount is None or amount == "":
        raise ValidationError({field: [_("Enter the amount.")]})
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [_("Enter a number.")]}) from None
    if not value.is_finite():
        raise ValidationError({field: [_("Enter a number.")]})
    if value < 0:
        raise ValidationError({field: [_("An amount cannot be negative.")]})
    if value == 0 and not allow_zero:
        raise ValidationError({field: [_("An approved amount must be more than 0.")]})
    if value > MAX_AMOUNT:
        raise ValidationError({field: [_("This amount is implausibly large; please check it.")]})
    if value != fen(value):
        raise ValidationError({field: [_("Amounts are kept to the fen (0.01 yuan).")]})
    return value


# ============================================================================ reads


def programme_cases(
    *, user: User, programme: str = "", status: str = "", household: int | None = None
) -> QuerySet[ProgrammeCase]:
    qs = selectors.programme_case_list(user=user, programme=programme)
    if status:
        qs = qs.filter(status=status)
    if household:
        qs = qs.filter(household_id=household)
    return qs


def programme_case_get(*, user: User, pk: int | str) -> ProgrammeCase:
    """The case if the user may see it; ProgrammeCase.DoesNotExist otherwise (→ 404)."""
    return (
        selectors.programme_case_list(user=user)
        .select_related("created_by", "decided_by")
        .get(pk=pk)
    )


def outreach_reports(*, user: User, status: str = "") -> QuerySet[OutreachReport]:
    qs = scope_queryset(OutreachReport.objects.all(), user, region_field="village")
    if status:
        qs = qs.filter(status=status)
    return qs.select_related(
        "village__parent", "household", "reported_by", "handled_by", "dibao_case", "programme_case"
    ).order_by("-reported_at", "-id")


def outreach_report_get(*, user: User, pk: int | str) -> OutreachReport:
    return outreach_reports(user=user).get(pk=pk)


def documentation_overdue(case: ProgrammeCase, *, today: dt.date | None = None) -> bool:
    """Emergency aid paid first whose documents are past their due date."""
    today = today or timezone.localdate()
    return bool(
        case.documentation_due and case.documented_on is None and today > case.documentation_due
    )


def documentation_overdue_list(
    *, user: User, today: dt.date | None = None
) -> QuerySet[ProgrammeCase]:
    today = today or timezone.localdate()
    return selectors.programme_case_list(user=user).filter(
        documentation_due__lt=today, documented_on__isnull=True
    )


def household_recognitions(household: Household) -> list[str]:
    """What the household is already in (the basis for categorical aid): dibao, tekun,
    low-income recognition."""
    out = []
    if household.dibao_cases.filter(
        status__in=(
            DibaoCase.Status.CONFIRMED,
            DibaoCase.Status.ACTIVE,
            DibaoCase.Status.UNDER_REVIEW,
        )
    ).exists():
        out.append("dibao")
    for programme in ONGOING:
        if household.programme_cases.filter(programme=programme, status__in=AWARDED).exists():
            out.append(str(programme))
    return out


# ============================================================================ helpers


def _members(household: Household) -> list[Person]:
    return [
        m.person
        for m in household.memberships.filter(end_date__isnull=True)
        .select_related("person")
        .order_by("id")
    ]


def _standard(household: Household, on: dt.date) -> tuple[Decimal, int]:
    county = policy_data.county_of(household.village)
    row = policy_data.standard_on(county, on)
    return row.amount_for(household.hukou_type), row.pk


def _decimal(value: Any, field: str) -> Decimal:
    if value is None or value == "":
        raise ValidationError({field: [_("This field is required.")]})
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [_("Enter a number.")]}) from None
    if not d.is_finite() or d < 0:
        raise ValidationError({field: [_("Enter a number that is not negative.")]})
    if d > MAX_AMOUNT * 100:
        raise ValidationError({field: [_("This amount is implausibly large; please check it.")]})
    return fen(d)


def _clean_details(programme: str, details: dict[str, Any]) -> dict[str, Any]:
    allowed = DETAIL_FIELDS[programme]
    unknown = sorted(set(details) - set(allowed))
    if unknown:
        raise ValidationError(
            {
                k: [_("Not a detail of this programme: %(p)s.") % {"p": Programme(programme).label}]
                for k in unknown
            }
        )
    out: dict[str, Any] = {}
    for key, kind in allowed.items():
        value = details.get(key)
        if kind is Decimal:
            out[key] = str(_decimal(value, key))
        elif kind is bool:
            out[key] = bool(value)
        elif value not in (None, ""):
            out[key] = str(value).strip()[:2000]
    return out


def _tekun_problems(case_person: Person, details: dict[str, Any], on: dt.date) -> list[str]:
    return tekun_findings(
        age=case_person.age_on(on),
        labour_capacity=case_person.labour_capacity(on),
        severely_disabled=case_person.severely_disabled,
        has_income=not details.get("no_income", False),
        has_legal_supporter=not details.get("no_legal_supporter", False),
    )


def _low_income(household: Household, details: dict[str, Any], on: dt.date) -> LowIncomeBand:
    standard, _sid = _standard(household, on)
    return low_income_band(
        per_capita_income=Decimal(details["per_capita_income"]),
        standard=standard,
        multiple=policy_data.parameter("low_income_multiple", on),
    )


def _low_income_error(band: LowIncomeBand) -> ValidationError:
    if band.band == "dibao":
        return ValidationError(
            {
                "per_capita_income": [
                    _(
                        "Per-capita income %(pci)s is below the dibao standard %(std)s: "
                        "open a dibao case instead."
                    )
                    % {"pci": band.per_capita_income, "std": band.standard}
                ]
            },
            code="dibao",
        )
    return ValidationError(
        {
            "per_capita_income": [
                _(
                    "Per-capita income %(pci)s is not below the low-income threshold %(t)s "
                    "(%(std)s × multiple)."
                )
                % {"pci": band.per_capita_income, "t": band.threshold, "std": band.standard}
            ]
        },
        code="above",
    )


def _temporary_cap(household: Household, on: dt.date) -> dict[str, Any]:
    standard, sid = _standard(household, on)
    multiple = policy_data.parameter("temporary_cap_multiple", on)
    members = len(_members(household))
    cap = temporary_cap(standard=standard, multiple=multiple, members=members)
    return {
        "standard": str(standard),
        "standard_id": sid,
        "multiple": str(multiple),
        "members": members,
        "cap": str(cap),
    }


def _temporary_award_exists(
    household: Household, cause: str, year: int, exclude: int | None = None
) -> bool:
    qs = ProgrammeCase.objects.filter(
        household=household,
        programme=P.TEMPORARY,
        cause=cause,
        status__in=AWARDED,
        event_date__year=year,
    )
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def _temporary_once_error(cause: str, year: int) -> ValidationError:
    return ValidationError(
        {
            "cause": [
                _(
                    "This household already received temporary assistance for “%(cause)s” "
                    "in %(year)s: one award per cause per year."
                )
                % {"cause": TemporaryCause.label(cause), "year": year}
            ]
        },
        code="once_per_year",
    )


def _medical(household: Household, details: dict[str, Any], on: dt.date, exclude: int | None):
    already = ProgrammeCase.objects.filter(
        household=household,
        programme=P.MEDICAL,
        status__in=AWARDED,
        decided_on__year=on.year,
    )
    if exclude:
        already = already.exclude(pk=exclude)
    awarded = already.aggregate(s=Sum("amount"))["s"] or ZERO
    return medical_aid(
        out_of_pocket=Decimal(details["compliant_out_of_pocket"]),
        annual_income=Decimal(details["annual_household_income"]),
        rate_pct=policy_data.parameter("medical_rate_pct", on),
        capacity_pct=policy_data.parameter("medical_capacity_pct", on),
        annual_cap=policy_data.parameter("medical_annual_cap", on),
        already_awarded=awarded,
    )


def programme_computation(case: ProgrammeCase, *, on: dt.date) -> dict[str, Any]:
    """The rule figures for a case on a date (shown on the case page, stored at decisions)."""
    household = case.household
    out: dict[str, Any] = {"on": on.isoformat()}
    if case.programme == P.TEKUN:
        standard, sid = _standard(household, on)
        multiple = policy_data.parameter("tekun_multiple", on)
        out |= {
            "standard": str(standard),
            "standard_id": sid,
            "multiple": str(multiple),
            "floor": str(tekun_floor(standard=standard, multiple=multiple)),
        }
        if case.person is not None:
            out["findings"] = _tekun_problems(case.person, case.details, on)
    elif case.programme == P.LOW_INCOME:
        band = _low_income(household, case.details, on)
        out |= {
            "standard": str(band.standard),
            "threshold": str(band.threshold),
            "per_capita_income": str(band.per_capita_income),
            "band": band.band,
        }
    elif case.programme == P.TEMPORARY:
        out |= _temporary_cap(household, on)
        year = (case.event_date or case.applied_on).year
        out["already_awarded_for_cause"] = _temporary_award_exists(
            household, case.cause, year, exclude=case.pk
        )
    elif case.programme == P.MEDICAL:
        out |= _medical(household, case.details, on, exclude=case.pk).as_json()
    if case.programme in (P.MEDICAL, P.EDUCATION, P.HOUSING):
        out["recognitions"] = household_recognitions(household)
    return out


def _lock(case: ProgrammeCase, by: User) -> ProgrammeCase:
    locked = (
        ProgrammeCase.objects.select_for_update(of=("self",))
        .select_related("household__village", "person")
        .get(pk=case.pk)
    )
    require_region(by, locked.household.village)
    return locked


def _lock_household(household_id: int) -> Household:
    """Serialises decisions on one household (yearly limits are per household)."""
    return Household.objects.select_for_update().select_related("village").get(pk=household_id)


def _guard(case: ProgrammeCase, allowed: tuple[str, ...], action: str) -> None:
    require_status(case.status, allowed, action=action, choices=PS)


def _move(
    case: ProgrammeCase, to: str, by: User | None, why: str = "", **fields: Any
) -> ProgrammeCase:
    old = case.status
    for k, v in fields.items():
        setattr(case, k, v)
    case.status = to
    case.save()
    ProgrammeTransition.objects.create(case=case, from_status=old, to_status=to, by=by, reason=why)
    return case


def _require_any(by: User, *perms: str) -> None:
    if not any(by.has_perm(p) for p in perms):
        raise PermissionDenied(_("Your role does not allow this action."))


def _not_future(day: dt.date, field: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: [_("The date cannot be in the future.")]})


# ============================================================================ programme services


@transaction.atomic
def programme_apply(
    *,
    programme: str,
    household: Household,
    person: Person | None = None,
    by: User,
    applied_on: dt.date | None = None,
    cause: str = "",
    event_date: dt.date | None = None,
    emergency: bool = False,
    requested_amount: Any = None,
    **details: Any,
) -> ProgrammeCase:
    """Register an application to a programme. The programme's rules that the register already
    decides are checked now (tekun's person rules, the low-income band, one temporary award per
    cause per year); the reviewer decides the rest."""
    require_perm(by, APPLY)
    if programme not in Programme.values:
        raise ValidationError({"programme": [_("Choose a programme.")]})
    household = _lock_household(household.pk)
    require_region(by, household.village)
    applied_on = applied_on or timezone.localdate()
    _not_future(applied_on, "applied_on")
    clean = _clean_details(programme, details)
    members = {p.pk for p in _members(household)}
    errors: dict[str, list[str]] = {}
    if person is not None and person.pk not in members:
        errors["person"] = [_("The person must be an active member of the household.")]
    if requested_amount not in (None, ""):
        try:
            requested_amount = check_decided_amount(requested_amount, field="requested_amount")
        except ValidationError as e:
            errors.update(e.message_dict)
    else:
        requested_amount = None
    if emergency and programme != P.TEMPORARY:
        errors["emergency"] = [_("Only temporary assistance is paid first in emergencies.")]
    if errors:
        raise ValidationError(errors)

    if programme == P.TEKUN:
        if person is None:
            raise ValidationError({"person": [_("Tekun support is for one person: choose them.")]})
        if ProgrammeCase.objects.filter(programme=P.TEKUN, person=person, status__in=OPEN).exists():
            raise ValidationError({"person": [_("This person already has an open tekun case.")]})
        problems = _tekun_problems(person, clean, applied_on)
        if problems:
            raise ValidationError({"person": problems}, code="not_eligible")
    elif programme == P.LOW_INCOME:
        if ProgrammeCase.objects.filter(
            programme=P.LOW_INCOME, household=household, status__in=OPEN
        ).exists():
            raise ValidationError(
                {"programme": [_("This household already has an open low-income recognition.")]}
            )
        band = _low_income(household, clean, applied_on)
        if not band.qualifies:
            raise _low_income_error(band)
    elif programme == P.TEMPORARY:
        if cause not in TemporaryCause.values:
            errors["cause"] = [_("Choose the event type.")]
        if event_date is None:
            errors["event_date"] = [_("Give the date of the event.")]
        elif event_date > applied_on:
            errors["event_date"] = [_("The event cannot be after the application.")]
        if errors:
            raise ValidationError(errors)
        assert event_date is not None
        if _temporary_award_exists(household, cause, event_date.year):
            raise _temporary_once_error(cause, event_date.year)
    elif programme == P.MEDICAL and Decimal(clean["compliant_out_of_pocket"]) == 0:
        raise ValidationError(
            {"compliant_out_of_pocket": [_("Give the compliant out-of-pocket medical cost.")]}
        )

    case = ProgrammeCase.objects.create(
        programme=programme,
        household=household,
        person=person,
        cause=cause if programme == P.TEMPORARY else "",
        event_date=event_date if programme == P.TEMPORARY else None,
        emergency=bool(emergency) if programme == P.TEMPORARY else False,
        requested_amount=requested_amount,
        details=clean,
        applied_on=applied_on,
        created_by=by,
    )
    case.computation = programme_computation(case, on=applied_on)
    case.save(update_fields=["computation"])
    ProgrammeTransition.objects.create(
        case=case,
        from_status="",
        to_status=PS.APPLIED,
        by=by,
        reason=_("Application: %(p)s") % {"p": Programme(programme).label},
    )
    return case


def _may_decide(case: ProgrammeCase, by: User) -> None:
    if not by.has_perm(DECIDE_PROGRAMME):
        raise PermissionDenied(_("Your role cannot decide programme applications."))
    if case.created_by_id == by.pk:
        raise PermissionDenied(_("You registered this application: another person must decide it."))


@transaction.atomic
def programme_approve(
    *,
    case: ProgrammeCase,
    amount: Any = None,
    on: dt.date,
    by: User,
    reason: str = "",
) -> ProgrammeCase:
    """The district's approval with the amount, checked against the programme's rules."""
    if not by.has_perm(DECIDE_PROGRAMME):
        raise PermissionDenied(_("Your role cannot decide programme applications."))
    case = _lock(case, by)
    _guard(case, (PS.APPLIED,), _("approve"))
    _may_decide(case, by)
    _lock_household(case.household_id)
    if on < case.applied_on:
        raise ValidationError({"on": [_("A decision cannot precede the application.")]})
    _not_future(on, "on")
    reason = (reason or "").strip()
    computation = programme_computation(case, on=on)
    programme = case.programme

    if programme == P.TEKUN:
        problems = computation.get("findings") or []
        if problems:
            raise ValidationError(
                [_("The person does not qualify as tekun: refuse instead."), *problems],
                code="not_eligible",
            )
        value = check_decided_amount(amount)
        floor = Decimal(computation["floor"])
        if value < floor:
            raise ValidationError(
                {
                    "amount": [
                        _(
                            "Tekun support must be at least %(m)s × the dibao standard "
                            "(%(std)s): at least %(floor)s yuan a month, not %(amount)s."
                        )
                        % {
                            "m": computation["multiple"].rstrip("0").rstrip("."),
                            "std": computation["standard"],
                            "floor": floor,
                            "amount": value,
                        }
                    ]
                },
                code="below_floor",
            )
        default_reason = _("Tekun support %(a)s yuan a month") % {"a": value}
    elif programme == P.LOW_INCOME:
        if computation["band"] != "low_income":
            raise _low_income_error(_low_income(case.household, case.details, on))
        if amount not in (None, "") and check_decided_amount(amount, allow_zero=True) != 0:
            raise ValidationError(
                {
                    "amount": [
                        _(
                            "A low-income recognition pays no cash (it opens the categorical "
                            "aids): the amount is 0."
                        )
                    ]
                }
            )
        value = ZERO
        default_reason = _("Recognised as a low-income household")
    elif programme == P.TEMPORARY:
        year = (case.event_date or case.applied_on).year
        if _temporary_award_exists(case.household, case.cause, year, exclude=case.pk):
            raise _temporary_once_error(case.cause, year)
        value = check_decided_amount(amount)
        cap = Decimal(computation["cap"])
        if value > cap:
            raise ValidationError(
                {
                    "amount": [
                        _(
                            "Above the cap of %(cap)s yuan (%(m)s × standard %(std)s × "
                            "%(n)s members)."
                        )
                        % {
                            "cap": cap,
                            "m": computation["multiple"],
                            "std": computation["standard"],
                            "n": computation["members"],
                        }
                    ]
                },
                code="above_cap",
            )
        default_reason = _("Temporary assistance %(a)s yuan") % {"a": value}
    elif programme == P.MEDICAL:
        aid = Decimal(computation["aid"])
        if aid <= 0:
            raise ValidationError(
                _(
                    "The formula gives no aid (costs within the household's capacity, or the "
                    "annual cap is used up): refuse instead."
                ),
                code="nothing_due",
            )
        value = aid if amount in (None, "") else check_decided_amount(amount)
        if value > aid:
            raise ValidationError(
                {
                    "amount": [
                        _("At most %(aid)s yuan: the formula and the annual cap allow no more.")
                        % {"aid": aid}
                    ]
                },
                code="above_cap",
            )
        if value != aid and not reason:
            raise ValidationError(
                {"reason": [_("Give the reason for an amount below the formula's.")]}
            )
        default_reason = _("Medical aid %(a)s yuan") % {"a": value}
    else:  # education, disaster, housing: the reviewer decides the amount, with a reason
        value = check_decided_amount(amount)
        if not reason:
            raise ValidationError({"reason": [_("Give the reason for the amount.")]})
        default_reason = ""

    return _move(
        case,
        PS.APPROVED,
        by,
        reason or default_reason,
        amount=value,
        decided_on=on,
        decided_by=by,
        computation=computation,
        reason=reason or default_reason,
    )


@transaction.atomic
def programme_refuse(*, case: ProgrammeCase, on: dt.date, by: User, reason: str) -> ProgrammeCase:
    """A written refusal with reasons."""
    if not by.has_perm(DECIDE_PROGRAMME):
        raise PermissionDenied(_("Your role cannot decide programme applications."))
    case = _lock(case, by)
    _guard(case, (PS.APPLIED,), _("refuse"))
    _may_decide(case, by)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("A refusal must state its reasons in writing.")]})
    if on < case.applied_on:
        raise ValidationError({"on": [_("A decision cannot precede the application.")]})
    return _move(
        case, PS.REFUSED, by, reason.strip(), decided_on=on, decided_by=by, reason=reason.strip()
    )


@transaction.atomic
def programme_pay(*, case: ProgrammeCase, on: dt.date, by: User) -> ProgrammeCase:
    """Record the payment of an approved award. Temporary assistance is paid after its
    documents, except in an emergency: then documents are due within `temporary_document_wd`
    working days of the payment."""
    _require_any(by, CHANGE, DECIDE_PROGRAMME)
    case = _lock(case, by)
    _guard(case, (PS.APPROVED,), _("record the payment"))
    if case.programme == P.LOW_INCOME or not case.amount:
        raise ValidationError(_("A low-income recognition pays no cash."), code="no_cash")
    if case.decided_on and on < case.decided_on:
        raise ValidationError({"on": [_("The payment cannot precede the approval.")]})
    _not_future(on, "on")
    fields: dict[str, Any] = {"paid_on": on}
    reason = _("Paid %(a)s yuan") % {"a": case.amount}
    if case.programme == P.TEMPORARY and case.documented_on is None:
        if not case.emergency:
            raise ValidationError(
                _("Record the documents first: only emergencies are paid before documentation."),
                code="undocumented",
            )
        days = policy_data.int_parameter("temporary_document_wd", on)
        fields["documentation_due"] = add_working_days(on, days)
        reason = _("Paid first in an emergency (%(a)s yuan); documents due by %(d)s") % {
            "a": case.amount,
            "d": fields["documentation_due"].isoformat(),
        }
    return _move(case, PS.PAID, by, reason, **fields)


@transaction.atomic
def programme_document(
    *, case: ProgrammeCase, on: dt.date, by: User, note: str = ""
) -> ProgrammeCase:
    """Record that the supporting documents of temporary assistance are complete (after the
    payment in an emergency; late when past `documentation_due`)."""
    _require_any(by, CHANGE, DECIDE_PROGRAMME)
    case = _lock(case, by)
    if case.programme != P.TEMPORARY:
        raise ValidationError(_("Only temporary assistance records documentation separately."))
    _guard(case, (PS.APPLIED, PS.APPROVED, PS.PAID), _("record the documents"))
    if case.documented_on:
        raise ValidationError(_("The documents are already recorded."))
    if on < case.applied_on:
        raise ValidationError({"on": [_("The documents cannot precede the application.")]})
    _not_future(on, "on")
    reason = _("Documents recorded")
    if case.documentation_due and on > case.documentation_due:
        reason = _("Documents recorded late (due %(d)s)") % {
            "d": case.documentation_due.isoformat()
        }
    if note.strip():
        reason = f"{reason}: {note.strip()}"
    return _move(case, case.status, by, reason, documented_on=on)


@transaction.atomic
def programme_close(*, case: ProgrammeCase, by: User, reason: str) -> ProgrammeCase:
    """Withdraw an application, cancel an unpaid award, or end an ongoing recognition (tekun,
    low-income) — always with a reason."""
    _require_any(by, CHANGE, DECIDE_PROGRAMME)
    case = _lock(case, by)
    allowed: tuple[str, ...] = (PS.APPLIED, PS.APPROVED)
    if case.programme in ONGOING:
        allowed = OPEN
    _guard(case, allowed, _("close"))
    if case.status == PS.APPROVED and case.programme not in ONGOING:
        _may_decide(case, by)  # cancelling an award is the deciding level's
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason.")]})
    return _move(case, PS.CLOSED, by, reason.strip())


# ============================================================================ outreach


@transaction.atomic
def outreach_report(
    *,
    village: Region,
    subject_name: str,
    description: str,
    by: User,
    household: Household | None = None,
) -> OutreachReport:
    """A village assistant, social worker or volunteer reports a household in need."""
    require_perm(by, REPORT_OUTREACH)
    require_region(by, village)
    errors: dict[str, list[str]] = {}
    if village.level != Region.Level.VILLAGE:
        errors["village"] = [_("Choose a village or community.")]
    if not subject_name.strip():
        errors["subject_name"] = [_("Name the person in need.")]
    if not description.strip():
        errors["description"] = [_("Describe the situation.")]
    if household is not None and household.village_id != village.pk:
        errors["household"] = [_("The household is not in this village.")]
    if errors:
        raise ValidationError(errors)
    return OutreachReport.objects.create(
        village=village,
        household=household,
        subject_name=subject_name.strip()[:50],
        description=description.strip(),
        reported_by=by,
    )


def _lock_report(report: OutreachReport, by: User) -> OutreachReport:
    locked = (
        OutreachReport.objects.select_for_update(of=("self",))
        .select_related("village", "household")
        .get(pk=report.pk)
    )
    require_region(by, locked.village)
    if locked.status != OutreachReport.Status.OPEN:
        raise ValidationError(
            _("This report is already “%(s)s”; reload the page.")
            % {"s": OutreachReport.Status(locked.status).label},
            code="wrong_status",
        )
    return locked


@transaction.atomic
def outreach_convert(
    *,
    report: OutreachReport,
    by: User,
    programme: str = "dibao",
    household: Household | None = None,
    person: Person | None = None,
    applicant: Person | None = None,
    agent_name: str = "",
    **programme_fields: Any,
) -> OutreachReport:
    """The report becomes an application: a dibao case (`programme="dibao"`, through
    services.dibao_case_create) or a programme case (through programme_apply)."""
    from assistance.dibao import services  # the dibao services (same app)

    require_perm(by, CHANGE_OUTREACH)
    report = _lock_report(report, by)
    household = household or report.household
    if household is None:
        raise ValidationError(
            {"household": [_("Register the household first, then choose it here.")]}
        )
    if household.village_id != report.village_id:
        raise ValidationError({"household": [_("The household is not in the reported village.")]})
    fields: dict[str, Any] = {}
    if programme == "dibao":
        dibao_case = services.dibao_case_create(
            household=household,
            by=by,
            applicant=applicant,
            agent_name=agent_name
            or (_("Village committee (outreach report %(n)s)") % {"n": report.pk}),
        )
        fields["dibao_case"] = dibao_case
        what = str(dibao_case)
    elif programme in Programme.values:
        case = programme_apply(
            programme=programme, household=household, person=person, by=by, **programme_fields
        )
        fields["programme_case"] = case
        what = str(case)
        ProgrammeTransition.objects.filter(case=case).update(
            reason=_("Application from outreach report %(n)s (%(who)s)")
            % {"n": report.pk, "who": report.reported_by.get_full_name() or report.reported_by}
        )
    else:
        raise ValidationError({"programme": [_("Choose dibao or a programme.")]})
    for k, v in fields.items():
        setattr(report, k, v)
    report.household = household
    report.status = OutreachReport.Status.CONVERTED
    report.handled_by = by
    report.handled_at = timezone.now()
    report.closed_reason = _("Became an application: %(what)s") % {"what": what}
    report.save()
    return report


@transaction.atomic
def outreach_close(*, report: OutreachReport, reason: str, by: User) -> OutreachReport:
    require_perm(by, CHANGE_OUTREACH)
    report = _lock_report(report, by)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason for closing the report.")]})
    report.status = OutreachReport.Status.CLOSED
    report.closed_reason = reason.strip()
    report.handled_by = by
    report.handled_at = timezone.now()
    report.save()
    return report
