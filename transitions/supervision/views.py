"""Supervision pages (under /handoffs/, namespace `transitions`): the dashboard by district and
month, the annual workbook as a background job, and the return-to-poverty monitoring cases.
Thin: selectors read, services write."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exports import file_response
from core.forms import apply_service_errors
from core.http import AuthenticatedHttpRequest
from core.models import AccessLog, Job
from core.months import add_months, month_start, parse_month
from core.pages import forbidden, role_page
from core.services import access_log_record
from transitions.models import MonitoringCase

from . import selectors, services
from .dashboard import measure_sections
from .forms import MonitoringCloseForm, WorkbookForm
from .monitoring import selectors as monitoring_selectors
from .monitoring.services import monitoring_case_close
from .monitoring.workflow import MONITORING
from .permissions import CLOSE_MONITORING, VIEW_MONITORING


def _month(text: str) -> tuple[dt.date | None, str]:
    current = month_start(timezone.localdate())
    if not text:
        return current, ""
    try:
        month = parse_month(text)
    except ValidationError:
        return None, _("Enter the month as YYYY-MM, e.g. 2026-12.")
    if month > current:
        return None, _("Choose this month or an earlier one.")
    return month, ""


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not selectors.supervision_allowed(request.user):
        return forbidden(request, _("Your role cannot see the supervision report."))
    month, error = _month(request.GET.get("month", "").strip())
    report = sections = None
    if month is not None:
        report = selectors.supervision_month(user=request.user, month=month)
        sections = measure_sections(report)
    current = month_start(timezone.localdate())
    return render(
        request,
        "transitions/supervision/dashboard.html",
        {
            "report": report,
            "sections": sections,
            "charts": [(f"chart-{s['key']}", s["chart"]) for s in sections or []],
            "month": month,
            "current": current,
            "previous": add_months(month, -1) if month else None,
            "next": add_months(month, 1) if month and month < current else None,
            "month_text": request.GET.get("month", "") or (f"{month:%Y-%m}" if month else ""),
            "error": error,
            "workbook_form": WorkbookForm(initial={"year": (month or current).year}),
        },
    )


@login_required
@require_POST
def workbook_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = WorkbookForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("transitions:supervision")
    try:
        job = services.supervision_workbook_request(year=form.cleaned_data["year"], by=request.user)
    except PermissionDenied as e:
        return forbidden(request, str(e))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("transitions:supervision")
    return redirect("transitions:supervision_job", job_id=job.pk)


@login_required
@require_GET
def workbook_job(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id, kind=services.JOB_KIND, created_by=request.user)
    htmx = bool(getattr(request, "htmx", False))
    if htmx and job.status not in ("queued", "running"):
        done = HttpResponse(status=204)
        done["HX-Refresh"] = "true"
        return done
    template = "core/_job_progress.html" if htmx else "transitions/supervision/job.html"
    return render(
        request,
        template,
        {"job": job, "poll_url": reverse("transitions:supervision_job", args=[job.pk])},
    )


@login_required
@require_GET
def workbook_download(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(
        Job, pk=job_id, kind=services.JOB_KIND, created_by=request.user, status=Job.Status.DONE
    )
    name = (job.result or {}).get("file")
    if not name or not selectors.supervision_allowed(request.user):
        raise Http404
    with default_storage.open(name, "rb") as fh:
        body = fh.read()
    access_log_record(
        by=request.user, action=AccessLog.Action.EXPORT, obj=job, detail="supervision workbook"
    )
    return file_response(body, fmt="xlsx", filename=f"supervision-{job.result.get('year')}.xlsx")


# ----------------------------------------------------------------------------- monitoring


@role_page(VIEW_MONITORING)
@require_GET
def monitoring_cases(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", MonitoringCase.Status.OPEN)
    if status not in ("", *MonitoringCase.Status.values):
        raise Http404
    return render(
        request,
        "transitions/supervision/monitoring_cases.html",
        {
            "cases": monitoring_selectors.monitoring_case_list(user=request.user, status=status)[
                :500
            ],
            "status": status,
            "today": timezone.localdate(),
        },
    )


@role_page(VIEW_MONITORING)
@require_http_methods(["GET", "POST"])
def monitoring_case(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = monitoring_selectors.monitoring_case_get(user=request.user, pk=pk)
    form = MonitoringCloseForm(request.POST or None, initial={"version": case.version})
    if request.method == "POST":
        if not request.user.has_perm(CLOSE_MONITORING):
            raise Http404
        if form.is_valid():
            try:
                monitoring_case_close(
                    case=case,
                    outcome=form.cleaned_data["outcome"],
                    reason=form.cleaned_data["reason"],
                    version=form.cleaned_data["version"],
                    by=request.user,
                )
            except ValidationError as e:
                if getattr(e, "code", None) == "wrong_status":
                    messages.warning(request, " ".join(e.messages))
                    return redirect("transitions:monitoring_case", pk=case.pk)
                apply_service_errors(e, form)
            else:
                messages.success(request, _("Saved."))
                return redirect("transitions:monitoring_case", pk=case.pk)
    return render(
        request,
        "transitions/supervision/monitoring_case.html",
        {
            "case": case,
            "form": form,
            "allowed": MONITORING.allowed(case, request.user),
            "transitions": case.transitions.select_related("by"),
            "today": timezone.localdate(),
        },
    )
