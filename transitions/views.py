"""Hand-off pages: the department inboxes, a hand-off with its actions, the phase-out board
and the social-security worklist. Thin: selectors read, services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core import exports
from core.forms import apply_service_errors
from core.http import AuthenticatedHttpRequest
from core.models import Job
from core.pages import role_page

from . import enrolments as enrolment_services
from . import selectors, services
from .forms import AcknowledgeForm, ApproveForm, EnrolmentForm, ReasonForm
from .kinds import KINDS
from .models import Handoff, HandoffKind, InsuranceEnrolment
from .permissions import RECORD_ENROLMENT, VIEW, VIEW_ENROLMENT, VIEW_PHASE_OUT
from .workflow import HANDOFF

# Role-gated pages (core.pages): login, permission, refusal as the 403 page with its reason.
page = role_page
PAGE_SIZE = 50
BOXES = ("inbox", "incoming", "outgoing", "all")


@page(VIEW)
@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    box = request.GET.get("box", "inbox")
    if box not in BOXES:
        raise Http404
    kind = request.GET.get("kind", "")
    if kind and kind not in HandoffKind.values:
        raise Http404
    status = request.GET.get("status", "")
    if status not in ("", "closed", "every"):
        raise Http404
    filters = selectors.HandoffFilters(
        box=box,
        status=status,
        kind=kind,
        overdue=request.GET.get("overdue") == "1",
        q=request.GET.get("q", "")[:50],
    )
    rows = selectors.handoff_list(user=request.user, filters=filters)
    listing = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "transitions/inbox.html",
        {
            "page": listing,
            "filters": filters,
            "boxes": [
                ("inbox", _("Waiting for me")),
                ("incoming", _("To my department")),
                ("outgoing", _("From my department")),
                ("all", _("All I can see")),
            ],
            "kinds": HandoffKind.choices,
            "counts": selectors.handoff_counts(request.user),
            "query": query.urlencode(),
            "today": timezone.localdate(),
        },
    )


@page(VIEW)
@require_GET
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    handoff = selectors.handoff_get(user=request.user, pk=pk)
    return _detail(request, handoff)


def _detail(
    request: AuthenticatedHttpRequest, handoff: Handoff, forms: dict[str, Any] | None = None
) -> HttpResponse:
    allowed = HANDOFF.allowed(handoff, request.user)
    forms = forms or {}
    return render(
        request,
        "transitions/detail.html",
        {
            "handoff": handoff,
            "allowed": allowed,
            "ack_form": forms.get("acknowledge") or AcknowledgeForm(),
            "approve_form": forms.get("approve") or ApproveForm(handoff=handoff),
            "reject_form": forms.get("reject") or ReasonForm(prefix="reject"),
            "withdraw_form": forms.get("withdraw") or ReasonForm(prefix="withdraw"),
            "transitions": handoff.transitions.select_related("by"),
            "decisions": handoff.decisions.select_related("by"),
            "outcome_label": dict(KINDS[handoff.kind].outcomes).get(handoff.outcome, ""),
            "today": timezone.localdate(),
        },
        status=400 if forms else 200,
    )


@page(VIEW)
@require_POST
def act(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    handoff = selectors.handoff_get(user=request.user, pk=pk)
    form: Any
    if action == "acknowledge":
        form = AcknowledgeForm(request.POST)
    elif action == "approve":
        form = ApproveForm(request.POST, handoff=handoff)
    elif action in ("reject", "withdraw"):
        form = ReasonForm(request.POST, prefix=action)
    else:
        raise Http404
    if not form.is_valid():
        return _detail(request, handoff, {action: form})
    data = form.cleaned_data
    try:
        if action == "acknowledge":
            services.handoff_acknowledge(handoff=handoff, by=request.user, reason=data["reason"])
        elif action == "approve":
            services.handoff_approve(
                handoff=handoff,
                by=request.user,
                reason=data["reason"],
                outcome=data.get("outcome", ""),
                decided_on=data["decided_on"],
                details={"causes": data["causes"]} if data.get("causes") else {},
            )
        elif action == "reject":
            services.handoff_reject(handoff=handoff, by=request.user, reason=data["reason"])
        else:
            services.handoff_withdraw(handoff=handoff, by=request.user, reason=data["reason"])
    except ValidationError as e:
        if getattr(e, "code", None) == "wrong_status":
            messages.warning(request, " ".join(e.messages))
            return redirect("transitions:detail", pk=handoff.pk)
        apply_service_errors(e, form)
        return _detail(request, handoff, {action: form})
    messages.success(request, _("Saved."))
    return redirect("transitions:detail", pk=handoff.pk)


@page(VIEW_PHASE_OUT)
@require_GET
def phase_outs(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    rows = selectors.phase_out_list(user=request.user, status=status if status != "all" else "")
    listing = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "transitions/phase_outs.html",
        {
            "board": selectors.phase_out_board(user=request.user),
            "page": listing,
            "status": status,
            "query": f"status={status}",
            "today": timezone.localdate(),
        },
    )


@page(VIEW_ENROLMENT)
@require_GET
def enrolments(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "not_enrolled")
    if status not in ("", "not_enrolled", *InsuranceEnrolment.Status.values):
        raise Http404
    q = request.GET.get("q", "")[:50]
    rows = selectors.enrolment_list(user=request.user, status=status, q=q)
    listing = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "transitions/enrolments.html",
        {
            "page": listing,
            "status": status,
            "q": q,
            "statuses": InsuranceEnrolment.Status.choices,
            "query": f"status={status}&q={q}",
            "may_record": request.user.has_perm(RECORD_ENROLMENT),
        },
    )


@page(RECORD_ENROLMENT)
def enrolment_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    enrolment = get_object_or_404(selectors.enrolment_list(user=request.user), pk=pk)
    form = EnrolmentForm(
        request.POST if request.method == "POST" else None,
        initial={"status": enrolment.status, "status_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            enrolment_services.enrolment_record(
                enrolment=enrolment, by=request.user, **form.cleaned_data
            )
        except ValidationError as e:
            apply_service_errors(e, form)
        else:
            messages.success(request, _("Saved."))
            return redirect("transitions:enrolments")
    return render(
        request,
        "transitions/enrolment_record.html",
        {"enrolment": enrolment, "form": form},
        status=400 if form.errors else 200,
    )


class EnrolmentImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("The insurance agency's answer (xlsx)"))


def _own_job(request: AuthenticatedHttpRequest, job_id: int) -> Job:
    # A user sees only the imports they started (the file holds ID numbers).
    return get_object_or_404(
        Job, pk=job_id, kind=enrolment_services.JOB_KIND, created_by=request.user
    )


@page(RECORD_ENROLMENT)
def enrolment_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = EnrolmentImportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = enrolment_services.enrolment_import_start(
                upload=form.cleaned_data["file"], by=request.user
            )
        except ValidationError as e:
            apply_service_errors(e, form)
        else:
            return redirect("transitions:enrolment_import_status", job_id=job.pk)
    return render(
        request,
        "transitions/enrolment_import.html",
        {"form": form, "headers": enrolment_services.TEMPLATE_HEADERS},
        status=400 if form.errors else 200,
    )


@page(RECORD_ENROLMENT)
@require_GET
def enrolment_import_status(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    htmx = bool(getattr(request, "htmx", False))
    if htmx and job.status not in ("queued", "running"):
        # Finished while the page polled: reload it whole, with the outcome.
        done = HttpResponse(status=204)
        done["HX-Refresh"] = "true"
        return done
    template = "core/_job_progress.html" if htmx else "transitions/enrolment_import_status.html"
    return render(
        request,
        template,
        {
            "job": job,
            "poll_url": reverse("transitions:enrolment_import_status", args=[job.pk]),
            "errors": (job.result or {}).get("errors", [])[:200],
        },
    )


@page(RECORD_ENROLMENT)
@require_GET
def enrolment_import_errors(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    rows = [list(r) for r in (job.result or {}).get("errors", [])]
    return exports.export_response(
        rows,
        headers=[_("Row"), _("Column"), _("Value"), _("Message")],
        fmt="xlsx",
        filename=f"enrolment-import-{job.pk}-errors",
    )
