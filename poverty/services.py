"""Poverty register writes. Each action is one function: atomic, the record row locked
(select_for_update), guarded by the declaration (poverty.workflow: wrong status → "wrong_status",
anything else the user may not do → PermissionDenied), a PovertyRecordTransition written in the
same transaction, and the signals of poverty.signals sent after the change is saved, inside the
transaction (a receiver's write rolls back with it). Bad input: ValidationError with a field
dict, nothing written.
"""

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import Region, User
from core.notifications.recipients import users_for
from core.notifications.services import Target, notification_send
from core.scope import region_in_scope
from core.workflow import has_any_perm
from households.models import Household, Membership, Relation
from poverty import rules, signals
from poverty.models import (
    AssistanceMeasure,
    ExitCertificate,
    MeasureKind,
    PovertyCause,
    PovertyLine,
    PovertyRecord,
)
from poverty.permissions import ADD_MEASURE
from poverty.workflow import POVERTY

S = PovertyRecord.Status
# Who is told of the aid a registration's causes propose: the town's caseworkers.
AID_PERM = "assistance.add_programmecase"
# The verification code's alphabet: no 0/O, 1/I/L (read aloud and typed from paper).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12  # 31^12 ≈ 2^59: not guessable, and the public page is rate-limited


# ----------------------------------------------------------------------------- helpers


def _date_errors(
    field: str, day: dt.date | None, *, after: tuple[dt.date | None, Any] | None = None
) -> dict[str, list[str]]:
    """A business date is given, never in the future and never before the previous step's."""
    if day is None:
        return {field: [_("Enter the date.")]}
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


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _begin(record: PovertyRecord, action: str, by: User) -> PovertyRecord:
    """Lock the record row, then check the action (status first: a second person acting at once
    waits for the lock, then finds the status changed)."""
    record = POVERTY.lock(record, by)
    POVERTY.check(record, action, by)
    return record


def _last_step(record: PovertyRecord) -> tuple[dt.date | None, Any]:
    """The latest business date of the record so far, and what it was."""
    steps: list[tuple[dt.date | None, Any]] = [
        (record.registered_on, gettext_lazy("the registration")),
        (record.returned_on, gettext_lazy("the return to poverty")),
        (
            record.measures.order_by("-started_on").values_list("started_on", flat=True).first(),
            gettext_lazy("the latest measure"),
        ),
    ]
    known = [(d, what) for d, what in steps if d is not None]
    return max(known, key=lambda x: x[0]) if known else (None, "")


# ----------------------------------------------------------------------------- registration


@transaction.atomic
def poverty_record_register(
    *,
    household: Household,
    registered_on: dt.date,
    causes: Iterable[str],
    by: User,
    reason: str = "",
) -> PovertyRecord:
    """Register the household in the poverty register (建档立卡), with its causes (one or more).
    Called by the poverty office's own page and API, and by transitions when the poverty office
    accepts a dibao household's referral. Tells the town's caseworkers which aid the causes
    propose (poverty.rules)."""
    household = Household.objects.select_for_update().select_related("village").get(pk=household.pk)
    POVERTY.check(PovertyRecord(household=household), "register", by)
    causes = list(dict.fromkeys(causes))
    errors = _date_errors("registered_on", registered_on)
    if not causes:
        errors["causes"] = [_("Choose at least one cause of poverty.")]
    elif unknown := [c for c in causes if c not in PovertyCause.values]:
        errors["causes"] = [_("Unknown cause: %(c)s.") % {"c": "、".join(unknown)}]
    existing = PovertyRecord.objects.filter(household=household).first()
    if existing is not None:
        errors["household"] = [
            _("This household is already registered (%(record)s, %(status)s).")
            % {"record": existing, "status": existing.get_status_display()}
            + (
                " " + _("A household that fell back is recorded as returned to poverty.")
                if existing.status == S.EXIT_CONFIRMED
                else ""
            )
        ]
    _raise(errors)
    record = PovertyRecord.objects.create(
        household=household, registered_on=registered_on, causes=causes, created_by=by
    )
    POVERTY.move(record, "register", by, reason.strip())
    _propose_aid(record, by)
    return record


def _propose_aid(record: PovertyRecord, by: User) -> None:
    aid = rules.aid_for_causes(record.causes)
    if not aid:
        return
    village = record.household.village
    label = str(record)
    notification_send(
        recipients=users_for(village, perm=AID_PERM, levels=(Region.Level.TOWNSHIP,)),
        kind="poverty.aid_proposed",
        title=gettext_lazy("Poverty record %(record)s: its causes propose %(aid)s"),
        params={"record": label, "aid": "、".join(str(a.label) for a in aid)},
        target=Target(
            url=reverse("poverty:detail", args=[record.pk]), label=label, obj=record, region=village
        ),
        by=by,
    )


