"""Pages of the other assistance programmes and of outreach reports. Thin: forms check shapes,
assistance.programmes.services writes and reads (scoped)."""

from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from assistance import exports, listing
from assistance.listing import ProgrammeListForm
from assistance.models import OutreachReport, Programme, ProgrammeCase
from assistance.permissions import (
    CHANGE_OUTREACH,
    DECIDE_PROGRAMME,
    EXPORT_PROGRAMME,
    REPORT_OUTREACH,
)
from assistance.programmes import outreach
from assistance.programmes import selectors as programme_selectors
from assistance.programmes import services as svc
from assistance.programmes import workflow as programme_workflow
from assistance.programmes.forms import (
    ApplyForm,
    ApproveForm,
    ConvertDibaoForm,
    ConvertProgrammeForm,
    DocumentForm,
    OutreachForm,
    PayForm,
    ReasonForm,
    RefuseForm,
)
from assistance.programmes.workflow import PROGRAMME
from core.forms import SubmitOnce, apply_service_errors
from core.http import AuthenticatedHttpRequest
from core.models import User
from core.workflow import has_any_perm
from households.models import Household
from households.selectors import household_get, household_list

PAGE_SIZE = 50
PS = ProgrammeCase.Status
VIEW = "assistance.view_programmecase"
VIEW_OUTREACH = "assistance.view_outreachreport"

COMPUTATION_LABELS = {
    "on": gettext_lazy("Computed on"),
    "standard": gettext_lazy("Dibao standard (yuan/person/month)"),
    "multiple": gettext_lazy("Multiple of the standard"),
    "floor": gettext_lazy("Minimum tekun support (yuan/month)"),
    "threshold": gettext_lazy("Low-income threshold (yuan/person/month)"),
    "per_capita_income": gettext_lazy("Per-capita monthly income"),
    "band": gettext_lazy("Income band"),
    "members": gettext_lazy("Members"),
    "cap": gettext_lazy("Cap of one award (yuan)"),
    "already_awarded_for_cause": gettext_lazy("Already awarded for this cause this year"),
    "out_of_pocket": gettext_lazy("Compliant out-of-pocket cost"),
    "annual_income": gettext_lazy("Annual household income"),
    "capacity": gettext_lazy("Household capacity"),
    "rate_pct": gettext_lazy("Aid rate (%)"),
    "formula_amount": gettext_lazy("Formula amount"),
    "annual_cap": gettext_lazy("Annual cap"),
    "already_awarded": gettext_lazy("Already awarded this year"),
    "remaining_cap": gettext_lazy("Remaining under the cap"),
    "aid": gettext_lazy("Medical aid due"),
    "recognitions": gettext_lazy("Household already recognised as"),
}
BANDS = {
    "dibao": gettext_lazy("Below the dibao standard (a dibao case)"),
    "low_income": gettext_lazy("Low-income"),
    "above": gettext_lazy("Above the low-income threshold"),
}
DETAIL_LABELS = {
    "no_income": gettext_lazy("No income"),
    "no_legal_supporter": gettext_lazy("No legal supporter able to support"),
    "per_capita_income": gettext_lazy("Per-capita monthly income"),
    "compliant_out_of_pocket": gettext_lazy("Compliant out-of-pocket medical cost"),
    "annual_household_income": gettext_lazy("Annual household income"),
    "description": gettext_lazy("Situation"),
}


def _user(request: AuthenticatedHttpRequest) -> User:
    return request.user


def dibao_case_url(pk: int) -> str | None:
    """The dibao case page (assistance/urls.py), or None if the dibao pages are not installed."""
    try:
        return reverse("assistance:detail", args=[pk])
    except NoReverseMatch:
        return None


# ----------------------------------------------------------------------------- programme cases


def _get_case(request: AuthenticatedHttpRequest, pk: int) -> ProgrammeCase:
    try:
        return programme_selectors.programme_case_get(user=_user(request), pk=pk)
    except ProgrammeCase.DoesNotExist:
        raise Http404 from None


def _get_household(request: AuthenticatedHttpRequest, pk: int) -> Household:
    try:
        return household_get(user=_user(request), pk=pk)
    except Household.DoesNotExist:
        raise Http404 from None


