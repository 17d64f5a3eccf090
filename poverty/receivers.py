"""Recompute the classification of the households whose members changed (domain.md §7: "the
classification is recomputed when members change"): post_save / post_delete of
households.Person and households.Membership, connected in PovertyConfig.ready().

When: `transaction.on_commit`. The household services change a membership and a person in
several saves of one transaction (a member moved: one membership ended, another opened); the
households touched in it are collected and recomputed once, after the commit, in their own
transaction — never a half-written household, never once per save, and a failing recompute does
not undo the caseworker's edit (the nightly run repairs it). Inside a test's atomic block the
callbacks run when the test asks (`django_capture_on_commit_callbacks(execute=True)`).

Two concurrent recomputes of one household: each locks its current row (FOR UPDATE); a household
classified for the first time by two at once makes the second fail on the one-current-row index
(logged; nothing half-written).
"""

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from households.models import Membership, Person

logger = logging.getLogger(__name__)

_PENDING = "_poverty_pending_households"


def _recompute(ids: set[int]) -> None:
    from poverty.classification import classification_recompute

    try:
        classification_recompute(household_ids=sorted(ids), by=None)
    except Exception:
        # Never the member edit's error (it is saved): logged, the nightly run repairs it.
        logger.exception("poverty: recomputing the classification of %s failed", sorted(ids))


def schedule(household_ids: set[int]) -> None:
    """Recompute these households after the current transaction commits, once however many
    saves touched them: the ids gather on the outermost atomic block; every save registers a
    callback, the first to run takes them all (a callback of a rolled-back savepoint is dropped
    by Django, the others still run)."""
    if not household_ids:
        return
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        _recompute(set(household_ids))
        return
    outer = conn.atomic_blocks[0]
    pending: set[int] | None = getattr(outer, _PENDING, None)
    if pending is None:
        pending = set()
        setattr(outer, _PENDING, pending)
    pending.update(household_ids)

    def run() -> None:
        todo = set(pending)
        pending.clear()
        if todo:
            _recompute(todo)

    transaction.on_commit(run)


def membership_changed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    schedule({instance.household_id})


def person_changed(sender: Any, instance: Person, **kwargs: Any) -> None:
    if kwargs.get("created"):
        return  # a new person is in no household yet; the membership's save follows
    ids = set(
        Membership.objects.filter(person_id=instance.pk, end_date__isnull=True).values_list(
            "household_id", flat=True
        )
    )
    schedule(ids)


def connect() -> None:
    post_save.connect(membership_changed, sender=Membership, dispatch_uid="poverty.membership")
    post_delete.connect(membership_changed, sender=Membership, dispatch_uid="poverty.membership_d")
    post_save.connect(person_changed, sender=Person, dispatch_uid="poverty.person")
    post_delete.connect(person_changed, sender=Person, dispatch_uid="poverty.person_d")