# ----------------------------------------------------------------------------- measures


@transaction.atomic
def assistance_measure_record(
    *,
    household: Household,
    kind: str,
    started_on: dt.date,
    department: str,
    responsible_person: str,
    funds: Decimal | None,
    outcome: str = "",
    by: User,
) -> AssistanceMeasure:
    """Record a poverty-alleviation measure on a household (registered or not). When the
    household has a poverty record, the measure is linked to it and is a declared step of its
    process: the first one after (re-)registration moves it to "assisted"."""
    household = Household.objects.select_related("village").get(pk=household.pk)
    record = PovertyRecord.objects.filter(household=household).first()
    if record is not None:
        record = _begin(record, "record_measure", by)
    else:
        _check_measure_without_record(household, by)
    errors = _date_errors("started_on", started_on)
    if kind not in MeasureKind.values:
        errors["kind"] = [_("Choose the kind of measure.")]
    if not (department or "").strip():
        errors["department"] = [_("Name the responsible department.")]
    if not (responsible_person or "").strip():
        errors["responsible_person"] = [_("Name the responsible person.")]
    if funds is not None and funds < 0:
        errors["funds"] = [_("The funds cannot be negative.")]
    _raise(errors)
    measure = AssistanceMeasure.objects.create(
        household=household,
        record=record,
        kind=kind,
        started_on=started_on,
        department=department.strip(),
        responsible_person=responsible_person.strip(),
        funds=funds or Decimal("0"),
        outcome=(outcome or "").strip(),
        created_by=by,
    )
    if record is not None:
        first = record.status in (S.REGISTERED, S.RETURNED)
        POVERTY.move(
            record,
            "record_measure",
            by,
            f"{measure.get_kind_display()} {started_on.isoformat()}",
            to=S.ASSISTED if first else None,
        )
    return measure


def _check_measure_without_record(household: Household, by: User) -> None:
    """The declaration's permission, level and scope, for a household outside the register."""
    action = POVERTY["record_measure"]
    if not has_any_perm(by, ADD_MEASURE):
        raise PermissionDenied(_("Your role does not allow this action."))
    if not region_in_scope(by, household.village):
        raise PermissionDenied(_("This region is outside your area of responsibility."))
    level = by.region.level if by.region else ""
    if not by.is_superuser and level not in action.levels:
        raise PermissionDenied(_("Your role does not allow this action."))


# ----------------------------------------------------------------------------- exit


@transaction.atomic
def poverty_record_propose_exit(
    *,
    record: PovertyRecord,
    on: dt.date,
    income_per_capita: Decimal | None,
    evidence: str,
    by: User,
) -> PovertyRecord:
    """The poverty office proposes the household's exit: its per-capita monthly income now (at
    least the poverty line in force, per month) and the evidence."""
    record = _begin(record, "propose_exit", by)
    errors = _date_errors("on", on, after=_last_step(record))
    if income_per_capita is None:
        errors["income_per_capita"] = [_("Enter the per-capita monthly income.")]
    elif income_per_capita < 0:
        errors["income_per_capita"] = [_("The income cannot be negative.")]
    elif on is not None:
        line = PovertyLine.objects.in_force(on).first()
        if line is not None and income_per_capita < line.monthly:
            errors["income_per_capita"] = [
                _(
                    "The income is below the poverty line in force (%(line)s yuan per person "
                    "per month): the household cannot exit yet."
                )
                % {"line": line.monthly}
            ]
    if not (evidence or "").strip():
        errors["evidence"] = [_("Describe the evidence for the exit.")]
    _raise(errors)
    return POVERTY.move(
        record,
        "propose_exit",
        by,
        evidence.strip(),
        exit_proposed_on=on,
        exit_income_per_capita=income_per_capita,
        exit_evidence=evidence.strip(),
    )