@login_required
@permission_required(VIEW, raise_exception=True)
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Programme cases: filters, sortable columns, documents overdue first by default."""
    user = _user(request)
    form = ProgrammeListForm(request.GET or None, user=user)
    today = timezone.localdate()
    filters = form.selector_filters() if form.is_valid() else {}
    qs = programme_selectors.programme_cases(user=user, today=today, **filters)
    if form.is_bound and not form.is_valid():
        qs = qs.none()
    return render(
        request,
        "assistance/programmes/list.html",
        listing.list_context(
            request,
            qs,
            form=form,
            default_sort=programme_selectors.DEFAULT_SORT,
            today=today,
            can_export=user.has_perm(EXPORT_PROGRAMME),
            per_page=PAGE_SIZE,
        ),
        status=400 if form.errors else 200,
    )


@login_required
@permission_required(EXPORT_PROGRAMME, raise_exception=True)
def case_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The filtered programme cases as xlsx (masked names), at most EXPORT_MAX_ROWS rows."""
    user = _user(request)
    if not user.has_perm(VIEW):
        raise PermissionDenied
    return listing.export_response(
        request,
        form=ProgrammeListForm(request.GET or None, user=user),
        list_url=reverse("assistance_programmes:list"),
        cases=partial(programme_selectors.programme_cases, user=user),
        model=ProgrammeCase,
        respond=exports.programme_export_response,
    )


@login_required
@permission_required(programme_workflow.APPLY, raise_exception=True)
def case_apply(request: AuthenticatedHttpRequest, household_pk: int) -> HttpResponse:
    household = _get_household(request, household_pk)
    once = SubmitOnce(request)  # a replayed application registers nothing twice
    if once.replayed:
        return once.replay_response(reverse("households:detail", args=[household.pk]))
    report = None
    if request.GET.get("outreach") or request.POST.get("outreach"):
        if not request.user.has_perm(CHANGE_OUTREACH):
            raise PermissionDenied
        try:
            report = programme_selectors.outreach_report_get(
                user=_user(request), pk=request.GET.get("outreach") or request.POST["outreach"]
            )
        except (OutreachReport.DoesNotExist, ValueError):
            raise Http404 from None
    initial = {
        "applied_on": timezone.localdate(),
        "programme": request.GET.get("programme") or Programme.TEMPORARY,
    }
    if report is not None:
        initial["description"] = report.description
    form = ApplyForm(request.POST or None, household=household, initial=initial)
    if request.method == "POST" and form.is_valid():
        if not once.claim():
            return once.replay_response(reverse("households:detail", args=[household.pk]))
        kwargs = form.service_kwargs()
        try:
            if report is not None:
                report = outreach.outreach_convert(
                    report=report,
                    by=_user(request),
                    household=household,
                    **kwargs,
                )
                case = report.programme_case
            else:
                case = svc.programme_apply(household=household, by=_user(request), **kwargs)
        except ValidationError as e:
            once.release()
            apply_service_errors(e, form)
        else:
            once.done(reverse("assistance_programmes:detail", args=[case.pk]))  # type: ignore[union-attr]
            messages.success(request, _("Application registered."))
            return redirect("assistance_programmes:detail", pk=case.pk)  # type: ignore[union-attr]
    return render(
        request,
        "assistance/programmes/apply.html",
        {"form": form, "household": household, "report": report, "submit_once": once},
    )


def _computation_rows(case: ProgrammeCase) -> list[tuple[Any, Any]]:
    rows = []
    for key, label in COMPUTATION_LABELS.items():
        if key not in case.computation:
            continue
        value = case.computation[key]
        if key == "band":
            value = BANDS.get(value, value)
        elif key == "recognitions":
            names = {"dibao": _("Dibao"), **{k: str(v) for k, v in Programme.choices}}
            value = "、".join(names.get(v, v) for v in value) or "—"
        elif isinstance(value, bool):
            value = _("Yes") if value else _("No")
        rows.append((label, value))
    return rows


def _detail_rows(case: ProgrammeCase) -> list[tuple[Any, Any]]:
    rows = []
    for key, value in case.details.items():
        if isinstance(value, bool):
            value = _("Yes") if value else _("No")
        rows.append((DETAIL_LABELS.get(key, key), value))
    return rows


