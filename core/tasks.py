"""Celery tasks of core (beat entries in config/settings.py CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

from .jobs import jobs_fail_stale

log = logging.getLogger(__name__)


@shared_task(name="core.fail_stale_jobs", acks_late=True)
def fail_stale_jobs() -> list[int]:
    """Beat: jobs whose worker died are marked failed (idempotent)."""
    ids = jobs_fail_stale()
    if ids:
        log.warning("background jobs without a sign of life marked failed: %s", ids)
    return ids


@shared_task(name="core.recompute_deadlines", acks_late=True)
def recompute_deadlines(year: int) -> int:
    """After a data administrator entered a year's holidays: stored deadlines follow them."""
    from .calendar import deadlines_recompute

    changed = deadlines_recompute(year)
    log.info("deadlines recomputed for %s: %s rows changed", year, changed)
    return changed
