"""Poverty register pages. Thin: forms shape input, one service call per POST, selectors read.

Access: a role without the view permission gets 403; a record or household outside the user's
region is 404 (its existence is not revealed); an action the user may not take is 403 with the
reason, a stale page (someone acted first) is a warning on the record page. The record page's
buttons are `POVERTY.allowed()` — exactly what the services would let the user do.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import apply_service_errors
from core.http import AuthenticatedHttpRequest
from core.masking import mask_name
from households import selectors as household_selectors
from households.models import Household, LabourCapacity, Membership, Relation
from poverty import classification, rules, selectors, services
from poverty.forms import (
    ConfirmExitForm,
    MeasureForm,
    OverrideForm,
    PreviewForm,
    ProposeExitForm,
    ReasonForm,
    RecordListForm,
    RegisterForm,
    ReturnForm,
    VerifyForm,
)
from poverty.models import ExitCertificate, PovertyRecord
from poverty.permissions import (
    ADD_MEASURE,
    CHANGE_RULE,
    OVERRIDE_CLASSIFICATION,
    REGISTER,
    VIEW_CERTIFICATE,
    VIEW_RECORD,
)
from poverty.throttle import VerifyThrottle
from poverty.workflow import POVERTY

S = PovertyRecord.Status
PAGE_SIZE = 50
MAIN_PATH = (S.REGISTERED, S.ASSISTED, S.EXIT_PROPOSED, S.EXIT_CONFIRMED)


def forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(
        request,
        "poverty/forbidden.html",
        {"message": message or _("Your role does not allow this action.")},
        status=403,
    )


def poverty_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Login required, view permission required, PermissionDenied shown as a 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            if not request.user.has_perm(VIEW_RECORD):
                raise PermissionDenied(_("Your role cannot see the poverty register."))
            return view(request, *args, **kwargs)
        except PermissionDenied as e:
            return forbidden(request, str(e))

    return wrapper


def _record(request: AuthenticatedHttpRequest, pk: int) -> PovertyRecord:
    try:
        return selectors.poverty_record_get(user=request.user, pk=pk)
    except PovertyRecord.DoesNotExist:
        raise Http404 from None


def _household(request: AuthenticatedHttpRequest, pk: int) -> Household:
    try:
        return household_selectors.household_get(user=request.user, pk=pk)
    except Household.DoesNotExist:
        raise Http404 from None


def _head_name(household: Household) -> str:
    m = (
        Membership.objects.active()
        .filter(household=household, relation=Relation.HEAD)
        .select_related("person")
        .first()
    )
    return m.person.name if m else ""


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


# ----------------------------------------------------------------------------- list and detail


@poverty_page
def record_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = RecordListForm(request.GET or None, user=request.user)
    filters = form.selector_filters() if form.is_valid() else {}
    try:
        qs = selectors.poverty_record_list(user=request.user, **filters)
    except PermissionDenied as e:  # a search by ID number without the reveal permission
        messages.error(request, str(e))
        qs = selectors.poverty_record_list(user=request.user).none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    heads = dict(
        Membership.objects.active()
        .filter(household_id__in=[r.household_id for r in rows], relation=Relation.HEAD)
        .values_list("household_id", "person__name")
    )
    for r in rows:
        r.head_name = heads.get(r.household_id, "")  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "poverty/record_list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@dataclass(frozen=True)
class ActionPage:
    name: str
    title: str | Promise
    button: str | Promise
    form: type[Any]
    danger: bool = False


PAGES = {
    "propose_exit": ActionPage(
        "propose_exit", gettext_lazy("Propose the exit"), gettext_lazy("Propose"), ProposeExitForm
    ),
    "confirm_exit": ActionPage(
        "confirm_exit",
        gettext_lazy("Record the government's confirmation"),
        gettext_lazy("Record the confirmation"),
        ConfirmExitForm,
    ),
    "return": ActionPage(
        "return",
        gettext_lazy("Record the return to poverty"),
        gettext_lazy("Record the return"),
        ReturnForm,
        danger=True,
    ),
    "withdraw_exit": ActionPage(
        "withdraw_exit",
        gettext_lazy("Withdraw the exit proposal"),
        gettext_lazy("Withdraw"),
        ReasonForm,
        danger=True,
    ),
    "report_cannot_exit": ActionPage(
        "report_cannot_exit",
        gettext_lazy("Report that the household cannot exit through industry or employment"),
        gettext_lazy("Report"),
        ReasonForm,
    ),
}


def stepper(record: PovertyRecord) -> list[dict[str, Any]]:
    status = record.status
    current = S.ASSISTED if status == S.RETURNED else status
    reached = MAIN_PATH.index(current) if current in MAIN_PATH else -1
    steps = []
    for i, s in enumerate(MAIN_PATH):
        state = "done" if i < reached else "current" if i == reached else "todo"
        steps.append({"status": s, "label": S(s).label, "state": state})
    if status == S.RETURNED:
        steps.append({"status": S.RETURNED, "label": S.RETURNED.label, "state": "bad"})
    return steps


def _action_url(record: PovertyRecord, name: str) -> str:
    if name == "record_measure":
        return reverse("poverty:measure_add", args=[record.household_id])
    return reverse(f"poverty:{name}", args=[record.pk])


@poverty_page
def record_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    allowed = POVERTY.allowed(record, request.user)
    current = classification.classification_current(user=request.user, household=record.household)
    return render(
        request,
        "poverty/record_detail.html",
        {
            "record": record,
            "head_name": _head_name(record.household),
            "steps": stepper(record),
            "allowed": allowed,
            "buttons": [
                (name, POVERTY[name].label, POVERTY[name].danger, _action_url(record, name))
                for name in allowed
                if name in PAGES or name == "record_measure"
            ],
            "aid": rules.aid_for_causes(record.causes),
            "classification": current,
            "can_see_certificate": request.user.has_perm(VIEW_CERTIFICATE),
            "history": [
                (t, POVERTY.actions[t.action].label if t.action in POVERTY.actions else t.action)
                for t in record.transitions.all()
            ],
        },
    )


# ----------------------------------------------------------------------------- writes


def _submit(
    request: AuthenticatedHttpRequest,
    form: Any,
    write: Callable[[], Any],
    success: str,
    back: Callable[[Any], HttpResponse],
    record: PovertyRecord | None = None,
) -> HttpResponse | None:
    try:
        result = write()
    except ValidationError as e:
        if getattr(e, "code", None) == "wrong_status" and record is not None:
            messages.warning(
                request, " ".join([*e.messages, _("Nothing was saved by this submission.")])
            )
            return redirect("poverty:detail", pk=record.pk)
        apply_service_errors(e, form)
        return None
    messages.success(request, success)
    return back(result)


@poverty_page
def record_register(request: AuthenticatedHttpRequest, household_pk: int) -> HttpResponse:
    if not request.user.has_perm(REGISTER):
        raise PermissionDenied(_("Your role does not allow this action."))
    household = _household(request, household_pk)
    form = RegisterForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        response = _submit(
            request,
            form,
            lambda: services.poverty_record_register(
                household=household,
                registered_on=d["registered_on"],
                causes=d["causes"],
                reason=d.get("reason") or "",
                by=request.user,
            ),
            _("The household is registered."),
            lambda record: redirect("poverty:detail", pk=record.pk),
        )
        if response is not None:
            return response
    return render(
        request,
        "poverty/form.html",
        {
            "form": form,
            "title": _("Register the household"),
            "button": _("Register"),
            "household": household,
            "head_name": _head_name(household),
        },
        status=400 if form.errors else 200,
    )


@poverty_page
def measure_add(request: AuthenticatedHttpRequest, household_pk: int) -> HttpResponse:
    if not request.user.has_perm(ADD_MEASURE):
        raise PermissionDenied(_("Your role does not allow this action."))
    household = _household(request, household_pk)
    record = PovertyRecord.objects.filter(household=household).first()
    form = MeasureForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        response = _submit(
            request,
            form,
            lambda: services.assistance_measure_record(
                household=household,
                kind=d["kind"],
                started_on=d["started_on"],
                department=d["department"],
                responsible_person=d["responsible_person"],
                funds=d.get("funds"),
                outcome=d.get("outcome") or "",
                by=request.user,
            ),
            _("The measure is recorded."),
            lambda m: (
                redirect("poverty:detail", pk=m.record_id)
                if m.record_id
                else redirect("households:detail", pk=household.pk)
            ),
            record,
        )
        if response is not None:
            return response
    return render(
        request,
        "poverty/form.html",
        {
            "form": form,
            "title": _("Record an assistance measure"),
            "button": _("Record"),
            "household": household,
            "head_name": _head_name(household),
            "record": record,
        },
        status=400 if form.errors else 200,
    )


def _call(name: str, record: PovertyRecord, d: dict[str, Any], by: Any) -> PovertyRecord:
    if name == "propose_exit":
        return services.poverty_record_propose_exit(
            record=record,
            on=d["on"],
            income_per_capita=d["income_per_capita"],
            evidence=d["evidence"],
            by=by,
        )
    if name == "confirm_exit":
        return services.poverty_record_confirm_exit(
            record=record,
            confirmed_on=d["confirmed_on"],
            document_no=d.get("document_no") or "",
            confirming_level=d["confirming_level"],
            by=by,
        )
    if name == "return":
        return services.poverty_record_return(record=record, on=d["on"], reason=d["reason"], by=by)
    if name == "withdraw_exit":
        return services.poverty_record_withdraw_exit(record=record, reason=d["reason"], by=by)
    return services.poverty_record_report_cannot_exit(record=record, reason=d["reason"], by=by)


@poverty_page
def record_action(request: AuthenticatedHttpRequest, pk: int, name: str) -> HttpResponse:
    record = _record(request, pk)
    page = PAGES[name]
    if not POVERTY.may(record, name, request.user):
        # Why not, in the guard's words (a stale status is a warning on the record page).
        try:
            POVERTY.check(record, name, request.user)
        except ValidationError as e:
            messages.warning(request, " ".join(e.messages))
            return redirect("poverty:detail", pk=record.pk)
    form = page.form(_posted(request))
    if request.method == "POST" and form.is_valid():
        response = _submit(
            request,
            form,
            lambda: _call(name, record, form.cleaned_data, request.user),
            _("Saved."),
            lambda r: redirect("poverty:detail", pk=r.pk),
            record,
        )
        if response is not None:
            return response
    return render(
        request,
        "poverty/form.html",
        {
            "form": form,
            "title": page.title,
            "button": page.button,
            "danger": page.danger,
            "record": record,
            "household": record.household,
            "head_name": _head_name(record.household),
        },
        status=400 if form.errors else 200,
    )


# ----------------------------------------------------------------------------- certificates


@poverty_page
def certificate_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm(VIEW_CERTIFICATE):
        raise PermissionDenied(_("Your role does not allow this action."))
    try:
        cert = selectors.certificate_get(user=request.user, pk=pk)
    except ExitCertificate.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "poverty/certificate_print.html",
        {
            "cert": cert,
            "c": cert.content,
            "code": services.format_code(cert.verification_code),
            "level_label": PovertyRecord.ConfirmingLevel(cert.content["confirming_level"]).label,
            "verify_url": request.build_absolute_uri(reverse("poverty:verify")),
            "dates": {
                k: dt.date.fromisoformat(cert.content[k])
                for k in ("registered_on", "confirmed_on", "issued_on")
                if cert.content.get(k)
            },
        },
    )


def certificate_verify(request: HttpRequest) -> HttpResponse:
    """Public (no login): enter the code printed on a certificate → the masked name, village,
    confirmation date, document number, and whether the stored content still hashes to the
    hash printed on it. Rate-limited per client address (poverty.throttle)."""
    form = VerifyForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "searched": False}
    if form.is_bound and form.is_valid():
        throttle = VerifyThrottle()
        if not throttle.allow_request(request, None):  # type: ignore[arg-type]
            context["throttled"] = True
            return render(request, "poverty/verify.html", context, status=429)
        context["searched"] = True
        cert = selectors.certificate_by_code(services.normalise_code(form.cleaned_data["code"]))
        if cert is not None:
            c = cert.content if isinstance(cert.content, dict) else {}
            context |= {
                "cert": cert,
                "masked_name": mask_name(str(c.get("head_name", ""))),
                "village": c.get("village", ""),
                "confirmed_on": c.get("confirmed_on", ""),
                "document_no": c.get("document_no", ""),
                "intact": services.content_hash(c) == cert.content_hash,
            }
    return render(request, "poverty/verify.html", context)


# ----------------------------------------------------------------------------- classification


@poverty_page
def classification_override(request: AuthenticatedHttpRequest, household_pk: int) -> HttpResponse:
    if not request.user.has_perm(OVERRIDE_CLASSIFICATION):
        raise PermissionDenied(_("Your role does not allow this action."))
    household = _household(request, household_pk)
    current = classification.classification_current(user=request.user, household=household)
    form = OverrideForm(_posted(request) if "release" not in request.POST else None)
    if request.method == "POST":
        if "release" in request.POST:
            try:
                classification.classification_release(household=household, by=request.user)
                messages.success(request, _("The override is released."))
            except ValidationError as e:
                messages.warning(request, " ".join(e.messages))
            return redirect("households:detail", pk=household.pk)
        if form.is_valid():
            d = form.cleaned_data
            response = _submit(
                request,
                form,
                lambda: classification.classification_override(
                    household=household, klass=d["klass"], reason=d["reason"], by=request.user
                ),
                _("The classification is overridden."),
                lambda _row: redirect("households:detail", pk=household.pk),
            )
            if response is not None:
                return response
    return render(
        request,
        "poverty/override.html",
        {
            "form": form,
            "household": household,
            "head_name": _head_name(household),
            "classification": current,
        },
        status=400 if form.errors else 200,
    )


@poverty_page
def classification_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Before the data administrator changes the rule: how many households would change class
    per district with the proposed parameters (computed, nothing written)."""
    if not request.user.has_perm(CHANGE_RULE):
        raise PermissionDenied(_("Your role does not allow this action."))
    today = timezone.localdate()
    try:
        rule = classification.rule_in_force(today)
    except ValidationError as e:
        return forbidden(request, " ".join(e.messages))
    initial = {
        "min_age": rule.min_age,
        "max_age": rule.max_age,
        "capacities": rule.capacities,
        "students_count": rule.students_count,
    }
    form = PreviewForm(request.GET or None, initial=initial)
    rows: list[classification.PreviewRow] | None = None
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        rows = classification.classification_preview(
            user=request.user,
            proposed=classification.RuleParams(
                d["min_age"], d["max_age"], tuple(d["capacities"]), d["students_count"]
            ),
            on=today,
        )
    return render(
        request,
        "poverty/classification_preview.html",
        {
            "form": form,
            "rule": rule,
            "rule_capacities": [str(LabourCapacity(c).label) for c in rule.capacities],
            "rows": rows,
            "total_changing": sum(r.changing for r in rows) if rows else 0,
        },
        status=400 if form.errors else 200,
    )


@poverty_page
def progress(request: AuthenticatedHttpRequest) -> HttpResponse:
    year_raw = request.GET.get("year", "")
    year = int(year_raw) if year_raw.isdigit() and 2000 < int(year_raw) < 2100 else None
    rows = selectors.exit_progress(user=request.user, year=year)
    return render(
        request,
        "poverty/progress.html",
        {"rows": rows, "year": year or timezone.localdate().year},
    )
