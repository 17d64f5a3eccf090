"""Dibao case writes. A transition is one function: atomic, guarded by the allowed statuses, the
case row locked (select_for_update), a CaseTransition (actor, from, to, reason) written in the
same transaction. Two people acting on the same case at once: the second one waits for the lock,
then finds the status changed and gets a clear message.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance import deadlines, notify, signals
from assistance.dibao.workflow import (
    DECIDER_INVESTIGATES,
    DIBAO,
    RECEPTION,
    RECEPTION_THEN,
    decides,
)
from assistance.models import (
    Attachment,
    BenefitAward,
    CaseReview,
    CaseSubmission,
    DibaoCase,
    DibaoStandard,
    ExpenditureDeclaration,
    IncomeDeclaration,
    Investigation,
    NamedInvestigator,
    Objection,
    PropertyDeclaration,
    PublicNotice,
)
from assistance.permissions import CHANGE, CONFIRM
from assistance.policy import selectors as policy_data
from assistance.policy.rules import (
    Breakdown,
    ExpenditureItem,
    IncomeItem,
    MemberFacts,
    PropertyItem,
    compute_benefit,
    property_findings,
)
from core.calendar import add_working_days
from core.masking import mask_name
from core.models import User
from core.months import add_months, first_of_next_month
from households.models import Household, LabourCapacity, Person, Relation

S = DibaoCase.Status
ATTACHMENT_TYPES = {"image/jpeg", "image/png", "application/pdf"}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024

# Hooks other apps register at start-up (AppConfig.ready) without assistance importing them,
# e.g. verification adds "no unresolved disqualifying findings". Each returns error messages.
proposal_checks: list[Callable[[DibaoCase], list[str]]] = []


# ----------------------------------------------------------------------------- business dates


def _date_errors(
    field: str, day: dt.date, *, after: tuple[dt.date | None, str] | None = None
) -> dict[str, list[str]]:
    """A business date is never in the future and never before the previous step's date
    (`after`: that date and what the step was). Field-keyed, so forms and the API show it on
    the field."""
    if day > timezone.localdate():
        return {field: [_("This date cannot be in the future.")]}
    if after is not None and after[0] is not None and day < after[0]:
        return {
            field: [
                _("This date cannot be before %(step)s (%(d)s).")
                % {"step": after[1], "d": after[0].isoformat()}
            ]
        }
    return {}


def _check_date(field: str, day: dt.date, *, after: tuple[dt.date | None, str] | None = None):  # type: ignore[no-untyped-def]
    errors = _date_errors(field, day, after=after)
    if errors:
        raise ValidationError(errors)


def _last_step(case: DibaoCase) -> tuple[dt.date | None, str]:
    """The latest business date of the procedure so far, and what it was (for a refusal)."""
    steps: list[tuple[dt.date | None, str]] = [
        (case.applied_on, _("the application")),
        (case.accepted_on, _("the acceptance")),
        (
            case.investigations.order_by("-home_visit_on")
            .values_list("home_visit_on", flat=True)
            .first(),
            _("the home visit"),
        ),
        (case.proposed_on, _("the township proposal")),
        (
            case.notices.order_by("-starts_on").values_list("starts_on", flat=True).first(),
            _("the start of the public notice"),
        ),
    ]
    known = [(d, what) for d, what in steps if d is not None]
    return max(known, key=lambda x: x[0]) if known else (None, "")


# ----------------------------------------------------------------------------- the transition core


def _begin(case: DibaoCase, action: str, by: User) -> DibaoCase:
    """Lock the case row, then check the action against the declaration (status, permission,
    level, separation of duties). Locking first: a second person acting at once waits, then
    finds the status changed."""
    case = DIBAO.lock(case, by)
    DIBAO.check(case, action, by)
    return case


# ----------------------------------------------------------------------------- application


@transaction.atomic
def dibao_case_create(
    *,
    household: Household,
    by: User,
    unit: str = DibaoCase.Unit.HOUSEHOLD,
    single_person: Person | None = None,
    applicant: Person | None = None,
    agent_name: str = "",
    relative_of_staff: bool = False,
    relative_note: str = "",
) -> DibaoCase:
    household = Household.objects.select_for_update().select_related("village").get(pk=household.pk)
    DIBAO.check(DibaoCase(household=household), "create", by)
    active_ids = set(household.memberships.active().values_list("person_id", flat=True))
    errors: dict[str, list[str]] = {}
    if unit == DibaoCase.Unit.SINGLE_PERSON:
        if single_person is None or single_person.pk not in active_ids:
            errors["single_person"] = [_("Choose the member who forms the single-person unit.")]
        elif not (
            single_person.severely_disabled
            and not policy_data.age_bands(timezone.localdate()).minor(single_person.age)
        ):
            errors["single_person"] = [
                _(
                    "A single-person unit is for an adult with grade 1–2 disability "
                    "(or grade 3 intellectual/mental disability)."
                )
            ]
    elif single_person is not None:
        errors["single_person"] = [_("Only a single-person unit names a person.")]
    if applicant is not None and applicant.pk not in active_ids:
        errors["applicant"] = [_("The applicant must be a member of the household.")]
    if applicant is None and not agent_name.strip():
        errors["applicant"] = [_("Name the applying member or the agent.")]
    if relative_of_staff and not relative_note.strip():
        errors["relative_note"] = [_("Describe the relationship to the staff member or cadre.")]
    if errors:
        raise ValidationError(errors)
    case = DibaoCase(
        household=household,
        unit=unit,
        single_person=single_person if unit == DibaoCase.Unit.SINGLE_PERSON else None,
        applicant=applicant,
        agent_name=agent_name.strip(),
        relative_of_staff=relative_of_staff,
        relative_note=relative_note.strip(),
        created_by=by,
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise ValidationError(
            {"household": [_("This household already has an open dibao case.")]}
        ) from None
    return DIBAO.move(case, "create", by, _("Case opened"))


@transaction.atomic
def dibao_case_sign(
    *, case: DibaoCase, authorization_on: dt.date, good_faith_on: dt.date, by: User
) -> DibaoCase:
    """Record the applicant's signed data-check authorisation and good-faith declaration."""
    case = _begin(case, "sign", by)
    errors = _date_errors("authorization_on", authorization_on) | _date_errors(
        "good_faith_on", good_faith_on
    )
    if errors:
        raise ValidationError(errors)
    return DIBAO.move(
        case,
        "sign",
        by,
        _("Signatures recorded"),
        authorization_signed_on=authorization_on,
        good_faith_signed_on=good_faith_on,
    )


