"""Writes of the disclosure: publish a version, take one down, file and answer an objection.
Each atomic, guarded by the workflow (transitions.disclosure.workflow), with its history row."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models import PolicyParameter
from assistance.policy.selectors import parameter
from core.calendar import add_working_days
from core.models import Region, User
from core.months import month_start
from transitions.models import Publication, PublicObjection

from . import selectors
from .workflow import OBJECTION, PUBLICATION

PUBLIC_FIELDS = ("ref", "kind", "village", "name", "members", "amount")


def answer_working_days(on: dt.date) -> int:
    """The working days the town has to answer an objection filed on `on` (policy data)."""
    return int(parameter(PolicyParameter.Key.OBJECTION_ANSWER_WD, on))


@transaction.atomic
def publication_publish(*, region: Region, by: User | None) -> Publication:
    """A new version of `region`'s list with the recipients of today (`by` None: the monthly
    job). The page of the region shows it from now; earlier versions stay as they were."""
    if region.level not in selectors.LEVELS:
        raise ValidationError(
            {"region": [_("A list is published for a village / community or a town / street.")]}
        )
    draft = Publication(region=region, published_at=timezone.now(), published_by=by)
    if by is not None:
        PUBLICATION.check(draft, "publish", by)  # permission, level, scope of the region
    # One version at a time per region: two publishers at once would otherwise both be "latest".
    Region.objects.select_for_update().get(pk=region.pk)
    rows = selectors.current_rows(region)
    draft.rows = [{k: r[k] for k in PUBLIC_FIELDS} for r in rows]
    draft.row_sources = {r["ref"]: {"kind": r["kind"], "id": r["id"]} for r in rows}
    draft.status = Publication.Status.PUBLISHED
    draft.save()
    PUBLICATION.history.objects.create(  # type: ignore[attr-defined]
        publication=draft,
        action="publish" if by is not None else "republish",
        from_status="",
        to_status=draft.status,
        by=by,
        reason=_("%(n)s rows") % {"n": len(rows)},
    )
    return draft


@transaction.atomic
def publication_take_down(*, publication: Publication, reason: str, by: User) -> Publication:
    publication = PUBLICATION.lock(publication, by)
    PUBLICATION.check(publication, "take_down", by)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason.")]})
    return PUBLICATION.move(
        publication,
        "take_down",
        by,
        reason.strip(),
        takedown_reason=reason.strip(),
        taken_down_by=by,
        taken_down_at=timezone.now(),
    )


@transaction.atomic
def objection_file(
    *, publication: Publication, row_ref: str, text: str, contact: str
) -> PublicObjection:
    """An objection from the public (no user): due within the town's answer period."""
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    if publication.status != Publication.Status.PUBLISHED:
        raise ValidationError(_("This list has been taken down."), code="wrong_status")
    if row_ref and row_ref not in publication.row_sources:
        raise ValidationError({"row_ref": [_("Choose a row of the list.")]})
    if not text.strip():
        raise ValidationError({"text": [_("Say what is wrong.")]})
    now = timezone.now()
    objection = PublicObjection.objects.create(
        publication=publication,
        row_ref=row_ref,
        text=text.strip(),
        contact=contact.strip(),
        received_at=now,
        due_on=add_working_days(
            timezone.localdate(now), answer_working_days(timezone.localdate(now))
        ),
    )
    OBJECTION.history.objects.create(  # type: ignore[attr-defined]
        objection=objection, action="file", from_status="", to_status=objection.status, by=None
    )
    return objection


@transaction.atomic
def objection_answer(*, objection: PublicObjection, outcome: str, by: User) -> PublicObjection:
    objection = OBJECTION.lock(objection, by)
    OBJECTION.check(objection, "answer", by)
    if not outcome.strip():
        raise ValidationError({"outcome": [_("Record the outcome.")]})
    return OBJECTION.move(
        objection,
        "answer",
        by,
        outcome.strip(),
        outcome=outcome.strip(),
        answered_by=by,
        answered_at=timezone.now(),
    )


def publications_republish(*, on: dt.date) -> int:
    """The monthly job: every region whose latest version stands (published, not taken down)
    gets a new version with this month's recipients, unless it already has one from this month
    (safe to run twice). A taken-down list waits for a person to publish it again. One
    transaction per region; returns how many were published."""
    month = month_start(on)
    latest = (
        Publication.objects.order_by("region_id", "-published_at", "-id")
        .distinct("region_id")
        .select_related("region")
    )
    done = 0
    for pub in latest:
        if pub.status != Publication.Status.PUBLISHED:
            continue
        if timezone.localdate(pub.published_at) >= month:
            continue
        publication_publish(region=pub.region, by=None)
        done += 1
    return done
