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
from core.models import AccessLog, Region
from core.months import month_start, parse_month
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
    counts = inbox_selectors.inbox_counts(user)
    items = inbox_selectors.inbox_items(user, kind=kind)
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


def _report_params(
    request: AuthenticatedHttpRequest,
) -> tuple[Region | None, list[Region], dt.date | None, str]:
    """(county or None, counties to choose from, month or None, error). 403/404 raised here."""
    user = request.user
    if not reports.report_allowed(user):
        raise PermissionDenied(_("Your role cannot see the district report."))
    counties = list(reports.report_counties(user))
    code = request.GET.get("county", "").strip()
    county: Region | None = None
    if code:
        county = next((c for c in counties if c.code == code), None)
        if county is None:
            raise Http404  # another district: existence is not revealed
    elif len(counties) == 1:
        county = counties[0]
    month_text = request.GET.get("month", "").strip()
    error = ""
    month: dt.date | None
    try:
        month = parse_month(month_text) if month_text else month_start(timezone.localdate())
    except ValidationError:
        month, error = None, _("Enter the month as YYYY-MM, e.g. 2026-12.")
    return county, counties, month, error


@login_required
@require_GET
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    county, counties, month, error = _report_params(request)
    result = None
    if county is not None and month is not None:
        result = reports.district_report(user=request.user, county=county, month=month)
    return render(
        request,
        "assistance/oversight/report.html",
        {
            "report": result,
            "county": county,
            "counties": counties,
            "month": month,
            "month_text": request.GET.get("month", "")
            or (month.strftime("%Y-%m") if month else ""),
            "error": error,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_GET
def report_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    county, _counties, month, _error = _report_params(request)
    if county is None or month is None:
        raise Http404
    result = reports.district_report(user=request.user, county=county, month=month)
    access_log_record(
        by=request.user,
        action=AccessLog.Action.EXPORT,
        obj=county,
        detail=f"district report {month:%Y-%m}",
    )
    return file_response(
        reports.report_xlsx(result),
        fmt="xlsx",
        filename=f"district-report-{county.code}-{month:%Y-%m}.xlsx",
    )