@transaction.atomic
def dibao_case_apply(*, case: DibaoCase, applied_on: dt.date, by: User) -> DibaoCase:
    case = _begin(case, "apply", by)
    _check_date("applied_on", applied_on)
    return DIBAO.move(
        case,
        "apply",
        by,
        _("Application submitted"),
        applied_on=applied_on,
        acceptance_due=deadlines.acceptance_due(applied_on),
    )


@transaction.atomic
def dibao_case_accept(*, case: DibaoCase, accepted_on: dt.date, by: User) -> DibaoCase:
    """受理: starts the clocks — investigation within 3 working days, the procedure within 30."""
    case = _begin(case, "accept", by)
    _check_date("accepted_on", accepted_on, after=(case.applied_on, _("the application")))
    return DIBAO.move(
        case,
        "accept",
        by,
        _("Application accepted"),
        accepted_on=accepted_on,
        investigation_due=add_working_days(
            accepted_on, policy_data.int_parameter("start_investigation_wd", accepted_on)
        ),
        procedure_due=add_working_days(
            accepted_on, policy_data.int_parameter("procedure_limit_wd", accepted_on)
        ),
    )


@transaction.atomic
def dibao_case_extend(*, case: DibaoCase, reason: str, by: User) -> DibaoCase:
    """Use the extended limit (45 working days) with a recorded reason."""
    case = _begin(case, "extend", by)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the extension.")]})
    if case.extension_reason:
        raise ValidationError(_("The limit has already been extended."))
    if case.accepted_on is None:
        raise ValidationError(_("The application has no acceptance date."))
    return DIBAO.move(
        case,
        "extend",
        by,
        reason.strip(),
        extension_reason=reason.strip(),
        procedure_due=add_working_days(
            case.accepted_on,
            policy_data.int_parameter("procedure_limit_extended_wd", case.accepted_on),
        ),
    )


@transaction.atomic
def dibao_case_start_investigation(*, case: DibaoCase, by: User) -> DibaoCase:
    case = _begin(case, "start_investigation", by)
    if not (case.authorization_signed_on and case.good_faith_signed_on):
        raise ValidationError(
            _(
                "The applicant's signed authorisation for data checks and good-faith declaration "
                "must be recorded first."
            ),
            code="unsigned",
        )
    case = DIBAO.move(case, "start_investigation", by, _("Investigation started"))
    # The authorisation is signed: the economic cross-check may run (verification listens).
    signals.investigation_started.send(sender=DibaoCase, case=case, by=by)
    return case


def reception_steps(case: DibaoCase) -> list[str]:
    """The actions of the reception (workflow.RECEPTION) still to take on this case, in order:
    an application submitted earlier, or signatures recorded earlier, are not taken again."""
    steps = []
    for name in RECEPTION:
        if name == "sign":
            if not (case.authorization_signed_on and case.good_faith_signed_on):
                steps.append(name)
        elif name == "apply":
            if case.status == S.DRAFT:
                steps.append(name)
        elif name == "accept" and case.status in (S.DRAFT, S.APPLIED):
            steps.append(name)
    return steps if "accept" in steps else []


@transaction.atomic
def dibao_case_receive(
    *,
    case: DibaoCase,
    accepted_on: dt.date,
    by: User,
    applied_on: dt.date | None = None,
    authorization_on: dt.date | None = None,
    good_faith_on: dt.date | None = None,
    start_investigation: bool = False,
) -> DibaoCase:
    """At the service window: the application, the applicant's signatures and the acceptance in
    one step (workflow.RECEPTION), and the start of the investigation if asked
    (RECEPTION_THEN). Each declared action is taken through its own service — its own guard,
    its own history row, the same separation-of-duty facts — in one transaction: all or
    nothing. Steps already taken (see reception_steps) are skipped.

    Dates: none in the future; the signatures not before the application; the acceptance not
    before the application nor the signatures. All date errors are reported at once."""
    case = DIBAO.lock(case, by)
    steps = reception_steps(case)
    if not steps:
        DIBAO.check(case, "accept", by)  # the status says why (wrong_status)
        raise ValidationError(_("Nothing to receive on this case."), code="wrong_status")
    DIBAO.check(case, steps[0], by)  # role, scope and level before any date is looked at
    errors: dict[str, list[str]] = {}
    missing = [_("Enter the date.")]
    applied = case.applied_on
    if "apply" in steps:
        if applied_on is None:
            errors["applied_on"] = missing
        else:
            errors |= _date_errors("applied_on", applied_on)
            applied = applied_on
    after: list[tuple[dt.date | None, str]] = [(applied, _("the application"))]
    if "sign" in steps:
        for field, day in (
            ("authorization_on", authorization_on),
            ("good_faith_on", good_faith_on),
        ):
            if day is None:
                errors[field] = missing
            else:
                errors |= _date_errors(field, day, after=after[0])
        after += [
            (d, _("the signatures")) for d in (authorization_on, good_faith_on) if d is not None
        ]
    else:
        after += [
            (d, _("the signatures"))
            for d in (case.authorization_signed_on, case.good_faith_signed_on)
            if d is not None
        ]
    known = [a for a in after if a[0] is not None]
    latest = max(known, key=lambda a: a[0]) if known else None  # type: ignore[arg-type,return-value]
    errors |= _date_errors("accepted_on", accepted_on, after=latest)
    if errors:
        raise ValidationError(errors)
    for name in steps:
        if name == "apply":
            case = dibao_case_apply(case=case, applied_on=applied_on, by=by)  # type: ignore[arg-type]
        elif name == "sign":
            case = dibao_case_sign(
                case=case,
                authorization_on=authorization_on,  # type: ignore[arg-type]
                good_faith_on=good_faith_on,  # type: ignore[arg-type]
                by=by,
            )
        elif name == "accept":
            case = dibao_case_accept(case=case, accepted_on=accepted_on, by=by)
    if start_investigation:
        assert RECEPTION_THEN == "start_investigation"
        case = dibao_case_start_investigation(case=case, by=by)
    return case


