"""Celery tasks of the poverty register."""

from typing import Any

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone


@shared_task(
    name="poverty.classify_all",
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def classify_all() -> dict[str, Any]:
    """Nightly: classify every dibao household by the rule in force today (ages move on, rules
    take effect). One statement (poverty.classification); idempotent — a second run the same day
    writes nothing."""
    from poverty.classification import classification_recompute

    changes = classification_recompute(household_ids=None, on=timezone.localdate(), by=None)
    return {"changed": len(changes)}
