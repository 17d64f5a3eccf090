"""Every write to households, persons and memberships. Each function is atomic, checks the acting
user's permission and region, and leaves a history row (django-simple-history) naming the user
and the reason, in the same transaction."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.masking import mask_id_number
from core.models import Region, User
from core.personal_data import audit_log
from core.scope import region_in_scope
from core.services import require_perm, require_region

from .idnumber import parse_id_number
from .models import Household, Membership, Person, Relation

PERSON_FIELDS = (
    "name",
    "id_number",
    "phone",
    "disability_category",
    "disability_grade",
    "serious_illness",
    "labour_capacity_assessed",
    "labour_capacity_reason",
    "willing_to_accept_help",
    "in_school",
    "employment_status",
    "bank_name",
    "bank_account",
)


@dataclass
class MemberInput:
    """One member row of a household form, spreadsheet or API call."""

    relation: str
    person: dict[str, Any] = field(default_factory=dict)
    start_date: dt.date | None = None


def _stamp(instance: Any, by: User, reason: str) -> None:
    instance._history_user = by
    instance._change_reason = reason


def _check_person_data(
    data: dict[str, Any], *, by: User, instance: Person | None = None
) -> dict[str, Any]:
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown person fields: %s") % ", ".join(sorted(unknown)))
    errors: dict[str, list[str]] = {}
    if "name" in data and not str(data["name"] or "").strip():
        errors["name"] = [_("Name is required.")]
    if "id_number" in data:
        try:
            facts = parse_id_number(data["id_number"])
        except ValidationError as e:
            errors["id_number"] = e.messages
        else:
            data["id_number"] = facts.number
            clash = Person.objects.filter(id_number=facts.number).select_related("region")
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            other = clash.first()
            if other is not None and region_in_scope(by, other.region):
                errors["id_number"] = [
                    _("A person with ID number %(n)s is already registered.") % {"n": facts.number}
                ]
            elif other is not None:
                # Registered outside the user's area: say so without saying where (no leak
                # across districts), and log it (a log line survives the rollback that follows).
                audit_log.warning(
                    "registered_elsewhere user=%s id_number=%s person=%s",
                    by.pk,
                    mask_id_number(facts.number),
                    other.pk,
                )
                errors["id_number"] = [
                    _("This ID number is already registered elsewhere; ask the data administrator.")
                ]
    category = data.get("disability_category", instance.disability_category if instance else "")
    grade = data.get("disability_grade", instance.disability_grade if instance else None)
    if bool(category) != bool(grade):
        errors["disability_grade"] = [
            _("Give both the disability category and the grade, or neither.")
        ]
    assessed = data.get(
        "labour_capacity_assessed", instance.labour_capacity_assessed if instance else ""
    )
    reason = data.get("labour_capacity_reason", instance.labour_capacity_reason if instance else "")
    if assessed and not str(reason or "").strip():
        errors["labour_capacity_reason"] = [
            _("Give a reason when you record a labour capacity other than the default.")
        ]
    if errors:
        raise ValidationError(errors)
    return data


def _person_create(*, data: dict[str, Any], region: Region, by: User) -> Person:
    missing = {
        k: [_("This field is required.")]
        for k in ("name", "id_number")
        if not str(data.get(k) or "").strip()
    }
    if missing:
        raise ValidationError(missing)
    data = _check_person_data(dict(data), by=by)
    person = Person(**data, region=region)
    _stamp(person, by, _("Registered"))
    _save_person(person)
    return person


def _save_person(person: Person) -> None:
    """Save in a savepoint: the duplicate check above runs before the insert, so two requests
    registering one ID number at once both pass it, and the unique constraint decides. The loser
    is told (a conflict, API 409) instead of an IntegrityError (500)."""
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as e:
        constraint = getattr(getattr(e.__cause__, "diag", None), "constraint_name", "")
        if constraint != "households_person_id_number_key":
            raise
        raise ValidationError(
            _(
                "A person with ID number %(n)s has just been registered by someone else. "
                "Reload and search for them."
            )
            % {"n": person.id_number},
            code="conflict",
        ) from None


def _validate_members(members: list[MemberInput]) -> None:
    if not members:
        raise ValidationError({"members": [_("A household needs at least one member.")]})
    heads = [m for m in members if m.relation == Relation.HEAD]
    if len(heads) != 1:
        raise ValidationError({"members": [_("Exactly one member must be the head of household.")]})
    ids = [parse_id_number_safe(m.person.get("id_number", "")) for m in members]
    seen: set[str] = set()
    for n in ids:
        if n and n in seen:
            raise ValidationError({"members": [_("ID number %(n)s appears twice.") % {"n": n}]})
        seen.add(n)


def parse_id_number_safe(raw: str) -> str:
    try:
        return parse_id_number(raw).number
    except ValidationError:
        return ""


def _check_village(village: Region | None, by: User) -> Region:
    if village is None or village.level != Region.Level.VILLAGE:
        raise ValidationError({"village": [_("Choose a village or community.")]})
    require_region(by, village)
    return village


@transaction.atomic
def household_create(
    *,
    village: Region,
    address: str,
    hukou_type: str,
    members: list[MemberInput],
    by: User,
    start_date: dt.date | None = None,
) -> Household:
    require_perm(by, "households.add_household")
    village = _check_village(village, by)
    if not address.strip():
        raise ValidationError({"address": [_("Address is required.")]})
    if hukou_type not in Household.Hukou.values:
        raise ValidationError({"hukou_type": [_("Choose urban or rural hukou.")]})
    _validate_members(members)
    household = Household(village=village, address=address.strip(), hukou_type=hukou_type)
    _stamp(household, by, _("Household registered"))
    household.save()
    start = start_date or timezone.localdate()
    member_errors: dict[str, list[str]] = {}
    for i, m in enumerate(members):
        try:
            _member_add(household=household, member=m, start_date=m.start_date or start, by=by)
        except ValidationError as e:
            if getattr(e, "code", None) == "conflict":
                raise  # not this member's input: someone else won a race (409)
            if not hasattr(e, "error_dict"):
                member_errors[f"members.{i}.__all__"] = e.messages
                continue
            for key, msgs in e.message_dict.items():
                member_errors[f"members.{i}.{key}"] = msgs
    if member_errors:
        # Raising rolls back the household and every member written so far.
        raise ValidationError(member_errors)
    return household


def _member_add(
    *, household: Household, member: MemberInput, start_date: dt.date, by: User
) -> Membership:
    if member.relation not in Relation.values:
        raise ValidationError({"relation": [_("Choose the relation to the head.")]})
    person = _person_create(data=member.person, region=household.village, by=by)
    membership = Membership(
        household=household,
        person=person,
        relation=member.relation,
        start_date=start_date,
        created_by=by,
    )
    _stamp(membership, by, _("Member added"))
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as e:
        raise _membership_integrity_error(e) from None
    return membership


def _membership_integrity_error(e: IntegrityError) -> ValidationError:
    text = str(e)
    if "one_active_household_per_person" in text:
        return ValidationError(
            {"person": [_("This person is already an active member of another household.")]}
        )
    if "one_active_head_per_household" in text:
        return ValidationError({"relation": [_("This household already has a head.")]})
    raise e


def _lock_household(household: Household, by: User) -> Household:
    locked = Household.objects.select_for_update().select_related("village").get(pk=household.pk)
    require_region(by, locked.village)
    return locked


def _check_version(current: dt.datetime, expected: dt.datetime | None) -> None:
    """Optimistic concurrency for edit forms: the first save wins, the second is told why."""
    if expected is not None and current != expected:
        raise ValidationError(
            _(
                "Someone else changed this record at %(at)s after you opened it. "
                "Reload the page to see their change, then edit again."
            )
            % {"at": timezone.localtime(current).strftime("%Y-%m-%d %H:%M:%S")},
            code="stale",
        )


@transaction.atomic
def household_update(
    *,
    household: Household,
    by: User,
    reason: str = "",
    expected_updated_at: dt.datetime | None = None,
    **changes: Any,
) -> Household:
    require_perm(by, "households.change_household")
    household = _lock_household(household, by)
    _check_version(household.updated_at, expected_updated_at)
    allowed = {"village", "address", "hukou_type"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("Unknown household fields: %s") % ", ".join(sorted(unknown)))
    if "village" in changes:
        changes["village"] = _check_village(changes["village"], by)
    if "address" in changes and not str(changes["address"]).strip():
        raise ValidationError({"address": [_("Address is required.")]})
    if "hukou_type" in changes and changes["hukou_type"] not in Household.Hukou.values:
        raise ValidationError({"hukou_type": [_("Choose urban or rural hukou.")]})
    for k, v in changes.items():
        setattr(household, k, v)
    _stamp(household, by, reason or _("Household details changed"))
    household.save()
    if "village" in changes:
        # Members follow their household's region (their scope).
        for person in Person.objects.filter(
            memberships__household=household, memberships__end_date__isnull=True
        ):
            person.region = household.village
            _stamp(person, by, _("Household moved"))
            person.save()
    return household


@transaction.atomic
def member_add(
    *,
    household: Household,
    relation: str,
    by: User,
    person_data: dict[str, Any] | None = None,
    person: Person | None = None,
    start_date: dt.date | None = None,
) -> Membership:
    """Add a new person (person_data) or an existing person without an active household."""
    require_perm(by, "households.add_membership")
    household = _lock_household(household, by)
    start = start_date or timezone.localdate()
    if person is None:
        return _member_add(
            household=household,
            member=MemberInput(relation=relation, person=person_data or {}),
            start_date=start,
            by=by,
        )
    if relation not in Relation.values:
        raise ValidationError({"relation": [_("Choose the relation to the head.")]})
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.region is not None:
        require_region(by, person.region)
    elif not by.is_superuser and person.memberships.exists():
        raise PermissionDenied(_("This person is outside your area of responsibility."))
    membership = Membership(
        household=household, person=person, relation=relation, start_date=start, created_by=by
    )
    _stamp(membership, by, _("Member added"))
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as e:
        raise _membership_integrity_error(e) from None
    person.region = household.village
    _stamp(person, by, _("Joined household"))
    person.save()
    return membership


@transaction.atomic
def member_remove(
    *, membership: Membership, reason: str, by: User, end_date: dt.date | None = None
) -> Membership:
    require_perm(by, "households.change_membership")
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason the member leaves.")]})
    membership = (
        Membership.objects.select_for_update()
        .select_related("household__village")
        .get(pk=membership.pk)
    )
    require_region(by, membership.household.village)
    if membership.end_date is not None:
        raise ValidationError(_("This membership has already ended."))
    end = end_date or timezone.localdate()
    if end < membership.start_date:
        raise ValidationError({"end_date": [_("The end date is before the start date.")]})
    if membership.relation == Relation.HEAD and (
        Membership.objects.active()
        .filter(household=membership.household_id)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationError(
            _("The head cannot leave while others remain: make another member the head first.")
        )
    membership.end_date = end
    membership.end_reason = reason.strip()
    _stamp(membership, by, reason.strip())
    membership.save()
    return membership


@transaction.atomic
def head_change(
    *, household: Household, new_head: Membership, former_head_relation: str, reason: str, by: User
) -> Household:
    """Make another active member the head; the former head takes `former_head_relation`."""
    require_perm(by, "households.change_membership")
    household = _lock_household(household, by)
    if former_head_relation not in Relation.values or former_head_relation == Relation.HEAD:
        raise ValidationError(
            {"former_head_relation": [_("Choose the former head's new relation.")]}
        )
    active = list(Membership.objects.select_for_update().active().filter(household=household))
    target = next((m for m in active if m.pk == new_head.pk), None)
    if target is None:
        raise ValidationError({"new_head": [_("The new head must be an active member.")]})
    if target.relation == Relation.HEAD:
        return household
    for m in active:
        if m.relation == Relation.HEAD:
            m.relation = former_head_relation
            _stamp(m, by, reason or _("Head changed"))
            m.save()
    target.relation = Relation.HEAD
    _stamp(target, by, reason or _("Head changed"))
    target.save()
    return household


@transaction.atomic
def person_update(
    *,
    person: Person,
    by: User,
    reason: str = "",
    expected_updated_at: dt.datetime | None = None,
    **changes: Any,
) -> Person:
    require_perm(by, "households.change_person")
    person = (
        Person.objects.select_for_update(of=("self",)).select_related("region").get(pk=person.pk)
    )
    require_region(by, person.region)
    _check_version(person.updated_at, expected_updated_at)
    changes = _check_person_data(dict(changes), by=by, instance=person)
    for k, v in changes.items():
        setattr(person, k, v)
    _stamp(person, by, reason or _("Person details changed"))
    _save_person(person)
    return person