def submitted_case(token: uuid.UUID | None) -> int | None:
    """The case the form with this token was submitted for (a second click on "open the case"
    is shown the case the first one opened)."""
    if token is None:
        return None
    return CaseSubmission.objects.filter(token=token).values_list("case_id", flat=True).first()


@contextmanager
def submitted_once(
    *, token: uuid.UUID | None, action: str, by: User, case: DibaoCase | None = None
) -> Iterator[CaseSubmission | None]:
    """One transaction around a form's write that also stores the form's one-time token: posted
    again (a double click, the back button and submit) the write is refused with code
    "duplicate" and nothing is written twice. A second post while the first is still running
    waits on the token's unique key, then finds it. Without a token, just the transaction."""
    with transaction.atomic():
        submission = None
        if token is not None:
            try:
                with transaction.atomic():
                    submission = CaseSubmission.objects.create(
                        token=token, case=case, action=action, by=by
                    )
            except IntegrityError:
                raise ValidationError(
                    _(
                        "This form was already submitted (a double click, or the back button "
                        "and submit again): nothing was saved twice."
                    ),
                    code="duplicate",
                ) from None
        yield submission


# ----------------------------------------------------------------------------- declarations


def _unit_person_ids(case: DibaoCase) -> set[int]:
    if case.unit == DibaoCase.Unit.SINGLE_PERSON and case.single_person_id:
        return {case.single_person_id}
    return set(case.household.memberships.active().values_list("person_id", flat=True))


def _check_amount(amount: Decimal, field: str = "monthly_amount") -> Decimal:
    amount = Decimal(amount)
    if amount < 0:
        raise ValidationError({field: [_("An amount cannot be negative.")]})
    if amount > Decimal("1000000"):
        raise ValidationError({field: [_("This amount is implausibly large; please check it.")]})
    return amount


@transaction.atomic
def declarations_replace(
    *,
    case: DibaoCase,
    incomes: list[dict[str, Any]],
    expenditures: list[dict[str, Any]],
    properties: list[dict[str, Any]],
    by: User,
) -> DibaoCase:
    """Replace the case's declarations as a whole (all rows valid, or nothing changes).

    incomes: {person, income_type, monthly_amount, note}; expenditures: {person,
    expenditure_type, monthly_amount, note}; properties: {person|None, kind, value, description,
    exempt_reason}. Persons must be members of the household.
    """
    case = _begin(case, "declare", by)
    members = set(case.household.memberships.active().values_list("person_id", flat=True))
    errors: dict[str, list[str]] = {}

    def person_ok(key: str, person: Person | None, required: bool = True) -> None:
        if person is None:
            if required:
                errors[key] = [_("Choose the member.")]
            return
        if person.pk not in members:
            errors[key] = [_("%(name)s is not a member of this household.") % {"name": person.name}]

    for group, rows, amount_field in (
        ("incomes", incomes, "monthly_amount"),
        ("expenditures", expenditures, "monthly_amount"),
        ("properties", properties, "value"),
    ):
        for i, row in enumerate(rows):
            person_ok(f"{group}.{i}.person", row.get("person"), required=group != "properties")
            try:
                row[amount_field] = _check_amount(row.get(amount_field, 0), amount_field)
            except ValidationError as e:
                errors[f"{group}.{i}.{amount_field}"] = e.message_dict[amount_field]
            except ArithmeticError:
                errors[f"{group}.{i}.{amount_field}"] = [_("Enter a number.")]
    if errors:
        raise ValidationError(errors)
    case.incomes.all().delete()
    case.expenditures.all().delete()
    case.properties.all().delete()
    IncomeDeclaration.objects.bulk_create(IncomeDeclaration(case=case, **r) for r in incomes)
    ExpenditureDeclaration.objects.bulk_create(
        ExpenditureDeclaration(case=case, **r) for r in expenditures
    )
    PropertyDeclaration.objects.bulk_create(PropertyDeclaration(case=case, **r) for r in properties)
    return DIBAO.move(case, "declare", by, _("Declarations entered"))


# ----------------------------------------------------------------------------- computation


