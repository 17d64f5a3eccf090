"""Social-insurance enrolment of dibao and tekun persons (domain.md §7): social security records
each person's status; the agency's answer can be imported as a spreadsheet."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import User
from core.scope import region_in_scope

from .models import InsuranceEnrolment
from .permissions import RECORD_ENROLMENT


@transaction.atomic
def enrolment_record(
    *, enrolment: InsuranceEnrolment, status: str, status_on: dt.date, note: str = "", by: User
) -> InsuranceEnrolment:
    if not by.has_perm(RECORD_ENROLMENT):
        raise PermissionDenied(_("Your role does not allow this action."))
    enrolment = (
        InsuranceEnrolment.objects.select_for_update().select_related("region").get(pk=enrolment.pk)
    )
    if not region_in_scope(by, enrolment.region):
        raise PermissionDenied(_("This region is outside your area of responsibility."))
    errors: dict[str, list[str]] = {}
    if status not in InsuranceEnrolment.Status.values:
        errors["status"] = [_("Choose the enrolment status.")]
    if status_on > timezone.localdate():
        errors["status_on"] = [_("The date cannot be in the future.")]
    if status == InsuranceEnrolment.Status.REFUSED and not note.strip():
        errors["note"] = [_("Note why the person refused.")]
    if errors:
        raise ValidationError(errors)
    enrolment.status, enrolment.status_on, enrolment.note = status, status_on, note.strip()
    enrolment.recorded_by = by
    enrolment.save()
    return enrolment
