"""Audit pages: plans (list, create, detail with the draw and the sample per stratum, the
cancellation behind its confirmation page), the auditor's worklist, record and correction forms,
the report. Thin: selectors read, services write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exports import FORMATS
from core.forms import apply_service_errors
from core.http import AuthenticatedHttpRequest
from core.pages import role_page
from core.scope import visible_regions

from ..models import AuditPlan, AuditSample
from ..permissions import PLAN_AUDIT, RECORD_AUDIT, VIEW_AUDIT
from . import report as audit_report
from . import sampling, selectors, services
from .forms import AssignForm, CancelForm, CorrectForm, PlanForm, ReasonForm, RecordForm
from .panels import panels_for
from .workflow import AUDIT

# Role-gated pages (core.pages): login, permission, refusal as the 403 page with its reason.
page = role_page
PAGE_SIZE = 50


# A POST the plan or the sample has overtaken (someone acted first): told, not a form error.
STALE = ("wrong_status", "already_recorded", "not_recorded", "stale")


def _stale_or_errors(request: AuthenticatedHttpRequest, e: ValidationError) -> None:
    messages.warning(request, " ".join(e.messages))


def _refusal(check: Callable[[], None]) -> str | None:
    """None if the guard lets the user through; else its own reason (for the GET of a page
    whose action the user may not take now: told on the page they came from)."""
    try:
        check()
    except ValidationError as e:
        return " ".join(e.messages)
    except PermissionDenied as e:
        return str(e)
    return None


@page(VIEW_AUDIT)
@require_GET
def plan_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status and status not in AuditPlan.Status.values:
        raise Http404
    rows = selectors.audit_plan_list(user=request.user, status=status)
    listing = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "verification/audits/plans.html",
        {
            "page": listing,
            "status": status,
            "statuses": AuditPlan.Status.choices,
            "query": f"status={status}",
            "may_plan": request.user.has_perm(PLAN_AUDIT),
            "is_auditor": selectors.is_auditor(request.user),
        },
    )


def _plan_form(request: AuthenticatedHttpRequest) -> PlanForm:
    today = timezone.localdate()
    form = PlanForm(
        request.POST if request.method == "POST" else None,
        initial={
            "period_from": today.replace(month=1 if today.month <= 6 else 7, day=1),
            "period_to": services.half_year_end(today),
        },
    )
    form.fields["region"].queryset = form.fields["region"].queryset.filter(  # type: ignore[attr-defined]
        pk__in=visible_regions(request.user).values("pk")
    )
    return form


@page(PLAN_AUDIT)
def plan_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _plan_form(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.audit_plan_create(
                name=data["name"],
                region=data["region"],
                period_from=data["period_from"],
                period_to=data["period_to"],
                allocation=data["allocation"],
                sample_percent=data.get("sample_percent"),
                per_stratum=data.get("per_stratum"),
                min_per_stratum=data.get("min_per_stratum"),
                seed=data.get("seed"),
                auditors=data["auditors"],
                by=request.user,
            )
        except ValidationError as e:
            apply_service_errors(e, form)
        else:
            messages.success(request, _("Saved."))
            return redirect("verification:audit_detail", pk=plan.pk)
    return render(
        request,
        "verification/audits/plan_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@page(VIEW_AUDIT)
@require_GET
def plan_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = selectors.audit_plan_get(user=request.user, pk=pk)
    allowed = AUDIT.allowed(plan, request.user)
    preview: list[tuple[sampling.StratumPreview, str]] | None = None
    if plan.status == AuditPlan.Status.DRAFT and "draw" in allowed:
        today = timezone.localdate()
        rate = plan.sample_percent or services.policy_in_force(today).sample_percent
        strata = sampling.preview(plan, rate=rate, until=min(plan.period_to, today))
        towns = dict(
            visible_regions(request.user)
            .filter(pk__in=[p.town_id for p in strata])
            .values_list("pk", "name")
        )
        preview = [(p, towns.get(p.town_id, "")) for p in strata]
    samples = Paginator(
        selectors.audit_sample_list(
            user=request.user, filters=selectors.SampleFilters(plan=plan.pk)
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "verification/audits/plan_detail.html",
        {
            "plan": plan,
            "allowed": allowed,
            "preview": preview,
            "preview_total": sum(p.sample_size for p, _n in preview) if preview else 0,
            "strata": selectors.audit_strata(plan) if plan.status != AuditPlan.Status.DRAFT else [],
            "page": samples,
            "query": "",
            "transitions": plan.transitions.select_related("by"),
            "auditors": plan.auditors.all(),
            "assign_form": AssignForm(initial={"auditors": plan.auditors.all()}),
            "close_form": ReasonForm(),
            "reportable": audit_report.reportable(plan),
        },
    )


def _act(
    request: AuthenticatedHttpRequest, pk: int, do: Callable[[AuditPlan], Any]
) -> HttpResponse:
    plan = selectors.audit_plan_get(user=request.user, pk=pk)
    try:
        do(plan)
    except ValidationError as e:
        _stale_or_errors(request, e)
    else:
        messages.success(request, _("Saved."))
    return redirect("verification:audit_detail", pk=plan.pk)


@page(PLAN_AUDIT)
@require_POST
def plan_draw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda plan: services.audit_plan_draw(plan=plan, by=request.user))


@page(PLAN_AUDIT)
@require_POST
def plan_assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.warning(request, _("Assign at least one auditor."))
        return redirect("verification:audit_detail", pk=pk)
    return _act(
        request,
        pk,
        lambda plan: services.audit_plan_assign(
            plan=plan, auditors=form.cleaned_data["auditors"], by=request.user
        ),
    )


@page(PLAN_AUDIT)
@require_POST
def plan_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        pk,
        lambda plan: services.audit_plan_close(plan=plan, by=request.user, reason=reason),
    )


@page(VIEW_AUDIT)
@require_GET
def plan_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = selectors.audit_plan_get(user=request.user, pk=pk)
    if not audit_report.reportable(plan):
        raise Http404
    return render(
        request,
        "verification/audits/report.html",
        {"plan": plan, "report": audit_report.plan_report(plan), "formats": FORMATS},
    )


@page(VIEW_AUDIT)
@require_GET
def plan_report_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = selectors.audit_plan_get(user=request.user, pk=pk)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS or not audit_report.reportable(plan):
        raise Http404
    return audit_report.export_response(audit_report.plan_report(plan), fmt)  # type: ignore[no-any-return]


@page(VIEW_AUDIT)
@require_GET
def worklist(request: AuthenticatedHttpRequest) -> HttpResponse:
    result = request.GET.get("result", "pending")
    if result and result not in AuditSample.Result.values:
        raise Http404
    plan = request.GET.get("plan", "")
    filters = selectors.SampleFilters(
        plan=int(plan) if plan.isdigit() else None, result=result, open_only=True
    )
    rows = selectors.audit_sample_list(user=request.user, filters=filters)
    listing = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "verification/audits/worklist.html",
        {
            "page": listing,
            "result": result,
            "results": AuditSample.Result.choices,
            "query": f"result={result}&plan={plan}",
        },
    )


@page(VIEW_AUDIT)
def sample_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sample = selectors.audit_sample_get(user=request.user, pk=pk)
    allowed = services.sample_allowed(sample, request.user)
    may_record = "record" in allowed
    form = RecordForm(
        request.POST if request.method == "POST" else None,
        sample=sample,
        initial={"visited_on": timezone.localdate()},
    )
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied(_("You may not record a result on this household."))
        if form.is_valid():
            try:
                services.audit_sample_record(sample=sample, by=request.user, **form.cleaned_data)
            except ValidationError as e:
                if getattr(e, "code", None) in STALE:
                    _stale_or_errors(request, e)
                    return redirect("verification:audit_sample", pk=sample.pk)
                apply_service_errors(e, form)
            else:
                messages.success(request, _("Saved."))
                if selectors.is_auditor(request.user):
                    return redirect("verification:audit_worklist")
                return redirect("verification:audit_detail", pk=sample.plan_id)
    return render(
        request,
        "verification/audits/sample.html",
        {
            "sample": sample,
            "members": selectors.sample_members(user=request.user, sample=sample),
            "earlier": selectors.earlier_results(user=request.user, sample=sample),
            "panels": panels_for(request.user, sample),
            "form": form,
            "may_record": may_record,
            "may_correct": "correct" in allowed,
            "corrections": sample.plan.transitions.filter(sample=sample, action="correct")
            .select_related("by")
            .order_by("at", "id"),
        },
        status=400 if form.errors else 200,
    )


@page(RECORD_AUDIT)
def sample_correct(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The recording auditor corrects their result (a page of its own: the reason is required
    and the current result is shown beside the form)."""
    sample = selectors.audit_sample_get(user=request.user, pk=pk)
    back = redirect("verification:audit_sample", pk=sample.pk)
    if request.method != "POST":
        problem = _refusal(
            lambda: services.sample_check(sample, sample.plan, "correct", request.user)
        )
        if problem is not None:
            messages.error(request, problem)
            return back
    form = CorrectForm(request.POST if request.method == "POST" else None, sample=sample)
    if request.method == "POST" and form.is_valid():
        try:
            services.audit_sample_correct(sample=sample, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            if getattr(e, "code", None) in STALE:
                _stale_or_errors(request, e)
                return back
            apply_service_errors(e, form)
        else:
            messages.success(request, _("The result was corrected."))
            return back
    return render(
        request,
        "verification/audits/correct.html",
        {"sample": sample, "form": form},
        status=400 if form.errors else 200,
    )


@page(PLAN_AUDIT)
def plan_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Cancel the plan: a confirmation page saying what it does, the reason required."""
    plan = selectors.audit_plan_get(user=request.user, pk=pk)
    back = redirect("verification:audit_detail", pk=plan.pk)
    if request.method != "POST":
        problem = _refusal(lambda: AUDIT.check(plan, "cancel", request.user))
        if problem is not None:
            messages.error(request, problem)
            return back
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.audit_plan_cancel(plan=plan, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            if getattr(e, "code", None) in STALE:
                _stale_or_errors(request, e)
                return back
            apply_service_errors(e, form)
        else:
            messages.success(request, _("The audit plan was cancelled."))
            return back
    return render(
        request,
        "verification/audits/cancel.html",
        {
            "plan": plan,
            "form": form,
            "recorded": plan.n_recorded or 0,  # type: ignore[attr-defined]
            "reviews": plan.samples.filter(review__isnull=False).count(),
        },
        status=400 if form.errors else 200,
    )