def case_breakdown(case: DibaoCase, *, on: dt.date, policy_on: dt.date | None = None) -> Breakdown:
    """The benefit for this case on date `on`, from its declarations and the policy in force
    (on `policy_on` if given: the household's facts on one date under another date's policy,
    which tells a change of the household's data from a change of policy)."""
    household = case.household
    county = policy_data.county_of(household.village)
    policy = policy_data.policy_on(
        county=county, hukou_type=household.hukou_type, on=policy_on or on
    )
    unit_ids = _unit_person_ids(case)
    persons = Person.objects.filter(pk__in=unit_ids).order_by("id")
    no_supporter = (
        set(case.persons_without_supporter.values_list("id", flat=True)) if case.pk else set()
    )
    members = [
        MemberFacts(
            person_id=p.pk,
            name=p.name,
            age=p.age_on(on),
            disability_grade=p.disability_grade,
            seriously_ill=bool(p.serious_illness_id),
            labour_capacity=p.labour_capacity(on),
            has_legal_supporter=p.pk not in no_supporter,
        )
        for p in persons
    ]
    incomes = [
        IncomeItem(
            person_id=i.person_id,
            type_code=i.income_type.code,
            type_name=i.income_type.name,
            counted=i.income_type.counted,
            monthly_amount=i.monthly_amount,
        )
        for i in case.incomes.select_related("income_type")
    ]
    expenditures = [
        ExpenditureItem(
            person_id=e.person_id,
            type_name=e.expenditure_type.name,
            kind=e.expenditure_type.kind,
            deductible=e.expenditure_type.deductible,
            monthly_amount=e.monthly_amount,
        )
        for e in case.expenditures.select_related("expenditure_type")
    ]
    return compute_benefit(
        members=members,
        incomes=incomes,
        expenditures=expenditures,
        policy=policy,
        price_subsidy_applies=False,  # the price subsidy is added by payroll, month by month
    )


def case_property_findings(case: DibaoCase, *, on: dt.date) -> list[str]:
    county = policy_data.county_of(case.household.village)
    standard = policy_data.standard_on(county, on).amount_for(case.household.hukou_type)
    items = [
        PropertyItem(kind=p.kind, value=p.value, exempt_reason=p.exempt_reason)
        for p in case.properties.all()
    ]
    return property_findings(
        items=items,
        members=len(_unit_person_ids(case)),
        standard=standard,
        asset_months=policy_data.parameter("asset_months", on),
    )


# ----------------------------------------------------------------------------- investigation


@transaction.atomic
def investigation_record(
    *,
    case: DibaoCase,
    home_visit_on: dt.date,
    investigators: list[User],
    findings: str,
    by: User,
    neighbour_interviews: str = "",
    evidence_requests: str = "",
    persons_without_supporter: list[Person] | None = None,
    named: list[dict[str, str]] | None = None,
) -> Investigation:
    """The home visit. Investigators are users (`investigators`) and persons who are not users
    (`named`: {name, unit, role}, e.g. a village cadre): at least two in all. A user who decides
    this case (the district reviewer) is never recorded as one of its investigators."""
    case = _begin(case, "investigate", by)
    errors: dict[str, list[str]] = {}
    distinct = {u.pk: u for u in investigators}
    people = _named_investigators(named or [], errors)
    if len(distinct) + len(people) < 2:
        errors["investigators"] = [_("A home visit needs at least two named investigators.")]
    outside = [u for u in distinct.values() if not u.has_perm(CHANGE) and not u.has_perm(CONFIRM)]
    if outside:
        errors["investigators"] = [
            _("%(names)s cannot investigate dibao cases.")
            % {"names": "、".join(u.get_full_name() or u.username for u in outside)}
        ]
    deciders = [u for u in distinct.values() if u not in outside and decides(case, u)]
    if deciders:
        errors["investigators"] = [
            str(DECIDER_INVESTIGATES)
            % {"names": "、".join(u.get_full_name() or u.username for u in deciders)}
        ]
    errors |= _date_errors(
        "home_visit_on", home_visit_on, after=(case.accepted_on, _("the acceptance"))
    )
    if not findings.strip():
        errors["findings"] = [_("Record the findings of the home visit.")]
    members = _unit_person_ids(case)
    for p in persons_without_supporter or []:
        if p.pk not in members:
            errors["persons_without_supporter"] = [_("Only members of the unit can be listed.")]
    if errors:
        raise ValidationError(errors)
    inv = Investigation.objects.create(
        case=case,
        home_visit_on=home_visit_on,
        neighbour_interviews=neighbour_interviews.strip(),
        evidence_requests=evidence_requests.strip(),
        findings=findings.strip(),
        recorded_by=by,
    )
    inv.investigators.set(distinct.values())
    NamedInvestigator.objects.bulk_create(NamedInvestigator(investigation=inv, **p) for p in people)
    if persons_without_supporter is not None:
        case.persons_without_supporter.set(persons_without_supporter)
    DIBAO.move(case, "investigate", by, _("Home visit of %(d)s recorded") % {"d": home_visit_on})
    return inv


def _named_investigators(
    rows: list[dict[str, str]], errors: dict[str, list[str]]
) -> list[dict[str, str]]:
    """The named persons cleaned: a name and a role each, no one twice; errors keyed
    "named_investigators.<i>.<field>" (the form's rows, the API's list items)."""
    people: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows):
        name = (row.get("name") or "").strip()
        unit = (row.get("unit") or "").strip()
        role = (row.get("role") or "").strip()
        if not name:
            errors[f"named_investigators.{i}.name"] = [_("Enter the person's full name.")]
            continue
        if role not in NamedInvestigator.Role.values:
            errors[f"named_investigators.{i}.role"] = [_("Choose the person's role.")]
            continue
        if (name, unit) in seen:
            errors[f"named_investigators.{i}.name"] = [
                _("%(name)s is listed twice.") % {"name": name}
            ]
            continue
        seen.add((name, unit))
        people.append({"name": name[:50], "unit": unit[:100], "role": role})
    return people


