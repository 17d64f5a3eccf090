"""Reads of notifications: a user's own only, shared by the page, the API and the header."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from core.notifications.models import Notification


def notification_list(*, user: Any, unread: bool | None = None) -> QuerySet[Notification]:
    """`user`'s notifications, unread first, newest first. Anyone else's are never in it;
    anonymous users get none."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=user).select_related("actor")
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    is_unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return qs.order_by(is_unread.desc(), "-created_at", "-id")


def unread_count(user: Any) -> int:
    """The header badge: one COUNT on the partial index; no query for anonymous users."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
