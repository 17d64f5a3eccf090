"""The assistance tiles and figures on the home page (registered in AssistanceConfig.ready)."""

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.dibao.reviews import BEFORE_CONFIRMATION
from assistance.models import CaseReview, DibaoCase
from assistance.oversight.inbox import inbox_counts
from assistance.oversight.report import PAYING_WITHOUT_STOP, report_allowed
from core.views import Figure, Tile
from households.home import in_visible_villages

S = DibaoCase.Status
IN_PROCEDURE = (S.APPLIED, *BEFORE_CONFIRMATION)


def assistance_tiles(user: Any) -> list[Tile]:
    tiles: list[Tile] = []
    counts = inbox_counts(user)
    if counts or user.has_perm("assistance.view_dibaocase"):
        tiles.insert(
            0,
            Tile(
                _("Inbox"),
                _("Cases and tasks waiting for you, by deadline."),
                reverse("assistance_oversight:inbox"),
                count=sum(counts.values()),
            ),
        )
    if user.has_perm("assistance.view_dibaocase"):
        tiles.append(
            Tile(
                _("Dibao cases"),
                _("Applications, investigations, notices and decisions."),
                reverse("assistance:list"),
            )
        )
    if user.has_perm("assistance.view_programmecase"):
        tiles.append(
            Tile(
                _("Other assistance"),
                _("Tekun, low-income, temporary, medical, education, disaster and housing aid."),
                reverse("assistance_programmes:list"),
            )
        )
    if user.has_perm("assistance.view_outreachreport"):
        tiles.append(
            Tile(
                _("Outreach reports"),
                _("Households in need reported by villages and volunteers."),
                reverse("assistance_programmes:outreach_list"),
            )
        )
    if user.has_perm("assistance.view_payroll"):
        tiles.append(
            Tile(
                _("Payroll"),
                _("Monthly dibao payroll: build, approve, bank file."),
                reverse("assistance_payroll:list"),
            )
        )
    if report_allowed(user):
        tiles.append(
            Tile(
                _("District report"),
                _("Charts by area: recipients, amounts, top-up level against targets, overdue."),
                reverse("assistance_oversight:report"),
            )
        )
    return tiles


def assistance_figures(user: Any) -> list[Figure]:
    """The dibao counts of the user's area: two aggregate queries on the scoped tables."""
    if not user.has_perm("assistance.view_dibaocase"):
        return []
    today = timezone.localdate()
    # By the case's own copy of its household's village (indexed, kept by the database).
    cases = in_visible_villages(DibaoCase.objects.all(), user, village_field="village")
    c = cases.aggregate(
        in_procedure=Count("id", filter=Q(status__in=IN_PROCEDURE)),
        in_notice=Count("id", filter=Q(status=S.IN_NOTICE)),
        paying=Count("id", filter=Q(status__in=PAYING_WITHOUT_STOP)),
        overdue=Count("id", filter=Q(status__in=BEFORE_CONFIRMATION, procedure_due__lt=today)),
    )
    reviews_overdue = in_visible_villages(
        CaseReview.objects.filter(closed_on__isnull=True, due_on__lt=today),
        user,
        village_field="case__village",
    ).count()
    cases_url = reverse("assistance:list")
    report_url = reverse("assistance_oversight:report") if report_allowed(user) else ""
    return [
        Figure("dibao_paying", _("Dibao households paid"), c["paying"], report_url or cases_url),
        Figure("dibao_in_procedure", _("Applications in procedure"), c["in_procedure"], cases_url),
        Figure("dibao_in_notice", _("In public notice"), c["in_notice"], cases_url),
        Figure(
            "dibao_procedure_overdue",
            _("Procedures overdue"),
            c["overdue"],
            reverse("assistance_oversight:inbox"),
            "danger" if c["overdue"] else "",
        ),
        Figure(
            "dibao_reviews_overdue",
            _("Reviews overdue"),
            reviews_overdue,
            reverse("assistance_oversight:inbox"),
            "warning" if reviews_overdue else "",
        ),
    ]
