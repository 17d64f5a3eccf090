"""The assistance tiles on the home page (registered in AssistanceConfig.ready)."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from assistance.oversight.inbox import inbox_counts
from assistance.oversight.report import report_allowed
from core.views import Tile


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
                _("Recipients, amounts, top-up level against targets."),
                reverse("assistance_oversight:report"),
            )
        )
    return tiles
