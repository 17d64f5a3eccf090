"""The linkage's tiles and figures on the home page (registered in TransitionsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from core.scope import scope_queryset
from core.views import Figure, Tile
from households.models import Membership
from poverty.models import HouseholdClass, HouseholdClassification

from . import selectors
from .models import InsuranceEnrolment, PhaseOut
from .permissions import VIEW, VIEW_ENROLMENT, VIEW_PHASE_OUT

COVERED = (InsuranceEnrolment.Status.ENROLLED, InsuranceEnrolment.Status.EXEMPT)


def handoff_tiles(user: Any) -> list[Tile]:
    tiles: list[Tile] = []
    if user.has_perm(VIEW):
        tiles.append(
            Tile(
                _("Hand-offs"),
                _("Work passed between civil affairs, the poverty office and social security."),
                reverse("transitions:inbox"),
                count=selectors.handoff_counts(user)["total"],
            )
        )
    if user.has_perm(VIEW_PHASE_OUT):
        tiles.append(
            Tile(
                _("Phase-out board"),
                _("Six months at the original amount after an exit; re-assessments due."),
                reverse("transitions:phase_outs"),
            )
        )
    if user.has_perm(VIEW_ENROLMENT):
        tiles.append(
            Tile(
                _("Insurance worklist"),
                _("Dibao and tekun persons not yet enrolled in social insurance."),
                reverse("transitions:enrolments"),
            )
        )
    return tiles


def medical_coverage(user: Any) -> tuple[int, int]:
    """(members of key-target households covered by insurance — enrolled or exempt —, all of
    them) in the user's area: the plan's goal is 100 %."""
    key = HouseholdClassification.objects.filter(current=True, klass=HouseholdClass.KEY_TARGET)
    members = scope_queryset(
        Membership.objects.active().filter(household__in=key.values("household_id")),
        user,
        region_field="household__village",
    )
    covered = InsuranceEnrolment.objects.filter(status__in=COVERED).values("person_id")
    row = members.aggregate(total=Count("id"), covered=Count("id", filter=Q(person__in=covered)))
    return row["covered"], row["total"]


def handoff_figures(user: Any) -> list[Figure]:
    figures: list[Figure] = []
    if user.has_perm(VIEW):
        counts = selectors.handoff_counts(user)
        figures.append(
            Figure(
                "handoffs_waiting",
                _("Hand-offs waiting for you"),
                counts["total"],
                reverse("transitions:inbox"),
                "warning" if counts["overdue"] else "",
            )
        )
    if user.has_perm(VIEW_PHASE_OUT):
        overdue = selectors.phase_out_list(user=user, status=PhaseOut.Status.OVERDUE).count()
        figures.append(
            Figure(
                "phase_outs_overdue",
                _("Phase-out re-assessments overdue"),
                overdue,
                reverse("transitions:phase_outs") + "?status=overdue",
                "danger" if overdue else "",
            )
        )
    if user.has_perm(VIEW_ENROLMENT):
        covered, total = medical_coverage(user)
        figures.append(
            Figure(
                "key_target_medical_coverage",
                _("Key targets with medical coverage (goal 100 %)"),
                f"{covered * 100 // total} %" if total else "—",
                reverse("transitions:enrolments"),
                "warning" if total and covered < total else "",
            )
        )
    return figures
