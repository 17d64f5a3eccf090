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
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance import notify
from assistance.models import (
    Programme,
    ProgrammeCase,
)
from assistance.policy import selectors as policy_data
from assistance.programmes.rules import (
    LowIncomeBand,
    check_decided_amount,
    low_income_band,
    medical_aid,
    tekun_findings,
    tekun_floor,
    temporary_cap,
)
from assistance.programmes.selectors import (
    household_recognitions,
)
from assistance.programmes.workflow import (
    AWARDED,
    DETAIL_FIELDS,
    MAX_AMOUNT,
    ONGOING,
    OPEN,
    PROGRAMME,
    PS,
    P,
    TemporaryCause,
)
from core.calendar import add_working_days
from core.models import User
from core.money import ZERO, fen
from households.models import Household, Person


def _members(household: Household) -> list[Person]:
    return [
        m.person for m in household.memberships.active().select_related("person").order_by("id")
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
        bands=policy_data.age_bands(on),
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


def _begin(case: ProgrammeCase, action: str, by: User) -> ProgrammeCase:
    """Lock the case row, then check the action against the declaration."""
    case = PROGRAMME.lock(case, by)
    PROGRAMME.check(case, action, by)
    return case


def _lock_household(household_id: int) -> Household:
    """Serialises decisions on one household (yearly limits are per household)."""
    return Household.objects.select_for_update().select_related("village").get(pk=household_id)


def _not_future(day: dt.date, field: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: [_("The date cannot be in the future.")]})


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
    if programme not in Programme.values:
        raise ValidationError({"programme": [_("Choose a programme.")]})
    household = _lock_household(household.pk)
    PROGRAMME.check(ProgrammeCase(household=household), "apply", by)
    applied_on = applied_on or timezone.localdate()
    _not_future(applied_on, "applied_on")
    clean = _clean_details(programme, details)
    members = {p.pk for p in _members(household)}
    errors: dict[str, list[str]] = {}
    if person is not None and person.pk not in members:
        errors["person"] = [_("The person must be an active member of the household.")]
    if requested_amount not in (None, ""):
        try:
            requested_amount = check_decided_amount(
                requested_amount, field="requested_amount", whole_yuan=False
            )
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
    return PROGRAMME.move(
        case, "apply", by, _("Application: %(p)s") % {"p": Programme(programme).label}
    )


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
    case = _begin(case, "approve", by)
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

    # The case's own `reason` field is set here: move()'s `reason` is the history row's.
    case.reason = reason or default_reason
    notify.programme_case_event(case, "approve", by)
    return PROGRAMME.move(
        case,
        "approve",
        by,
        case.reason,
        amount=value,
        decided_on=on,
        decided_by=by,
        computation=computation,
    )


@transaction.atomic
def programme_refuse(*, case: ProgrammeCase, on: dt.date, by: User, reason: str) -> ProgrammeCase:
    """A written refusal with reasons."""
    case = _begin(case, "refuse", by)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("A refusal must state its reasons in writing.")]})
    if on < case.applied_on:
        raise ValidationError({"on": [_("A decision cannot precede the application.")]})
    _not_future(on, "on")
    case.reason = reason.strip()
    notify.programme_case_event(case, "refuse", by)
    return PROGRAMME.move(case, "refuse", by, case.reason, decided_on=on, decided_by=by)


@transaction.atomic
def programme_pay(*, case: ProgrammeCase, on: dt.date, by: User) -> ProgrammeCase:
    """Record the payment of an approved award. Temporary assistance is paid after its
    documents, except in an emergency: then documents are due within `temporary_document_wd`
    working days of the payment."""
    case = PROGRAMME.lock(case, by)
    if case.status == PS.APPROVED and (case.programme == P.LOW_INCOME or not case.amount):
        raise ValidationError(_("A low-income recognition pays no cash."), code="no_cash")
    PROGRAMME.check(case, "pay", by)
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
    return PROGRAMME.move(case, "pay", by, reason, **fields)


@transaction.atomic
def programme_document(
    *, case: ProgrammeCase, on: dt.date, by: User, note: str = ""
) -> ProgrammeCase:
    """Record that the supporting documents of temporary assistance are complete (after the
    payment in an emergency; late when past `documentation_due`)."""
    case = PROGRAMME.lock(case, by)
    if case.programme != P.TEMPORARY:
        raise ValidationError(_("Only temporary assistance records documentation separately."))
    if case.documented_on:
        raise ValidationError(_("The documents are already recorded."))
    PROGRAMME.check(case, "document", by)
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
    return PROGRAMME.move(case, "document", by, reason, documented_on=on)


@transaction.atomic
def programme_close(*, case: ProgrammeCase, by: User, reason: str) -> ProgrammeCase:
    """Withdraw an application, cancel an unpaid award, or end an ongoing recognition (tekun,
    low-income) — always with a reason."""
    case = PROGRAMME.lock(case, by)
    # Cancelling an approved one-off award is the deciding level's (declared apart).
    action = "cancel" if case.status == PS.APPROVED and case.programme not in ONGOING else "close"
    PROGRAMME.check(case, action, by)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason.")]})
    return PROGRAMME.move(case, action, by, reason.strip())
