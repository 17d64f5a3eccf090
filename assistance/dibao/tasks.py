"""Celery tasks for dynamic management. Thin: the work is in assistance.dibao.reviews.

Idempotent (a case already under review is skipped), so a retry or a double beat is harmless.
Beat entries: CELERY_BEAT_SCHEDULE in config/settings.py (the one place).
"""

import datetime as dt

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from assistance.dibao import reviews


@shared_task(
    name="assistance.open_due_reviews",
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def open_due_reviews(on: str | None = None) -> int:
    """Open the periodic reviews due today (or on the ISO date `on`); returns how many opened."""
    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    return reviews.reviews_open_due(on=day)
