"""Payroll pages: the district's payrolls, "build a month" (a background job with a progress bar),
a payroll's lines and totals, approval with a confirmation, and the bank-file export.

Thin: services in assistance.payroll.services write, selectors read. Scope: a payroll outside the user's
area is a 404; a role without the permission gets 403 (a caseworker has no district payroll in
their township's scope, so their list is empty)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assistance.models import Payroll, PayrollLine
from assistance.payroll import selectors as payroll_selectors
from assistance.payroll import services
from assistance.payroll.workflow import PAYROLL
from assistance.permissions import APPROVE_PAYROLL, BUILD_PAYROLL
from core.http import AuthenticatedHttpRequest
from core.models import AccessLog, Job, Region
from core.months import first_of_next_month, parse_month
from core.scope import scope_queryset, visible_regions
from core.services import access_log_record

VIEW_PAYROLL = "assistance.view_payroll"
PAGE_SIZE = 50


def _payroll(request: AuthenticatedHttpRequest, pk: int) -> Payroll:
    try:
        return (
            payroll_selectors.payroll_list(user=request.user)
            .select_related("job", "built_by")
            .get(pk=pk)
        )
    except Payroll.DoesNotExist:
        raise Http404 from None


def _counties(request: AuthenticatedHttpRequest) -> QuerySet[Region]:
    return visible_regions(request.user).filter(level=Region.Level.COUNTY).order_by("code")


def _jobs(request: AuthenticatedHttpRequest) -> QuerySet[Job]:
    return scope_queryset(
        Job.objects.filter(kind=services.JOB_KIND),
        request.user,
        region_field="region",
    )


@login_required
@permission_required(VIEW_PAYROLL, raise_exception=True)
@require_GET
def payroll_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = payroll_selectors.payroll_list(user=request.user).select_related("job")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    can_build = request.user.has_perm(BUILD_PAYROLL)
    return render(
        request,
        "assistance/payroll/list.html",
        {
            "page": page,
            "query": "",
            "can_build": can_build,
            "counties": _counties(request) if can_build else [],
            "next_month": first_of_next_month(timezone.localdate()).strftime("%Y-%m"),
        },
    )


@login_required
@permission_required(BUILD_PAYROLL, raise_exception=True)
@require_POST
def payroll_build(request: AuthenticatedHttpRequest) -> HttpResponse:
    county = _counties(request).filter(pk=request.POST.get("county") or 0).first()
    if county is None:
        raise Http404
    try:
        month = parse_month(request.POST.get("month", ""))
        job = services.payroll_build_start(county=county, month=month, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("assistance_payroll:list")
    payroll = Payroll.objects.get(county=county, month=month)
    messages.success(request, _("The payroll is being built in the background."))
    return redirect(reverse("assistance_payroll:detail", args=[payroll.pk]) + f"?job={job.pk}")


@login_required
@permission_required(VIEW_PAYROLL, raise_exception=True)
@require_GET
def job_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The build's progress: JSON, or the progress-bar fragment for HTMX polling (which asks the
    page to reload once the job has finished)."""
    job = _jobs(request).filter(pk=pk).first()
    if job is None:
        raise Http404
    finished = job.status in (Job.Status.DONE, Job.Status.FAILED)
    if getattr(request, "htmx", False):
        resp = render(request, "assistance/payroll/_progress.html", {"job": job})
        if finished:
            resp["HX-Refresh"] = "true"
        return resp
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "percent": job.percent,
            "done": job.progress_done,
            "total": job.progress_total,
            "message": job.message,
            "finished": finished,
            "payroll": job.result.get("payroll"),
        }
    )


@login_required
@permission_required(VIEW_PAYROLL, raise_exception=True)
@require_GET
def payroll_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    payroll = _payroll(request, pk)
    user = request.user
    missing = request.GET.get("missing") == "1"
    sums = PayrollLine.objects.filter(payroll=payroll).aggregate(
        base=Sum("base_amount"),
        supplements=Sum("supplement_amount"),
        price_subsidy=Sum("price_subsidy"),
        total=Sum("total"),
        members=Sum("members"),
        no_account=Count("id", filter=Q(bank_account="")),
    )
    lines = payroll_selectors.payroll_lines(payroll=payroll, missing_account=missing)
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    # A line without a bank account links to its payee's edit page, for who may edit them.
    editable = payroll_selectors.persons_editable_by(
        user,
        {
            line.payee_id  # type: ignore[attr-defined]  # annotated by the selector
            for line in page
            if not line.bank_account and line.payee_id  # type: ignore[attr-defined]
        },
    )
    # A build queued or running (a rebuild of a draft, or the monthly job): the page polls it
    # and the approval waits (the service refuses it too).
    active = payroll_selectors.payroll_active_job(payroll)
    job = active or payroll.job
    running = active is not None
    allowed = set(PAYROLL.allowed(payroll, user))
    may_approve = "approve" in allowed and payroll.line_count > 0
    return render(
        request,
        "assistance/payroll/detail.html",
        {
            "payroll": payroll,
            "page": page,
            "query": "missing=1" if missing else "",
            "missing_only": missing,
            "editable": editable,
            "sums": sums,
            "job": job,
            "running": running,
            # From the declaration (assistance.payroll.workflow): the builder never approves.
            "can_approve": may_approve and not running,
            "approve_waits": may_approve and running,
            "can_rebuild": "build" in allowed and not running,
            "can_export": user.has_perm(APPROVE_PAYROLL)
            and payroll.status == Payroll.Status.APPROVED,
        },
    )


@login_required
@permission_required(APPROVE_PAYROLL, raise_exception=True)
@require_http_methods(["GET", "POST"])
def payroll_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    payroll = _payroll(request, pk)
    if request.method == "POST":
        try:
            services.payroll_approve(payroll=payroll, by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Payroll approved: it is locked and can be exported."))
        return redirect("assistance_payroll:detail", pk=payroll.pk)
    running = payroll_selectors.payroll_active_job(payroll) is not None
    return render(
        request, "assistance/payroll/approve.html", {"payroll": payroll, "running": running}
    )


@login_required
@permission_required(APPROVE_PAYROLL, raise_exception=True)
@require_GET
def payroll_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    payroll = _payroll(request, pk)
    try:
        body, content_type, name = services.payroll_export(payroll, fmt)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("assistance_payroll:detail", pk=payroll.pk)
    access_log_record(
        by=request.user,
        action=AccessLog.Action.EXPORT,
        obj=payroll,
        detail=f"bank file {fmt}",
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    resp = HttpResponse(body, content_type=content_type)
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp
