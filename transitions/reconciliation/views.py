"""Reconciliation pages: the differences list (filters, pagination, export; the run button for
data administrators) and the explain action. Thin: selectors and services do the work."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.exports import export_response
from core.http import AuthenticatedHttpRequest
from core.models import Job
from core.pages import role_page

from ..kinds import ROLE_DEPARTMENT
from ..models import Department, Difference
from . import selectors, services
from .permissions import EXPLAIN, RUN, VIEW

PAGE_SIZE = 50


class ExplainForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Explanation"), max_length=2000)


def _filters(request: AuthenticatedHttpRequest) -> selectors.DifferenceFilters:
    g = request.GET
    category, status, owner = g.get("category", ""), g.get("status", ""), g.get("owner", "")
    if category and category not in Difference.Category.values:
        raise Http404
    if status and status not in Difference.State.values:
        raise Http404
    if owner and owner not in Department.values:
        raise Http404
    return selectors.DifferenceFilters(category=category, status=status, owner=owner)


def export_rows(qs):  # type: ignore[no-untyped-def]
    for d in qs.iterator(chunk_size=2000):
        yield [
            d.pk,
            d.get_category_display(),
            d.get_owner_display(),
            d.get_status_display(),
            d.region.name if d.region else "",
            d.household_id or "",
            d.person.name if d.person else "",
            d.reason,
            d.found_at.strftime("%Y-%m-%d"),
        ]


EXPORT_HEADERS = (
    gettext_lazy("No."),
    gettext_lazy("Category"),
    gettext_lazy("Owner department"),
    gettext_lazy("State"),
    gettext_lazy("Village / community"),
    gettext_lazy("Household no."),
    gettext_lazy("Person"),
    gettext_lazy("Explanation"),
    gettext_lazy("Found on"),
)


@role_page(VIEW)
def difference_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = _filters(request)
    rows = selectors.difference_list(user=request.user, filters=filters)
    fmt = request.GET.get("export", "")
    if fmt:
        if fmt not in ("csv", "xlsx"):
            raise Http404
        return export_response(
            export_rows(rows),
            headers=[str(h) for h in EXPORT_HEADERS],
            fmt=fmt,
            filename="reconciliation",
        )
    listing = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(
        {k: v for k, v in request.GET.items() if k in ("category", "status", "owner") and v}
    )
    return render(
        request,
        "transitions/reconciliation/list.html",
        {
            "page": listing,
            "query": query,
            "filters": filters,
            "categories": Difference.Category.choices,
            "states": Difference.State.choices,
            "owners": Department.choices,
            # The button where the service would allow it: open, and the user's department
            # owns it (scope is the list's already).
            "my_department": ROLE_DEPARTMENT.get(request.user.role, "")
            if request.user.has_perm(EXPLAIN)
            else "",
            "may_run": request.user.has_perm(RUN),
            "form": ExplainForm(),
        },
    )


@role_page(EXPLAIN)
@require_POST
def difference_explain(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        diff = selectors.difference_get(user=request.user, pk=pk)
    except Difference.DoesNotExist:
        raise Http404 from None
    form = ExplainForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason."))
        return redirect("transitions:reconciliation_list")
    try:
        services.difference_explain(
            difference=diff, reason=form.cleaned_data["reason"], by=request.user
        )
    except ValidationError as e:
        messages.warning(request, " ".join(e.messages))
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("Difference explained."))
    return redirect("transitions:reconciliation_list")


@role_page(RUN)
@require_POST
def run(request: AuthenticatedHttpRequest) -> HttpResponse:
    job = services.reconciliation_run_start(by=request.user)
    messages.info(request, _("Reconciliation started; the list updates when it is done."))
    return redirect("transitions:reconciliation_job", job_id=job.pk)


@role_page(RUN)
@require_GET
def run_job(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """The run's progress (the data administrator's own job); polled by HTMX, and the page
    reloads whole once the run is over."""
    job = get_object_or_404(Job, pk=job_id, kind=services.JOB_KIND, created_by=request.user)
    htmx = bool(getattr(request, "htmx", False))
    if htmx and job.status not in ("queued", "running"):
        done = HttpResponse(status=204)
        done["HX-Refresh"] = "true"
        return done
    template = "core/_job_progress.html" if htmx else "transitions/reconciliation/job.html"
    return render(
        request,
        template,
        {"job": job, "poll_url": reverse("transitions:reconciliation_job", args=[job.pk])},
    )
