"""Beat jobs of the linkage: thin, idempotent, safe to run twice (each is one transaction)."""

from celery import shared_task
from django.utils import timezone

from .disclosure.services import publications_republish
from .links import enrolments_sync
from .phaseout import phase_outs_mark
from .services import handoffs_escalate


@shared_task(name="transitions.mark_phase_outs", acks_late=True)
def mark_phase_outs() -> dict[str, int]:
    return phase_outs_mark(on=timezone.localdate())


@shared_task(name="transitions.escalate_handoffs", acks_late=True)
def escalate_handoffs() -> int:
    return handoffs_escalate(on=timezone.localdate())


@shared_task(name="transitions.sync_enrolments", acks_late=True)
def sync_enrolments() -> int:
    return enrolments_sync()


@shared_task(name="transitions.import_enrolments", acks_late=True)
def import_enrolments(job_id: int) -> dict | None:  # type: ignore[type-arg]
    from .enrolments import enrolment_import_run

    return enrolment_import_run(job_id=job_id)


@shared_task(name="transitions.republish_disclosures", acks_late=True)
def republish_disclosures() -> int:
    return publications_republish(on=timezone.localdate())
