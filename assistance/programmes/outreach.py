"""Outreach reports (主动发现): a report becomes an application or is closed with a reason."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models import (
    OutreachReport,
    Programme,
    ProgrammeTransition,
)
from assistance.permissions import CHANGE_OUTREACH, REPORT_OUTREACH
from assistance.programmes.services import (
    programme_apply,
)
from core.models import Region, User
from core.services import require_perm, require_region
from households.models import Household, Person


@transaction.atomic
def outreach_report(
    *,
    village: Region,
    subject_name: str,
    description: str,
    by: User,
    household: Household | None = None,
) -> OutreachReport:
    """A village assistant, social worker or volunteer reports a household in need."""
    require_perm(by, REPORT_OUTREACH)
    require_region(by, village)
    errors: dict[str, list[str]] = {}
    if village.level != Region.Level.VILLAGE:
        errors["village"] = [_("Choose a village or community.")]
    if not subject_name.strip():
        errors["subject_name"] = [_("Name the person in need.")]
    if not description.strip():
        errors["description"] = [_("Describe the situation.")]
    if household is not None and household.village_id != village.pk:
        errors["household"] = [_("The household is not in this village.")]
    if errors:
        raise ValidationError(errors)
    return OutreachReport.objects.create(
        village=village,
        household=household,
        subject_name=subject_name.strip()[:50],
        description=description.strip(),
        reported_by=by,
    )


def _lock_report(report: OutreachReport, by: User) -> OutreachReport:
    locked = (
        OutreachReport.objects.select_for_update(of=("self",))
        .select_related("village", "household")
        .get(pk=report.pk)
    )
    require_region(by, locked.village)
    if locked.status != OutreachReport.Status.OPEN:
        raise ValidationError(
            _("This report is already “%(s)s”; reload the page.")
            % {"s": OutreachReport.Status(locked.status).label},
            code="wrong_status",
        )
    return locked


@transaction.atomic
def outreach_convert(
    *,
    report: OutreachReport,
    by: User,
    programme: str = "dibao",
    household: Household | None = None,
    person: Person | None = None,
    applicant: Person | None = None,
    agent_name: str = "",
    **programme_fields: Any,
) -> OutreachReport:
    """The report becomes an application: a dibao case (`programme="dibao"`, through
    services.dibao_case_create) or a programme case (through programme_apply)."""
    from assistance.dibao import services  # the dibao services (same app)

    require_perm(by, CHANGE_OUTREACH)
    report = _lock_report(report, by)
    household = household or report.household
    if household is None:
        raise ValidationError(
            {"household": [_("Register the household first, then choose it here.")]}
        )
    if household.village_id != report.village_id:
        raise ValidationError({"household": [_("The household is not in the reported village.")]})
    fields: dict[str, Any] = {}
    if programme == "dibao":
        dibao_case = services.dibao_case_create(
            household=household,
            by=by,
            applicant=applicant,
            agent_name=agent_name
            or (_("Village committee (outreach report %(n)s)") % {"n": report.pk}),
        )
        fields["dibao_case"] = dibao_case
        what = str(dibao_case)
    elif programme in Programme.values:
        case = programme_apply(
            programme=programme, household=household, person=person, by=by, **programme_fields
        )
        fields["programme_case"] = case
        what = str(case)
        ProgrammeTransition.objects.filter(case=case).update(
            reason=_("Application from outreach report %(n)s (%(who)s)")
            % {"n": report.pk, "who": report.reported_by.get_full_name() or report.reported_by}
        )
    else:
        raise ValidationError({"programme": [_("Choose dibao or a programme.")]})
    for k, v in fields.items():
        setattr(report, k, v)
    report.household = household
    report.status = OutreachReport.Status.CONVERTED
    report.handled_by = by
    report.handled_at = timezone.now()
    report.closed_reason = _("Became an application: %(what)s") % {"what": what}
    report.save()
    return report


@transaction.atomic
def outreach_close(*, report: OutreachReport, reason: str, by: User) -> OutreachReport:
    require_perm(by, CHANGE_OUTREACH)
    report = _lock_report(report, by)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason for closing the report.")]})
    report.status = OutreachReport.Status.CLOSED
    report.closed_reason = reason.strip()
    report.handled_by = by
    report.handled_at = timezone.now()
    report.save()
    return report
