"""Oversight pages: the inbox (待办) and the district report. Thin: selectors do the work."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from assistance.oversight import inbox as inbox_selectors
from assistance.oversight import report as reports
from core.exports import file_response
from core.http import AuthenticatedHttpRequest
from core.models import AccessLog, Region, User
from core.months import add_months, first_of_next_month, month_start, parse_month
from core.services import access_log_record

PAGE_SIZE = 50


@login_required
@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    kinds = inbox_selectors.inbox_kinds(user)
    kind = request.GET.get("kind", "")
    if kind and kind not in dict(kinds):
        raise Http404
    counts, items = inbox_selectors.inbox_page(user, kind=kind)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assistance/oversight/inbox.html",
        {
            "kinds": [(k, label, counts.get(k, 0)) for k, label in kinds],
            "kind": kind,
            "total": sum(counts.values()),
            "page": page,
            "query": f"kind={kind}" if kind else "",
            "limit": inbox_selectors.PER_KIND_LIMIT,
        },
    )


def _report_params(request: AuthenticatedHttpRequest) -> tuple[Region, dt.date | None, str]:
    """(area, month or None, error). 403/404 raised here: another district's area is a 404
    (its existence is not revealed)."""
    user = request.user
    if not reports.report_allowed(user):
        raise PermissionDenied(_("Your role cannot see the district report."))
    code = (request.GET.get("region") or request.GET.get("county") or "").strip()
    region = reports.report_region_get(user, code) if code else reports.report_home_region(user)
    if region is None:
        raise Http404
    month_text = request.GET.get("month", "").strip()
    current = month_start(timezone.localdate())
    error = ""
    month: dt.date | None
    try:
        month = parse_month(month_text) if month_text else current
    except ValidationError:
        month, error = None, _("Enter the month as YYYY-MM, e.g. 2026-12.")
    if month is not None and month > latest_month():
        month, error = None, _("Choose next month (the payroll being prepared) or an earlier one.")
    return region, month, error


def latest_month() -> dt.date:
    """The latest month a report is made for: next month, whose payroll is prepared now."""
    return first_of_next_month(timezone.localdate())


def _trail(user: User, region: Region) -> list[Region]:
    """The areas above `region` the user may also report on (for the breadcrumb)."""
    top = reports.report_home_region(user)
    chain = [r for r in region.ancestors_and_self() if r.level in reports.REPORT_LEVELS]
    if top is not None and top in chain:
        chain = chain[chain.index(top) :]
    return chain


@login_required
@require_GET
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    region, month, error = _report_params(request)
    result = None
    sections: list[reports.Section] = []
    if month is not None:
        result = reports.area_report(user=request.user, region=region, month=month)
        sections = reports.report_sections(result)
    latest = latest_month()
    return render(
        request,
        "assistance/oversight/report.html",
        {
            "report": result,
            "region": region,
            "trail": _trail(request.user, region),
            "sections": sections,
            # The month's last day (or today, for the month under way).
            "notes": reports.report_notes(
                region, min(add_months(month, 1) - dt.timedelta(days=1), timezone.localdate())
            )
            if month
            else [],
            "charts": [(f"chart-{s.key}", s.chart()) for s in sections],
            "drill": region.level != Region.Level.TOWNSHIP,
            "month": month,
            "latest": latest,
            "previous": add_months(month, -1) if month else None,
            "next": add_months(month, 1) if month and month < latest else None,
            "month_text": request.GET.get("month", "")
            or (month.strftime("%Y-%m") if month else ""),
            "error": error,
        },
    )


@login_required
@require_GET
def report_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    region, month, _error = _report_params(request)
    if month is None:
        raise Http404
    result = reports.area_report(user=request.user, region=region, month=month)
    access_log_record(
        by=request.user,
        action=AccessLog.Action.EXPORT,
        obj=region,
        detail=f"report {month:%Y-%m}",
    )
    return file_response(
        reports.report_xlsx(result),
        fmt="xlsx",
        filename=f"district-report-{region.code}-{month:%Y-%m}.xlsx",
    )
