"""Celery tasks of the cross-check: thin, idempotent, late-acknowledged.

`verification.cross_check_run` splits a run into one `verification.cross_check_district` task
per county-level unit (a chord: several workers, on several machines, share a city-wide run);
the callback `verification.cross_check_close` closes it (the districts have already added their
counts, each in its own transaction). Beat: `verification.check_pending_applications` nightly,
`verification.check_active_cases` monthly.
"""

from __future__ import annotations

from typing import Any

from celery import chord, shared_task
from django.db import DatabaseError

RETRY: dict[str, Any] = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 30,
    "retry_jitter": True,
    "max_retries": 3,
    "acks_late": True,
}


@shared_task(name="verification.cross_check_run", **RETRY)
def cross_check_run(run_id: int) -> dict[str, Any]:
    from .services import cross_check_run_begin, cross_check_run_close

    counties = cross_check_run_begin(run_id)
    if not counties:
        cross_check_run_close(run_id)
        return {"districts": 0}
    # A district that fails for good (retries spent) fails the run instead of leaving it
    # "running" for ever.
    chord(
        [cross_check_district.si(run_id, c) for c in counties],
        cross_check_close.si(run_id).on_error(cross_check_failed.s(run_id)),
    ).apply_async()
    return {"districts": len(counties)}


@shared_task(name="verification.cross_check_district", **RETRY)
def cross_check_district(run_id: int, county_id: int) -> dict[str, int]:
    from .services import cross_check_district as district

    try:
        return district(run_id, county_id)
    except DatabaseError:
        raise
    except Exception as e:
        from .services import cross_check_run_close

        cross_check_run_close(run_id, failed=str(e)[:500])
        raise


@shared_task(name="verification.cross_check_failed", acks_late=True)
def cross_check_failed(run_id: int, *errback_args: Any) -> None:
    """The chord's error callback (Celery adds the request, the exception and its traceback)."""
    from .services import cross_check_run_close

    exc = next((a for a in errback_args if isinstance(a, BaseException)), None)
    cross_check_run_close(run_id, failed=str(exc or "a district task failed")[:500])


@shared_task(name="verification.cross_check_close", acks_late=True)
def cross_check_close(run_id: int) -> dict[str, Any]:
    from .services import cross_check_run_close

    run = cross_check_run_close(run_id)
    return {"status": run.status, "findings_new": run.findings_new}


def _scheduled(scope: str) -> int | None:
    from core.models import Region
    from verification.models import CrossCheckRun

    from .services import cross_check_run_create

    city = Region.objects.filter(level=Region.Level.CITY).first()
    if city is None:
        return None
    run = cross_check_run_create(
        scope=scope, region=city, by=None, trigger=CrossCheckRun.Trigger.SCHEDULE
    )
    cross_check_run.delay(run.pk)
    return run.pk


@shared_task(name="verification.check_pending_applications", acks_late=True)
def check_pending_applications() -> int | None:
    """Nightly: every pending application (signed authorisation) against the current data."""
    from verification.models import CrossCheckRun

    return _scheduled(CrossCheckRun.Scope.PENDING)


@shared_task(name="verification.check_active_cases", acks_late=True)
def check_active_cases() -> int | None:
    """Monthly: every active case against the current data."""
    from verification.models import CrossCheckRun

    return _scheduled(CrossCheckRun.Scope.ACTIVE)


__all__ = [
    "check_active_cases",
    "check_pending_applications",
    "cross_check_close",
    "cross_check_district",
    "cross_check_run",
]