@transaction.atomic
def poverty_record_confirm_exit(
    *,
    record: PovertyRecord,
    confirmed_on: dt.date,
    document_no: str,
    confirming_level: str,
    by: User,
) -> PovertyRecord:
    """A poverty-office reviewer of the district records the government's confirmation of the
    exit (never whoever registered, assisted or proposed it), the certificate is issued and
    `exit_confirmed` sent (transitions informs civil affairs)."""
    record = _begin(record, "confirm_exit", by)
    errors = _date_errors(
        "confirmed_on", confirmed_on, after=(record.exit_proposed_on, _("the exit proposal"))
    )
    if not (document_no or "").strip():
        errors["document_no"] = [_("Enter the number of the government's confirmation document.")]
    if confirming_level not in PovertyRecord.ConfirmingLevel.values:
        errors["confirming_level"] = [_("Choose which government confirmed the exit.")]
    _raise(errors)
    record = POVERTY.move(
        record,
        "confirm_exit",
        by,
        document_no.strip(),
        exit_confirmed_on=confirmed_on,
        exit_document_no=document_no.strip(),
        exit_confirming_level=confirming_level,
    )
    certificate_issue(record=record, by=by)
    signals.exit_confirmed.send(sender=PovertyRecord, record=record, by=by)
    return record


@transaction.atomic
def poverty_record_withdraw_exit(*, record: PovertyRecord, reason: str, by: User) -> PovertyRecord:
    """The exit proposal is withdrawn (the government did not confirm it, or it was premature):
    the record is "assisted" again, the proposal's evidence kept in the history."""
    record = _begin(record, "withdraw_exit", by)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason.")]})
    return POVERTY.move(
        record,
        "withdraw_exit",
        by,
        reason.strip(),
        exit_proposed_on=None,
        exit_income_per_capita=None,
        exit_evidence="",
    )


@transaction.atomic
def poverty_record_return(
    *, record: PovertyRecord, on: dt.date, reason: str, by: User
) -> PovertyRecord:
    """The household fell back into poverty after its exit: re-registered on the same record
    (status "returned"; its next measure makes it "assisted" again); `returned_to_poverty` sent
    (transitions has its dibao re-assessed)."""
    record = _begin(record, "return", by)
    errors = _date_errors(
        "on", on, after=(record.exit_confirmed_on, _("the confirmation of the exit"))
    )
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason for the return to poverty.")]
    _raise(errors)
    record = POVERTY.move(record, "return", by, reason.strip(), returned_on=on)
    signals.returned_to_poverty.send(sender=PovertyRecord, record=record, by=by)
    return record


@transaction.atomic
def poverty_record_report_cannot_exit(
    *, record: PovertyRecord, reason: str, by: User
) -> PovertyRecord:
    """The poverty office reports that the household cannot leave poverty through industry or
    employment support (domain.md §8: a candidate for safety-net dibao). The status is kept."""
    record = _begin(record, "report_cannot_exit", by)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason.")]})
    record = POVERTY.move(record, "report_cannot_exit", by, reason.strip())
    signals.cannot_exit_reported.send(
        sender=PovertyRecord, record=record, reason=reason.strip(), by=by
    )
    return record


# ----------------------------------------------------------------------------- certificates


def canonical_json(content: dict[str, Any]) -> str:
    """The certificate's content as hashed: sorted keys, no spaces, UTF-8 characters as such."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """What a person types from paper: spaces and dashes dropped, upper case."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def certificate_issue(*, record: PovertyRecord, by: User | None) -> ExitCertificate:
    """Issue the exit certificate of a confirmed record (called inside the confirmation's
    transaction). Its content is fixed at issue; the hash printed on it is of that content."""
    assert record.status == S.EXIT_CONFIRMED and record.exit_confirmed_on is not None
    household = record.household
    village = household.village
    head = (
        Membership.objects.active()
        .filter(household=household, relation=Relation.HEAD)
        .select_related("person")
        .first()
    )
    members = Membership.objects.active().filter(household=household).count()
    seq = ExitCertificate.objects.filter(record=record).count() + 1
    number = f"TP{record.exit_confirmed_on.year}{village.code[:6]}{record.pk:06d}{seq:02d}"
    content = {
        "certificate_no": number,
        "record": str(record),
        "household": household.pk,
        "head_name": head.person.name if head else "",
        "members": members,
        "village": village.name,
        "village_code": village.code,
        "registered_on": record.registered_on.isoformat(),
        "confirmed_on": record.exit_confirmed_on.isoformat(),
        "document_no": record.exit_document_no,
        "confirming_level": record.exit_confirming_level,
        "issued_on": timezone.localdate().isoformat(),
    }
    return ExitCertificate.objects.create(
        record=record,
        number=number,
        verification_code=new_verification_code(),
        content=content,
        content_hash=content_hash(content),
        issued_by=by,
    )