@transaction.atomic
def attachment_add(
    *,
    case: DibaoCase,
    uploaded: Any,
    by: User,
    investigation: Investigation | None = None,
    description: str = "",
) -> Attachment:
    """Photos and scans: JPEG, PNG or PDF up to 10 MB, checked by content, not only by name.
    A recorded step: evidence is part of a decision's basis (separation of duties)."""
    case = _begin(case, "attach", by)
    size = getattr(uploaded, "size", 0) or 0
    if size == 0:
        raise ValidationError({"file": [_("The file is empty.")]})
    if size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {"file": [_("The file is %(mb).1f MB; the limit is 10 MB.") % {"mb": size / 1048576}]}
        )
    head = uploaded.read(8)
    uploaded.seek(0)
    sniffed = (
        "image/jpeg"
        if head.startswith(b"\xff\xd8\xff")
        else "image/png"
        if head.startswith(b"\x89PNG\r\n\x1a\n")
        else "application/pdf"
        if head.startswith(b"%PDF")
        else ""
    )
    if sniffed not in ATTACHMENT_TYPES:
        raise ValidationError({"file": [_("Only JPEG, PNG or PDF files can be attached.")]})
    if investigation is not None and investigation.case_id != case.pk:
        raise ValidationError({"investigation": [_("That investigation belongs to another case.")]})
    attachment = Attachment.objects.create(
        case=case,
        investigation=investigation,
        file=uploaded,
        original_name=getattr(uploaded, "name", "upload")[:255],
        content_type=sniffed,
        size=size,
        description=description.strip(),
        uploaded_by=by,
    )
    DIBAO.move(
        case, "attach", by, _("File attached: %(name)s") % {"name": attachment.original_name}
    )
    return attachment


# ----------------------------------------------------------------------------- proposal and notice


@transaction.atomic
def dibao_case_propose(*, case: DibaoCase, on: dt.date, by: User, reason: str = "") -> DibaoCase:
    """初审意见: the township proposes the computed amount (the policy in force on `on`)."""
    case = _begin(case, "propose", by)
    # Never in the future (a proposal dated 2030 would take today's standard as 2030's and the
    # case could never be confirmed), never before the last home visit.
    last_visit = case.investigations.order_by("-home_visit_on").first()
    _check_date(
        "on",
        on,
        after=(last_visit.home_visit_on, _("the home visit"))
        if last_visit
        else (case.accepted_on, _("the acceptance")),
    )
    problems: list[str] = []
    if not case.investigations.exists():
        problems.append(_("Record the home visit (two investigators) first."))
    for check in proposal_checks:
        problems.extend(check(case))
    if problems:
        raise ValidationError(problems, code="checks")
    breakdown = case_breakdown(case, on=on)
    if not breakdown.eligible:
        raise ValidationError(
            _(
                "Per-capita income %(pci)s ≥ standard %(std)s: the household does not qualify. "
                "Refuse the application with written reasons instead."
            )
            % {"pci": breakdown.per_capita_income, "std": breakdown.standard},
            code="not_eligible",
        )
    notify.dibao_case_event(case, "propose", by)
    return DIBAO.move(
        case,
        "propose",
        by,
        reason or _("Township proposal: %(amount)s yuan a month") % {"amount": breakdown.total},
        proposed_amount=breakdown.total,
        proposed_on=on,
        proposed_by=by,
        computation=breakdown.as_json(),
        standard_id=breakdown.standard_id,
    )


@transaction.atomic
def dibao_case_start_notice(
    *, case: DibaoCase, starts_on: dt.date, by: User, backdate_reason: str = ""
) -> PublicNotice:
    """Post the notice. It starts no earlier than the day it is recorded: a start in the past
    would let the case be confirmed at once. Whoever may post the notice may backdate it only
    with a written reason, which goes into the history and onto the notice; the person who
    backdated it may then not confirm the case (workflow.not_backdated_by)."""
    case = _begin(case, "start_notice", by)
    today = timezone.localdate()
    backdate_reason = (backdate_reason or "").strip()
    if case.proposed_on and starts_on < case.proposed_on:
        raise ValidationError({"starts_on": [_("The notice cannot start before the proposal.")]})
    horizon = policy_data.int_parameter("notice_start_horizon_days", today)
    if starts_on > today + dt.timedelta(days=horizon):
        raise ValidationError({"starts_on": [_("The notice start is too far in the future.")]})
    if starts_on < today and not backdate_reason:
        raise ValidationError(
            {
                "starts_on": [
                    _(
                        "A notice starts today or later (it was recorded on %(today)s). To record "
                        "a notice already posted earlier, give the reason."
                    )
                    % {"today": today.isoformat()}
                ],
                "backdate_reason": [_("Required for a notice that started before today.")],
            },
            code="backdated",
        )
    if starts_on >= today:
        backdate_reason = ""  # nothing to justify
    days = policy_data.int_parameter("notice_days", starts_on)
    head = (
        case.household.memberships.active()
        .filter(relation=Relation.HEAD)
        .select_related("person")
        .first()
    )
    name = (
        case.single_person.name
        if case.single_person is not None
        else (head.person.name if head else "")
    )
    notice = PublicNotice.objects.create(
        case=case,
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=days - 1),
        masked_name=mask_name(name),
        member_count=len(_unit_person_ids(case)),
        amount=case.proposed_amount or Decimal("0"),
        posted_by=by,
        backdate_reason=backdate_reason,
    )
    why = _("Public notice %(a)s to %(b)s") % {
        "a": notice.starts_on.isoformat(),
        "b": notice.ends_on.isoformat(),
    }
    if backdate_reason:
        why = _(
            "%(why)s; recorded on %(today)s, started %(n)s days earlier because: %(reason)s"
        ) % {
            "why": why,
            "today": today.isoformat(),
            "n": (today - starts_on).days,
            "reason": backdate_reason,
        }
    DIBAO.move(case, "start_notice", by, why)
    return notice


