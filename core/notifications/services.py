"""Writes of notifications: sending (inside the business transaction) and marking read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django_stubs_ext import StrOrPromise

from core.models import Region, User
from core.notifications.models import Notification


@dataclass(frozen=True)
class Target:
    """What a notification is about: the object (generic reference, optional), the link and the
    label to show, and the region it lies in."""

    url: str = ""
    label: StrOrPromise = ""
    obj: models.Model | None = None
    region: Region | None = None


def notification_send(
    *,
    recipients: Iterable[User] | QuerySet[User],
    kind: str,
    title: StrOrPromise,
    target: Target | None,
    by: User | None,
    params: dict[str, Any] | None = None,
) -> list[Notification]:
    """One notification per recipient, in one INSERT. Call it inside the transaction of the
    action it reports (the services' @transaction.atomic): if the action rolls back, nothing was
    sent. The actor is never told of their own action; a recipient listed twice gets one.

    The title (`title % params`, a gettext_lazy string: pass the values in `params`, not
    formatted) and the target's label are rendered in the site's language (Chinese first),
    whatever the language of the sender's request: others read them later."""
    if isinstance(recipients, QuerySet):
        ids = set(recipients.values_list("pk", flat=True))
    else:
        ids = {u.pk for u in recipients}
    if by is not None:
        ids.discard(by.pk)
    if not ids:
        return []
    target = target or Target()
    with translation.override(settings.LANGUAGE_CODE):
        text = (str(title) % params if params else str(title))[:255]
        label = str(target.label)[:100]
    obj = target.obj
    fields = {
        "kind": kind,
        "title": text,
        "target_type": ContentType.objects.get_for_model(obj) if obj is not None else None,
        "target_id": str(obj.pk) if obj is not None else "",
        "target_url": target.url[:255],
        "target_label": label,
        "region": target.region,
        "actor": by,
    }
    return Notification.objects.bulk_create(
        [Notification(recipient_id=pk, **fields) for pk in sorted(ids)]
    )


@transaction.atomic
def notification_mark_read(*, pk: int | str, by: User) -> Notification:
    """Mark one of `by`'s own notifications read (another user's: DoesNotExist, i.e. 404).
    Idempotent: reading it twice keeps the first time."""
    note = Notification.objects.select_for_update().get(pk=pk, recipient=by)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note


def notification_mark_all_read(*, by: User) -> int:
    """Mark all of `by`'s unread notifications read (one UPDATE); returns how many."""
    return Notification.objects.filter(recipient=by, read_at__isnull=True).update(
        read_at=timezone.now()
    )