def _render_case(
    request: AuthenticatedHttpRequest, case: ProgrammeCase, **forms_: Any
) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    forms_.setdefault("approve_form", ApproveForm(initial={"on": today}))
    forms_.setdefault("refuse_form", RefuseForm(initial={"on": today}))
    forms_.setdefault("pay_form", PayForm(initial={"on": today}))
    forms_.setdefault("document_form", DocumentForm(initial={"on": today}))
    forms_.setdefault("close_form", ReasonForm())
    status = 400 if any(f.is_bound and f.errors for f in forms_.values()) else 200
    allowed = set(PROGRAMME.allowed(case, user))
    return render(
        request,
        "assistance/programmes/detail.html",
        {
            "case": case,
            "transitions": case.transitions.select_related("by"),
            "computation": _computation_rows(case),
            "findings": case.computation.get("findings") or [],
            "details": _detail_rows(case),
            "cause_label": programme_workflow.TemporaryCause.label(case.cause)
            if case.cause
            else "",
            "overdue": programme_selectors.documentation_overdue(case, today=today),
            # The forms offered are exactly the actions the services would allow (workflow).
            "allowed_actions": allowed,
            "can_decide": bool(allowed & {"approve", "refuse"}),
            "can_pay": "pay" in allowed,
            "can_document": "document" in allowed,
            "can_close": bool(allowed & {"close", "cancel"}),
            **forms_,
        },
        status=status,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_case(request, _get_case(request, pk))


def _action(
    request: AuthenticatedHttpRequest,
    pk: int,
    form_class: type[forms.Form],
    form_name: str,
    run: Any,
    done: str,
) -> HttpResponse:
    case = _get_case(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            run(case, form.cleaned_data, _user(request))
        except ValidationError as e:
            apply_service_errors(e, form)
        else:
            messages.success(request, done)
            return redirect("assistance_programmes:detail", pk=case.pk)
    return _render_case(request, case, **{form_name: form})


@login_required
@require_POST
@permission_required(DECIDE_PROGRAMME, raise_exception=True)
def case_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        ApproveForm,
        "approve_form",
        lambda case, d, by: svc.programme_approve(
            case=case, amount=d.get("amount"), on=d["on"], by=by, reason=d.get("reason", "")
        ),
        _("Approved."),
    )


@login_required
@require_POST
@permission_required(DECIDE_PROGRAMME, raise_exception=True)
def case_refuse(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        RefuseForm,
        "refuse_form",
        lambda case, d, by: svc.programme_refuse(case=case, on=d["on"], by=by, reason=d["reason"]),
        _("Refused."),
    )


def _require_act(request: AuthenticatedHttpRequest) -> None:
    if not has_any_perm(_user(request), PROGRAMME["pay"].permission):
        raise PermissionDenied


@login_required
@require_POST
def case_pay(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_act(request)
    return _action(
        request,
        pk,
        PayForm,
        "pay_form",
        lambda case, d, by: svc.programme_pay(case=case, on=d["on"], by=by),
        _("Payment recorded."),
    )


@login_required
@require_POST
def case_document(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_act(request)
    return _action(
        request,
        pk,
        DocumentForm,
        "document_form",
        lambda case, d, by: svc.programme_document(
            case=case, on=d["on"], by=by, note=d.get("note", "")
        ),
        _("Documents recorded."),
    )


@login_required
@require_POST
def case_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_act(request)
    return _action(
        request,
        pk,
        ReasonForm,
        "close_form",
        lambda case, d, by: svc.programme_close(case=case, by=by, reason=d["reason"]),
        _("Case closed."),
    )


# ----------------------------------------------------------------------------- outreach


def _get_report(request: AuthenticatedHttpRequest, pk: int) -> OutreachReport:
    try:
        return programme_selectors.outreach_report_get(user=_user(request), pk=pk)
    except OutreachReport.DoesNotExist:
        raise Http404 from None


@login_required
@permission_required(VIEW_OUTREACH, raise_exception=True)
def outreach_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ("", *OutreachReport.Status.values):
        raise Http404
    qs = programme_selectors.outreach_reports(user=_user(request), status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "assistance/programmes/outreach_list.html",
        {
            "page": page,
            "status": status,
            "statuses": OutreachReport.Status.choices,
            "query": query.urlencode(),
            "can_report": request.user.has_perm(REPORT_OUTREACH),
        },
    )


@login_required
@permission_required(REPORT_OUTREACH, raise_exception=True)
def outreach_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _user(request)
    once = SubmitOnce(request)  # a replayed report is recorded once
    if once.replayed:
        return once.replay_response(reverse("assistance_programmes:outreach_list"))
    initial: dict[str, Any] = {}
    if request.GET.get("household"):
        h = household_list(user=user).filter(pk=request.GET["household"]).first()
        if h is not None:
            initial = {"household": h.pk, "village": h.village_id}
    form = OutreachForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        household = None
        if d.get("household"):
            household = household_list(user=user).filter(pk=d["household"]).first()
            if household is None:
                form.add_error("household", _("Unknown household, or outside your area."))
        if not form.errors and not once.claim():
            return once.replay_response(reverse("assistance_programmes:outreach_list"))
        if not form.errors:
            try:
                report = outreach.outreach_report(
                    village=d["village"],
                    subject_name=d["subject_name"],
                    description=d["description"],
                    household=household,
                    by=user,
                )
            except ValidationError as e:
                once.release()
                apply_service_errors(e, form)
            else:
                once.done(reverse("assistance_programmes:outreach_detail", args=[report.pk]))
                messages.success(request, _("Report recorded. The township will follow it up."))
                return redirect("assistance_programmes:outreach_detail", pk=report.pk)
    return render(
        request, "assistance/programmes/outreach_form.html", {"form": form, "submit_once": once}
    )


def _render_report(
    request: AuthenticatedHttpRequest, report: OutreachReport, **forms_: Any
) -> HttpResponse:
    user = _user(request)
    initial = {"household": report.household_id} if report.household_id else {}
    forms_.setdefault("dibao_form", ConvertDibaoForm(initial=initial))
    forms_.setdefault("programme_form", ConvertProgrammeForm(initial=initial))
    forms_.setdefault("close_form", ReasonForm())
    status = 400 if any(f.is_bound and f.errors for f in forms_.values()) else 200
    return render(
        request,
        "assistance/programmes/outreach_detail.html",
        {
            "report": report,
            "can_handle": user.has_perm(CHANGE_OUTREACH)
            and report.status == OutreachReport.Status.OPEN,
            "dibao_url": dibao_case_url(report.dibao_case_id) if report.dibao_case_id else None,
            **forms_,
        },
        status=status,
    )


@login_required
@permission_required(VIEW_OUTREACH, raise_exception=True)
def outreach_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_report(request, _get_report(request, pk))


@login_required
@require_POST
@permission_required(CHANGE_OUTREACH, raise_exception=True)
def outreach_convert(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """To dibao: opens the dibao case here. To a programme: continues on the apply form."""
    report = _get_report(request, pk)
    user = _user(request)
    if request.POST.get("target") == "programme":
        form: forms.Form = ConvertProgrammeForm(request.POST)
        if form.is_valid():
            household = household_list(user=user).filter(pk=form.cleaned_data["household"]).first()
            if household is None:
                form.add_error("household", _("Unknown household, or outside your area."))
            else:
                url = reverse("assistance_programmes:apply", args=[household.pk])
                return redirect(
                    f"{url}?programme={form.cleaned_data['programme']}&outreach={report.pk}"
                )
        return _render_report(request, report, programme_form=form)
    form = ConvertDibaoForm(request.POST)
    if form.is_valid():
        household = household_list(user=user).filter(pk=form.cleaned_data["household"]).first()
        if household is None:
            form.add_error("household", _("Unknown household, or outside your area."))
        else:
            try:
                report = outreach.outreach_convert(
                    report=report,
                    by=user,
                    programme="dibao",
                    household=household,
                    agent_name=form.cleaned_data.get("agent_name", ""),
                )
            except ValidationError as e:
                apply_service_errors(e, form)
            else:
                messages.success(request, _("A dibao case was opened from the report."))
                target = dibao_case_url(report.dibao_case_id)  # type: ignore[arg-type]
                return redirect(
                    target or reverse("assistance_programmes:outreach_detail", args=[pk])
                )
    return _render_report(request, report, dibao_form=form)


@login_required
@require_POST
@permission_required(CHANGE_OUTREACH, raise_exception=True)
def outreach_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _get_report(request, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            outreach.outreach_close(
                report=report, reason=form.cleaned_data["reason"], by=_user(request)
            )
        except ValidationError as e:
            apply_service_errors(e, form)
        else:
            messages.success(request, _("Report closed."))
            return redirect("assistance_programmes:outreach_detail", pk=pk)
    return _render_report(request, report, close_form=form)