@transaction.atomic
def dibao_case_object(
    *, case: DibaoCase, received_on: dt.date, content: str, by: User, objector: str = ""
) -> Objection:
    """An objection during the notice sends the case back to investigation; a new notice follows."""
    case = _begin(case, "object", by)
    if not content.strip():
        raise ValidationError({"content": [_("Record what the objection says.")]})
    notice = case.notices.order_by("-starts_on", "-id").first()
    if notice is None:
        raise ValidationError(_("This case has no public notice."))
    _check_date("received_on", received_on)
    if not (notice.starts_on <= received_on <= notice.ends_on):
        raise ValidationError(
            {"received_on": [_("An objection is recorded during the notice period.")]}
        )
    objection = Objection.objects.create(
        notice=notice,
        received_on=received_on,
        objector=objector.strip(),
        content=content.strip(),
        recorded_by=by,
    )
    notice.objected = True
    notice.save(update_fields=["objected"])
    notify.dibao_case_event(case, "object", by)
    DIBAO.move(
        case,
        "object",
        by,
        _("Objection during notice: %(c)s") % {"c": content.strip()[:200]},
        proposed_amount=None,
        proposed_by=None,
        proposed_on=None,
    )
    return objection


@dataclass(frozen=True)
class ConfirmCheck:
    """The published amount against the amount now, and why they differ (the decision page and
    the confirmation share it)."""

    published: Decimal | None
    # The household's data now under the policy of the proposal date: differs from the
    # published amount only if the household's data changed.
    data_now: Breakdown
    # The household's data now under the policy in force on the confirmation date: the amount
    # that is confirmed.
    policy_now: Breakdown
    data_changed: bool
    policy_note: str  # "" when the policy on the confirmation date changes nothing

    @property
    def differs(self) -> bool:
        return self.published is not None and self.policy_now.total != self.published


def _policy_note(old: Breakdown, new: Breakdown, on: dt.date) -> str:
    if new.total == old.total:
        return ""
    if new.standard != old.standard:
        valid_from = (
            DibaoStandard.objects.filter(pk=new.standard_id)
            .values_list("valid_from", flat=True)
            .first()
            if new.standard_id is not None
            else None
        )
        return _("the standard changed from %(old)s to %(new)s yuan on %(d)s") % {
            "old": old.standard,
            "new": new.standard,
            "d": (valid_from or on).isoformat(),
        }
    return _("the policy in force on %(d)s (category supplements) differs") % {"d": on.isoformat()}


def confirm_check(case: DibaoCase, *, on: dt.date) -> ConfirmCheck:
    """Compare the amount published in the notice with the amount on confirmation date `on`."""
    notice = case.notices.order_by("-starts_on", "-id").first()
    published = notice.amount if notice is not None else case.proposed_amount
    proposal_on = case.proposed_on or on
    data_now = case_breakdown(case, on=on, policy_on=proposal_on)
    policy_now = case_breakdown(case, on=on)
    return ConfirmCheck(
        published=published,
        data_now=data_now,
        policy_now=policy_now,
        data_changed=published is not None and data_now.total != published,
        policy_note=_policy_note(data_now, policy_now, on),
    )


@transaction.atomic
def dibao_case_confirm(*, case: DibaoCase, on: dt.date, by: User, reason: str = "") -> DibaoCase:
    """审批确认 by another person than the proposer; payment starts the month after.

    The confirmed amount never differs silently from the published one: if the household's data
    changed during the notice, the confirmation is refused ("data_changed") and the case goes
    back for a new proposal and notice (dibao_case_repropose); if only the policy in force on
    the confirmation date differs (a new standard from 1 January), the new amount is confirmed
    and the difference recorded in the history and on the award."""
    case = _begin(case, "confirm", by)
    notice = case.notices.order_by("-starts_on", "-id").first()
    _check_date("on", on, after=(notice.starts_on if notice else None, _("the public notice")))
    if notice is None or on <= notice.ends_on:
        raise ValidationError(
            {
                "on": [
                    _("The public notice runs until %(d)s; confirm from the day after.")
                    % {"d": notice.ends_on.isoformat() if notice else "?"}
                ]
            },
            code="notice_running",
        )
    check = confirm_check(case, on=on)
    if check.data_changed:
        raise ValidationError(
            _(
                "The notice published %(published)s yuan a month, but the household's data now "
                "give %(now)s yuan under the same policy: the data changed during the notice. "
                "Send the case back for a new proposal and a new notice."
            )
            % {"published": check.published, "now": check.data_now.total},
            code="data_changed",
        )
    breakdown = check.policy_now
    computation = breakdown.as_json()
    note = ""
    if check.differs:
        note = _("Published %(published)s, confirmed %(confirmed)s because %(why)s.") % {
            "published": check.published,
            "confirmed": breakdown.total,
            "why": check.policy_note,
        }
        computation["published_amount"] = str(check.published)
        computation["difference_note"] = note
    start = first_of_next_month(on)
    award = BenefitAward.objects.create(
        case=case,
        effective_month=start,
        base_amount=breakdown.base_amount,
        supplement_amount=breakdown.supplement_amount,
        total=breakdown.total,
        members=breakdown.members,
        standard_id=breakdown.standard_id,
        computation=computation,
        reason=BenefitAward.Reason.CONFIRMATION,
        decided_by=by,
        decided_on=on,
        note=note,
    )
    interval = review_interval_months(case, on=on)
    why = reason or _("Confirmed: %(amount)s yuan a month from %(month)s") % {
        "amount": award.total,
        "month": start.strftime("%Y-%m"),
    }
    notify.dibao_case_event(case, "confirm", by)
    case = DIBAO.move(
        case,
        "confirm",
        by,
        f"{why} {note}".strip() if note else why,
        confirmed_on=on,
        confirmed_by=by,
        payment_start_month=start,
        computation=computation,
        standard_id=breakdown.standard_id,
        review_interval_months=interval,
        next_review_due=add_months(start, interval),
    )
    # The layer above opens what follows (a key-target household's referral): same transaction.
    signals.dibao_confirmed.send(sender=DibaoCase, case=case, by=by)
    return case


@transaction.atomic
def dibao_case_repropose(*, case: DibaoCase, by: User, reason: str = "") -> DibaoCase:
    """Back from the notice to investigation for a new proposal and a new notice, by the
    deciding level (declared as its own action, same separation of duties as confirm) — the
    way out when the household's data changed during the notice. The history row says why."""
    case = _begin(case, "repropose", by)
    reason = (reason or "").strip()
    today = timezone.localdate()
    check = confirm_check(case, on=today)
    if check.data_changed:
        why = _(
            "Back to a new proposal: the notice published %(published)s yuan a month, the "
            "household's data now give %(now)s yuan."
        ) % {"published": check.published, "now": check.data_now.total}
        why = f"{why} {reason}".strip()
    elif reason:
        why = _("Back to a new proposal: %(reason)s") % {"reason": reason}
    else:
        raise ValidationError(
            {
                "reason": [
                    _(
                        "The household's data give the published amount: give the reason for "
                        "a new proposal."
                    )
                ]
            }
        )
    notify.dibao_case_event(case, "repropose", by)
    return DIBAO.move(
        case,
        "repropose",
        by,
        why,
        proposed_amount=None,
        proposed_by=None,
        proposed_on=None,
    )


def review_interval_months(case: DibaoCase, *, on: dt.date) -> int:
    """Every 6 months for unstable income with members able to work, else yearly (§5.8)."""
    unstable = case.incomes.filter(income_type__unstable=True, monthly_amount__gt=0).exists()
    bands = policy_data.age_bands(on)
    # Which labour capacities count as "able to work" here is policy data too.
    capacities = {LabourCapacity.FULL}
    if policy_data.int_parameter("review_partial_capacity_counts", on):
        capacities.add(LabourCapacity.PARTIAL)
    able = any(
        bands.working_age(p.age_on(on)) and p.labour_capacity(on, bands) in capacities
        for p in Person.objects.filter(pk__in=_unit_person_ids(case))
    )
    key = "review_months_unstable" if (unstable and able) else "review_months_stable"
    return policy_data.int_parameter(key, on)


@transaction.atomic
def dibao_case_refuse(*, case: DibaoCase, on: dt.date, reasons: str, by: User) -> DibaoCase:
    """A written refusal with reasons (township after investigation, or the confirming level)."""
    case = DIBAO.lock(case, by)
    # Before the proposal the township refuses; after it, the deciding level (declared apart).
    action = "decide_refuse" if case.status in DIBAO["decide_refuse"].sources else "refuse"
    DIBAO.check(case, action, by)
    if not reasons.strip():
        raise ValidationError({"reasons": [_("A refusal must state its reasons in writing.")]})
    _check_date("on", on, after=_last_step(case))
    notify.dibao_case_event(case, action, by)
    return DIBAO.move(
        case, action, by, reasons.strip(), refused_on=on, refusal_reasons=reasons.strip()
    )


@transaction.atomic
def dibao_case_withdraw(*, case: DibaoCase, reason: str, by: User) -> DibaoCase:
    case = _begin(case, "withdraw", by)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the withdrawal.")]})
    return DIBAO.move(case, "withdraw", by, reason.strip())


@transaction.atomic
def dibao_case_activate(*, case: DibaoCase, by: User | None, reason: str = "") -> DibaoCase:
    """Confirmed → active once its payments start (called by the payroll build)."""
    case = DIBAO.lock(case, None)
    DIBAO.check(case, "activate", None)
    return DIBAO.move(case, "activate", by, reason or _("Payments started"))


# ----------------------------------------------------------------------------- dynamic management


@transaction.atomic
def review_open(
    *, case: DibaoCase, kind: str, reason: str, by: User | None, on: dt.date | None = None
) -> CaseReview:
    """Open a review (periodic when due, or at once for a reported change)."""
    # Opened by a person (a reported change) or by the nightly job (a review that is due).
    action = "review_open" if by is not None else "review_due"
    case = DIBAO.lock(case, by)
    DIBAO.check(case, action, by)
    if kind not in CaseReview.Kind.values:
        raise ValidationError({"kind": [_("Choose the kind of review.")]})
    on = on or timezone.localdate()
    _check_date("on", on, after=(case.confirmed_on, _("the confirmation")))
    review = CaseReview.objects.create(
        case=case,
        kind=kind,
        opened_on=on,
        due_on=add_working_days(on, policy_data.int_parameter("procedure_limit_wd", on)),
        reason=reason.strip(),
        opened_by=by,
    )
    notify.dibao_case_event(case, action, by)
    DIBAO.move(case, action, by, reason.strip() or str(CaseReview.Kind(kind).label))
    if kind == CaseReview.Kind.REPORTED_CHANGE:
        # A phase-out under way ends: the case returns to the normal review (transitions),
        # in this transaction, whichever page or API reported the change.
        signals.change_reported.send(sender=DibaoCase, case=case, review=review, by=by)
    # Every review re-runs the economic cross-check (verification listens).
    signals.review_opened.send(sender=DibaoCase, case=case, review=review, by=by)
    return review


@transaction.atomic
def review_close(
    *, review: CaseReview, outcome: str, on: dt.date, by: User, reason: str = ""
) -> CaseReview:
    """Re-run the computation and end the review unchanged, raised, lowered, suspended or ended."""
    case = _begin(review.case, "review_close", by)
    review = CaseReview.objects.select_for_update().get(pk=review.pk)
    if review.closed_on:
        raise ValidationError(_("This review is already closed."))
    if outcome not in CaseReview.Outcome.values:
        raise ValidationError({"outcome": [_("Choose an outcome.")]})
    _check_date("on", on, after=(review.opened_on, _("the opening of the review")))
    current = current_award(case, month=first_of_next_month(on))
    if review.kind == CaseReview.Kind.PHASE_OUT and current and current.kept_until:
        # The phase-out's end is the district's decision, through its re-assessment
        # (assistance.dibao.phaseout): this review only gathers the new declarations.
        raise ValidationError(
            _(
                "This review gathers the declarations for the phase-out re-assessment: the "
                "district decides it (hand-offs), which closes this review."
            ),
            code="phase_out_review",
        )
    award = None
    target = S.ACTIVE
    if outcome in (CaseReview.Outcome.RAISED, CaseReview.Outcome.LOWERED):
        breakdown = case_breakdown(case, on=on)
        if not breakdown.eligible:
            raise ValidationError(
                _("The recomputed amount is 0: end the review as suspended or terminated."),
                code="not_eligible",
            )
        old_total = current.total if current else Decimal("0")
        if outcome == CaseReview.Outcome.RAISED and breakdown.total <= old_total:
            raise ValidationError(
                _("The recomputed amount %(new)s is not higher than %(old)s.")
                % {"new": breakdown.total, "old": old_total}
            )
        if outcome == CaseReview.Outcome.LOWERED and breakdown.total >= old_total:
            raise ValidationError(
                _("The recomputed amount %(new)s is not lower than %(old)s.")
                % {"new": breakdown.total, "old": old_total}
            )
        award = _award(
            case=case,
            breakdown=breakdown,
            month=first_of_next_month(on),
            reason=BenefitAward.Reason.REVIEW,
            by=by,
            on=on,
            note=reason,
        )
    elif outcome == CaseReview.Outcome.SUSPENDED:
        target = S.SUSPENDED
    elif outcome == CaseReview.Outcome.TERMINATED:
        target = S.TERMINATED
    review.outcome, review.closed_on, review.closed_by, review.award = outcome, on, by, award
    review.save()
    interval = review_interval_months(case, on=on)
    DIBAO.move(
        case,
        "review_close",
        by,
        reason or _("Review closed: %(outcome)s") % {"outcome": CaseReview.Outcome(outcome).label},
        to=target,
        next_review_due=add_months(first_of_next_month(on), interval)
        if target == S.ACTIVE
        else None,
        review_interval_months=interval,
        # Suspended or terminated by the review: payroll stops from the next month.
        payment_stop_month=None if target == S.ACTIVE else first_of_next_month(on),
    )
    return review


def _award(
    *,
    case: DibaoCase,
    breakdown: Breakdown,
    month: dt.date,
    reason: str,
    by: User,
    on: dt.date,
    note: str = "",
    kept_until: dt.date | None = None,
) -> BenefitAward:
    award, _created = BenefitAward.objects.update_or_create(
        case=case,
        effective_month=month,
        defaults={
            "base_amount": breakdown.base_amount,
            "supplement_amount": breakdown.supplement_amount,
            "total": breakdown.total,
            "members": breakdown.members,
            "standard_id": breakdown.standard_id,
            "computation": breakdown.as_json(),
            "reason": reason,
            "decided_by": by,
            "decided_on": on,
            "note": note,
            "kept_until": kept_until,
        },
    )
    return award


def current_award(case: DibaoCase, *, month: dt.date) -> BenefitAward | None:
    return (
        BenefitAward.objects.filter(case=case, effective_month__lte=month)
        .order_by("-effective_month", "-id")
        .first()
    )


@transaction.atomic
def dibao_case_suspend(*, case: DibaoCase, reason: str, by: User) -> DibaoCase:
    case = _begin(case, "suspend", by)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason.")]})
    stop = first_of_next_month(timezone.localdate())
    return DIBAO.move(case, "suspend", by, reason.strip(), payment_stop_month=stop)


@transaction.atomic
def dibao_case_resume(*, case: DibaoCase, reason: str, by: User) -> DibaoCase:
    case = _begin(case, "resume", by)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason.")]})
    # Payments start again next month; the suspended months stay unpaid, even in a payroll
    # draft rebuilt later for one of them.
    return DIBAO.move(
        case,
        "resume",
        by,
        reason.strip(),
        payment_stop_month=None,
        payment_start_month=first_of_next_month(timezone.localdate()),
    )


@transaction.atomic
def dibao_case_terminate(*, case: DibaoCase, reason: str, by: User) -> DibaoCase:
    case = _begin(case, "terminate", by)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason.")]})
    stop = case.payment_stop_month or first_of_next_month(timezone.localdate())
    # Terminated during a review: the review ends with it (else it waits in the inbox forever).
    CaseReview.objects.filter(case=case, closed_on__isnull=True).update(
        outcome=CaseReview.Outcome.TERMINATED, closed_on=timezone.localdate(), closed_by=by
    )
    return DIBAO.move(case, "terminate", by, reason.strip(), payment_stop_month=stop)
