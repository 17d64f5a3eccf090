"""Dibao case pages. Thin: forms shape input, one service call per POST, selectors read.

Access: a role without `assistance.view_dibaocase` gets 403; a case outside the user's region is
404 (its existence is not revealed); a step the role may not take is 403 with the reason. The
buttons on the case page are offered by status and permission, but the services are the guard.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial, wraps
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.forms.models import model_to_dict
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance import deadlines, exports, listing
from assistance.dibao import selectors, services
from assistance.dibao.forms import (
    AcceptForm,
    ApplyForm,
    AttachmentForm,
    CaseCreateForm,
    ConfirmForm,
    ConfirmOnlyForm,
    ExpenditureFormSet,
    IncomeFormSet,
    InvestigationForm,
    NamedInvestigatorFormSet,
    NoticeForm,
    ObjectionForm,
    PropertyFormSet,
    ProposeForm,
    ReasonForm,
    ReceptionForm,
    RefuseForm,
    ReproposeForm,
    ReviewCloseForm,
    ReviewOpenForm,
    SignForm,
    household_members,
)
from assistance.dibao.notices import notice_contact_for
from assistance.dibao.panels import render_case_panels
from assistance.dibao.workflow import DECLARABLE, DIBAO, RECEPTION
from assistance.listing import DibaoListForm
from assistance.models import (
    Attachment,
    CaseReview,
    CaseTransition,
    DibaoCase,
    Investigation,
    PublicNotice,
)
from assistance.policy import selectors as policy_data
from core.forms import SubmitOnce, apply_service_errors
from core.http import AuthenticatedHttpRequest
from core.models import User
from core.months import first_of_next_month
from core.uploads import download_response
from core.workflow import has_any_perm
from households import selectors as household_selectors
from households.models import Household, Membership

S = DibaoCase.Status
PAGE_SIZE = 50
VIEW = "assistance.view_dibaocase"
CHANGE = "assistance.change_dibaocase"
ADD = "assistance.add_dibaocase"
PROPOSE = "assistance.propose_dibaocase"
EXPORT = "assistance.export_dibaocase"
# Statuses during which the procedure clock (procedure_due) runs.
PROCEDURE_RUNNING = (S.APPLIED, S.ACCEPTED, S.INVESTIGATING, S.PROPOSED, S.IN_NOTICE)
MAIN_PATH = (
    S.DRAFT,
    S.APPLIED,
    S.ACCEPTED,
    S.INVESTIGATING,
    S.PROPOSED,
    S.IN_NOTICE,
    S.CONFIRMED,
    S.ACTIVE,
)


# ----------------------------------------------------------------------------- plumbing


def forbidden(request: AuthenticatedHttpRequest, message: str = "") -> HttpResponse:
    return render(
        request,
        "assistance/forbidden.html",
        {"message": message or _("Your role does not allow this action.")},
        status=403,
    )


def case_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Login required, view permission required, PermissionDenied shown as a 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            if not request.user.has_perm(VIEW):
                raise PermissionDenied(_("Your role cannot see dibao cases."))
            return view(request, *args, **kwargs)
        except PermissionDenied as e:
            return forbidden(request, str(e))

    return wrapper


def _posted(request: AuthenticatedHttpRequest) -> Any:
    """The POST data on a POST (even when empty), else None: the form is bound on every POST."""
    return request.POST if request.method == "POST" else None


def _files(request: AuthenticatedHttpRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def submission_token(request: AuthenticatedHttpRequest) -> str:
    """The one-time token a form page carries (services.submitted_once): the posted one again
    after errors (nothing was stored under it), else a new one."""
    posted = _posted_token(request)
    return str(posted) if posted else str(uuid.uuid4())


def _posted_token(request: AuthenticatedHttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get("submission", "")) if request.method == "POST" else None
    except ValueError:
        return None


# A POST the case's state has overtaken: a stale page, a step out of order, a double click or
# the back button and submit again. Nothing was written; the case page says why, as an alert.
OVERTAKEN = ("wrong_status", "duplicate")


def overtaken(
    request: AuthenticatedHttpRequest, case: DibaoCase, error: ValidationError
) -> HttpResponse | None:
    if getattr(error, "code", None) not in OVERTAKEN:
        return None
    messages.warning(
        request,
        " ".join([*error.messages, str(_("Nothing was saved by this submission."))]),
    )
    return redirect("assistance:detail", pk=case.pk)


def submit_case_form(
    request: AuthenticatedHttpRequest,
    case: DibaoCase,
    form: Any,
    *,
    action: str,
    write: Callable[[], Any],
    success: Any,
    formsets: Mapping[str, Sequence[Any]] | None = None,
) -> HttpResponse | None:
    """Run a case form's `write` once (services.submitted_once: posted again, it writes
    nothing twice). Done: `success` (a message, or a function of what `write` returned) and
    back to the case; overtaken by another user's write: why, and back to the case; refused:
    the service's errors on the form (and `formsets`) and None, to show the form again."""
    try:
        with services.submitted_once(
            token=_posted_token(request), action=action, by=request.user, case=case
        ):
            result = write()
    except ValidationError as e:
        if (response := overtaken(request, case, e)) is not None:
            return response
        apply_service_errors(e, form, formsets=formsets)
        return None
    messages.success(request, str(success(result) if callable(success) else success))
    return redirect("assistance:detail", pk=case.pk)


def require(user: Any, *perms: str) -> None:
    if not has_any_perm(user, perms):
        raise PermissionDenied(_("Your role does not allow this action."))


def _get_case(request: AuthenticatedHttpRequest, pk: int) -> DibaoCase:
    try:
        return selectors.dibao_case_get(user=request.user, pk=pk)
    except DibaoCase.DoesNotExist:
        raise Http404 from None


def is_overdue(due: dt.date | None, today: dt.date) -> bool:
    return bool(due and due < today)


def case_deadlines(case: DibaoCase, today: dt.date) -> dict[str, bool]:
    return {
        "investigation_overdue": case.status in (S.APPLIED, S.ACCEPTED)
        and is_overdue(case.investigation_due, today),
        "procedure_overdue": case.status in PROCEDURE_RUNNING
        and is_overdue(case.procedure_due, today),
    }


def explain(comp: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored computation plus the counts the page spells out."""
    if not comp:
        return None
    lines = comp.get("member_lines", [])
    full = sum(1 for m in lines if m.get("full_standard"))
    return {
        **comp,
        "full_persons": full,
        "topup_persons": int(comp.get("members", 0)) - full,
        "has_subsidy": Decimal(str(comp.get("price_subsidy", "0"))) > 0,
    }


def breakdown_json(case: DibaoCase, on: dt.date) -> tuple[dict | None, str]:
    """The live computation on `on` as the stored JSON shape, or (None, why it cannot run)."""
    try:
        return explain(services.case_breakdown(case, on=on).as_json()), ""
    except ValidationError as e:
        return None, " ".join(e.messages)
    except ValueError:
        return None, _("The dibao unit has no members.")


def property_findings(case: DibaoCase, on: dt.date) -> list[str] | None:
    try:
        return services.case_property_findings(case, on=on)
    except ValidationError:
        return None


# ----------------------------------------------------------------------------- list and page


@case_page
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The case list: filters, sortable columns, the most urgent deadline first by default."""
    form = DibaoListForm(request.GET or None, user=request.user)
    today = timezone.localdate()
    filters = form.selector_filters() if form.is_valid() else {}
    # The same selector as the API's and the export's (assistance.dibao.selectors).
    try:
        qs = selectors.dibao_case_list(user=request.user, today=today, **filters)
    except PermissionDenied as e:  # a search by ID number without the reveal permission
        messages.error(request, str(e))
        qs = selectors.dibao_case_list(user=request.user).none()
    if form.is_bound and not form.is_valid():
        qs = qs.none()
    # The page shows the case's own copy of the village; the selector's other joins are the
    # API's and the detail page's.
    rows = qs.select_related(None).select_related("village__parent", "single_person")
    context = listing.list_context(
        request,
        rows,
        form=form,
        default_sort=selectors.DEFAULT_SORT,
        today=today,
        can_export=request.user.has_perm(EXPORT),
        per_page=PAGE_SIZE,
    )
    page = context["page"]
    names = selectors.head_names([c.household_id for c in page])
    for case in page:
        case.head_name = names.get(case.household_id, "")  # type: ignore[attr-defined]
        case.deadline_what = deadlines.deadline_what(case.status)  # type: ignore[attr-defined]
    return render(
        request,
        "assistance/case_list.html",
        {**context, "export_query": context["query"]},
        status=400 if form.errors else 200,
    )


@case_page
def case_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The filtered case list as xlsx (masked names), at most EXPORT_MAX_ROWS rows."""
    require(request.user, EXPORT)
    return listing.export_response(
        request,
        form=DibaoListForm(request.GET or None, user=request.user),
        list_url=reverse("assistance:list"),
        cases=partial(selectors.dibao_case_list, user=request.user),
        model=DibaoCase,
        respond=exports.dibao_export_response,
    )


@login_required
def village_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The <option>s of the village select for the chosen town (HTMX), within the user's
    scope: the lists never render every village of the city."""
    town = request.GET.get("town", "")
    villages = listing.villages_of(request.user, town if town.isdigit() else None)
    return render(
        request,
        "assistance/_village_options.html",
        {"villages": villages.values_list("pk", "name"), "town": town},
    )


def stepper(case: DibaoCase, transitions: list[CaseTransition]) -> list[dict[str, Any]]:
    """The procedure as steps: done, current, to do; off-path outcomes end the line in red."""
    status = case.status
    path: list[str] = list(MAIN_PATH)
    extra: str | None = None
    if status in (S.REFUSED, S.WITHDRAWN):
        last = next((t.from_status for t in reversed(transitions) if t.to_status == status), "")
        cut = path.index(last) + 1 if last in path else 1
        path, extra = path[:cut], status
    elif status in (S.UNDER_REVIEW, S.SUSPENDED, S.TERMINATED):
        extra = status
    steps = []
    current = path.index(status) if status in path else len(path)
    for i, s in enumerate(path):
        state = "done" if i < current else "current" if i == current else "todo"
        steps.append({"status": s, "label": S(s).label, "state": state})
    if extra:
        bad = extra in (S.REFUSED, S.WITHDRAWN, S.TERMINATED, S.SUSPENDED)
        steps.append(
            {"status": extra, "label": S(extra).label, "state": "bad" if bad else "current"}
        )
    return steps


def case_actions(case: DibaoCase, user: User) -> list[dict[str, Any]]:
    """The buttons offered on the case page: exactly the workflow actions the services would
    allow this user now (assistance.dibao.workflow), each under the page that takes it."""
    allowed = set(DIBAO.allowed(case, user))
    actions = []
    pages: list[Page | Step] = [*PAGES, *STEPS.values()]
    # Where the reception (one step at the window) is offered, the steps it takes are not
    # separate buttons (their pages stay, for a case received in parts).
    receiving = services.reception_steps(case) if allowed & set(RECEPTION) else []
    for page in pages:
        if page.name in receiving or (page.name == "reception" and not receiving):
            continue
        taken = tuple(receiving) if page.name == "reception" else page.actions
        if allowed & set(taken):
            actions.append(
                {
                    "name": page.name,
                    "actions": taken,
                    "url": reverse(f"assistance:{page.name}", args=[case.pk]),
                    "label": page.button,
                    "danger": page.danger,
                }
            )
    return actions


@dataclass(frozen=True)
class Page:
    """A page of the case that takes one or more workflow actions (its own view)."""

    name: str
    button: Any
    actions: tuple[str, ...]
    danger: bool = False


PAGES = [
    Page("reception", gettext_lazy("Receive the application"), RECEPTION),
    Page("declarations", gettext_lazy("Edit declarations"), ("declare",)),
    Page("investigation", gettext_lazy("Record the investigation"), ("investigate",)),
    Page("attachment_add", gettext_lazy("Attach a file"), ("attach",)),
    Page("decide", gettext_lazy("Review and decide"), ("confirm", "decide_refuse")),
]


def case_context(case: DibaoCase) -> dict[str, Any]:
    """Everything the case page and the decision page show (a fixed number of queries)."""
    return {
        "transitions": list(case.transitions.select_related("by")),
        "incomes": list(case.incomes.select_related("person", "income_type")),
        "expenditures": list(case.expenditures.select_related("person", "expenditure_type")),
        "properties": list(case.properties.select_related("person")),
        "investigations": list(
            case.investigations.select_related("recorded_by").prefetch_related(
                "investigators", "named_investigators", "attachments"
            )
        ),
        "case_attachments": list(
            case.attachments.filter(investigation__isnull=True).select_related("uploaded_by")
        ),
        "notices": list(
            case.notices.select_related("posted_by").prefetch_related(
                Prefetch("objections", queryset=_objections())
            )
        ),
        "awards": list(case.awards.select_related("decided_by").order_by("-effective_month")),
        "reviews": list(case.reviews.select_related("opened_by", "closed_by").order_by("-id")),
        "without_supporter": list(case.persons_without_supporter.all()),
        "members": list(
            Membership.objects.active()
            .filter(household=case.household)
            .select_related("person")
            .order_by("start_date", "id")
        ),
    }


def _objections() -> QuerySet:
    from assistance.models import Objection

    return Objection.objects.select_related("recorded_by").order_by("received_on", "id")


def computation_context(case: DibaoCase, today: dt.date) -> dict[str, Any]:
    """The stored computation of the decision if any, else a provisional one for today."""
    if case.computation:
        on = case.computation.get("on", "")
        return {
            "computation": explain(case.computation),
            "computation_kind": "confirmed" if case.confirmed_on else "proposed",
            "computation_on": on,
            "computation_error": "",
            "findings": property_findings(case, today),
        }
    if case.status in DECLARABLE:
        comp, err = breakdown_json(case, today)
        return {
            "computation": comp,
            "computation_kind": "provisional",
            "computation_on": today.isoformat(),
            "computation_error": err,
            "findings": property_findings(case, today),
        }
    return {"computation": None, "computation_error": "", "findings": None}


@case_page
def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    today = timezone.localdate()
    context = case_context(case)
    return render(
        request,
        "assistance/case_detail.html",
        {
            "case": case,
            "today": today,
            "steps": stepper(case, context["transitions"]),
            "actions": case_actions(case, request.user),
            "deadlines": case_deadlines(case, today),
            "can_change": request.user.has_perm(CHANGE),
            "panels": render_case_panels(request, case),
            **context,
            **computation_context(case, today),
        },
    )


# ----------------------------------------------------------------------------- opening a case


@case_page
def case_create(request: AuthenticatedHttpRequest, household_pk: int) -> HttpResponse:
    try:
        household = household_selectors.household_get(user=request.user, pk=household_pk)
    except Household.DoesNotExist:
        raise Http404 from None
    require(request.user, ADD)
    form = CaseCreateForm(_posted(request), household=household)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        token = _posted_token(request)
        try:
            with services.submitted_once(token=token, action="create", by=request.user) as sub:
                case = services.dibao_case_create(
                    household=household,
                    by=request.user,
                    unit=data["unit"],
                    single_person=data["single_person"],
                    applicant=data["applicant"],
                    agent_name=data["agent_name"],
                    relative_of_staff=data["relative_of_staff"],
                    relative_note=data["relative_note"],
                )
                if sub is not None:
                    sub.case = case
                    sub.save(update_fields=["case"])
        except ValidationError as e:
            duplicate = getattr(e, "code", None) == "duplicate"
            earlier = services.submitted_case(token) if duplicate else None
            if earlier is not None:  # opened by the first click: show it
                messages.warning(request, " ".join(e.messages))
                return redirect("assistance:detail", pk=earlier)
            apply_service_errors(e, form)
        else:
            messages.success(request, _("Dibao case %(case)s opened.") % {"case": case})
            return redirect("assistance:detail", pk=case.pk)
    return render(
        request,
        "assistance/case_create.html",
        {"form": form, "household": household, "submission": submission_token(request)},
    )


# ----------------------------------------------------------------------------- simple steps


@dataclass(frozen=True)
class Step:
    """One transition page: a form, the statuses it is offered from, who may take it, and the
    service call (case, cleaned data, user)."""

    name: str
    title: Any
    button: Any
    form: type[django_forms.Form]
    actions: tuple[str, ...]  # the workflow actions the step takes (assistance.dibao.workflow)
    run: Callable[[DibaoCase, dict[str, Any], User], Any]
    success: Any
    danger: bool = False
    intro: Any = ""  # %(parameter_key)s: filled with the policy parameter in force today
    preview: bool = False  # show the computed amount before submitting


def step_refusal(case: DibaoCase, actions: tuple[str, ...], user: User) -> str | None:
    """None if the user may take one of `actions` now; else the guard's own reason. A role that
    may never take them gets 403 (PermissionDenied) at once."""
    if not any(has_any_perm(user, DIBAO[a].permission) for a in actions):
        raise PermissionDenied(_("Your role does not allow this action."))
    if set(DIBAO.allowed(case, user)) & set(actions):
        return None
    # Explain with the action that fits the case's status (or the first).
    fits = [a for a in actions if case.status in DIBAO[a].sources] or list(actions)
    try:
        DIBAO.check(case, fits[0], user)
    except ValidationError as e:
        return " ".join(e.messages)
    except PermissionDenied as e:
        return str(e)
    return None


def _open_review(case: DibaoCase) -> CaseReview:
    review = case.reviews.filter(closed_on__isnull=True).first()
    if review is None:
        raise ValidationError(_("This case has no open review."))
    return review


STEPS: dict[str, Step] = {
    s.name: s
    for s in [
        Step(
            name="sign",
            title=gettext_lazy("Record the applicant's signatures"),
            button=gettext_lazy("Record signatures"),
            form=SignForm,
            actions=("sign",),
            run=lambda c, d, u: services.dibao_case_sign(case=c, by=u, **d),
            success=gettext_lazy("Signatures recorded."),
            intro=gettext_lazy(
                "The applicant signs the authorisation for the economic cross-check and the "
                "good-faith declaration before the investigation starts."
            ),
        ),
        Step(
            name="apply",
            title=gettext_lazy("Submit the application"),
            button=gettext_lazy("Submit the application"),
            form=ApplyForm,
            actions=("apply",),
            run=lambda c, d, u: services.dibao_case_apply(case=c, by=u, **d),
            success=gettext_lazy("Application submitted."),
        ),
        Step(
            name="accept",
            title=gettext_lazy("Accept the application"),
            button=gettext_lazy("Accept"),
            form=AcceptForm,
            actions=("accept",),
            run=lambda c, d, u: services.dibao_case_accept(case=c, by=u, **d),
            success=gettext_lazy("Application accepted; the procedure clock has started."),
            intro=gettext_lazy(
                "Acceptance starts the clocks: the investigation must start within "
                "%(start_investigation_wd)s working days and the procedure finish within "
                "%(procedure_limit_wd)s working days."
            ),
        ),
        Step(
            name="start_investigation",
            title=gettext_lazy("Start the investigation"),
            button=gettext_lazy("Start the investigation"),
            form=ConfirmOnlyForm,
            actions=("start_investigation",),
            run=lambda c, d, u: services.dibao_case_start_investigation(case=c, by=u),
            success=gettext_lazy("Investigation started."),
        ),
        Step(
            name="propose",
            title=gettext_lazy("Township proposal"),
            button=gettext_lazy("Make the township proposal"),
            form=ProposeForm,
            actions=("propose",),
            run=lambda c, d, u: services.dibao_case_propose(case=c, by=u, **d),
            success=gettext_lazy("Township proposal recorded."),
            preview=True,
            intro=gettext_lazy(
                "The amount below is computed from the declarations and the policy in force."
            ),
        ),
        Step(
            name="notice",
            title=gettext_lazy("Start the public notice"),
            button=gettext_lazy("Start the public notice"),
            form=NoticeForm,
            actions=("start_notice",),
            run=lambda c, d, u: services.dibao_case_start_notice(case=c, by=u, **d),
            success=gettext_lazy("Public notice started. Print it and post it in the village."),
            intro=gettext_lazy(
                "The notice shows only the masked name, the number of members and the proposed "
                "amount, for %(notice_days)s days."
            ),
        ),
        Step(
            name="object",
            title=gettext_lazy("Record an objection"),
            button=gettext_lazy("Record an objection"),
            form=ObjectionForm,
            actions=("object",),
            run=lambda c, d, u: services.dibao_case_object(case=c, by=u, **d),
            success=gettext_lazy("Objection recorded; the case is back in investigation."),
            danger=True,
            intro=gettext_lazy(
                "An objection sends the case back to investigation; a new notice follows the "
                "new proposal."
            ),
        ),
        Step(
            name="repropose",
            title=gettext_lazy("Send back for a new proposal"),
            button=gettext_lazy("Send back for a new proposal"),
            form=ReproposeForm,
            actions=("repropose",),
            run=lambda c, d, u: services.dibao_case_repropose(case=c, by=u, **d),
            success=gettext_lazy(
                "The case is back in investigation for a new proposal and a new notice."
            ),
            danger=True,
            intro=gettext_lazy(
                "When the household's data changed during the notice, the published amount no "
                "longer holds: a new proposal and a new notice follow."
            ),
        ),
        Step(
            name="extend",
            title=gettext_lazy("Extend the procedure limit"),
            button=gettext_lazy("Extend the limit"),
            form=ReasonForm,
            actions=("extend",),
            run=lambda c, d, u: services.dibao_case_extend(case=c, by=u, **d),
            success=gettext_lazy("The procedure limit was extended."),
            intro=gettext_lazy(
                "The extended limit is %(procedure_limit_extended_wd)s working days from "
                "acceptance, with a reason."
            ),
        ),
        Step(
            name="refuse",
            title=gettext_lazy("Refuse the application"),
            button=gettext_lazy("Refuse"),
            form=RefuseForm,
            actions=("refuse", "decide_refuse"),
            run=lambda c, d, u: services.dibao_case_refuse(case=c, by=u, **d),
            success=gettext_lazy("The application was refused with written reasons."),
            danger=True,
        ),
        Step(
            name="withdraw",
            title=gettext_lazy("Withdraw the application"),
            button=gettext_lazy("Withdraw"),
            form=ReasonForm,
            actions=("withdraw",),
            run=lambda c, d, u: services.dibao_case_withdraw(case=c, by=u, **d),
            success=gettext_lazy("The application was withdrawn."),
            danger=True,
        ),
        Step(
            name="review_open",
            title=gettext_lazy("Open a review"),
            button=gettext_lazy("Open a review"),
            form=ReviewOpenForm,
            actions=("review_open",),
            run=lambda c, d, u: services.review_open(case=c, by=u, **d),
            success=gettext_lazy("Review opened."),
        ),
        Step(
            name="review_close",
            title=gettext_lazy("Close the review"),
            button=gettext_lazy("Close the review"),
            form=ReviewCloseForm,
            actions=("review_close",),
            run=lambda c, d, u: services.review_close(review=_open_review(c), by=u, **d),
            success=gettext_lazy("Review closed."),
            preview=True,
            intro=gettext_lazy(
                "Raising or lowering re-runs the computation below on the decision date."
            ),
        ),
        Step(
            name="suspend",
            title=gettext_lazy("Suspend the benefit"),
            button=gettext_lazy("Suspend"),
            form=ReasonForm,
            actions=("suspend",),
            run=lambda c, d, u: services.dibao_case_suspend(case=c, by=u, **d),
            success=gettext_lazy("The benefit is suspended from next month."),
            danger=True,
        ),
        Step(
            name="resume",
            title=gettext_lazy("Resume the benefit"),
            button=gettext_lazy("Resume"),
            form=ReasonForm,
            actions=("resume",),
            run=lambda c, d, u: services.dibao_case_resume(case=c, by=u, **d),
            success=gettext_lazy("The benefit is resumed."),
        ),
        Step(
            name="terminate",
            title=gettext_lazy("Terminate the benefit"),
            button=gettext_lazy("Terminate"),
            form=ReasonForm,
            actions=("terminate",),
            run=lambda c, d, u: services.dibao_case_terminate(case=c, by=u, **d),
            success=gettext_lazy("The benefit is terminated."),
            danger=True,
        ),
    ]
}


@case_page
def case_step(request: AuthenticatedHttpRequest, pk: int, step: str) -> HttpResponse:
    spec = STEPS[step]
    case = _get_case(request, pk)
    problem = step_refusal(case, spec.actions, request.user)
    if problem is not None and request.method != "POST":
        messages.error(request, problem)
        return redirect("assistance:detail", pk=case.pk)
    form = spec.form(_posted(request))
    if request.method == "POST" and form.is_valid():
        response = submit_case_form(
            request,
            case,
            form,
            action=step,
            write=lambda: spec.run(case, dict(form.cleaned_data), request.user),
            success=spec.success,
        )
        if response is not None:
            return response
    context: dict[str, Any] = {
        "case": case,
        "form": form,
        "step": spec,
        "submission": submission_token(request),
    }
    if spec.intro:
        context["intro"] = str(spec.intro) % policy_data.InForce(timezone.localdate())
    if spec.preview:
        on = timezone.localdate()
        if form.is_bound and form.is_valid() and form.cleaned_data.get("on"):
            on = form.cleaned_data["on"]
        comp, err = breakdown_json(case, on)
        context.update(
            computation=comp,
            computation_error=err,
            computation_kind="provisional",
            computation_on=on.isoformat(),
            findings=property_findings(case, on),
        )
        if step == "review_close":
            award = services.current_award(case, month=first_of_next_month(on))
            context["current_award"] = award
    return render(request, "assistance/step.html", context)


# ----------------------------------------------------------------------------- reception


@case_page
def case_reception(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """At the service window, one page: the application, the signatures and the acceptance
    (workflow.RECEPTION), dates today unless changed, and the investigation started if ticked."""
    case = _get_case(request, pk)
    steps = services.reception_steps(case)
    problem = step_refusal(case, RECEPTION, request.user)
    if (problem is not None or not steps) and request.method != "POST":
        messages.error(request, problem or str(_("The application has already been received.")))
        return redirect("assistance:detail", pk=case.pk)
    form = ReceptionForm(_posted(request), steps=steps or list(RECEPTION))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        response = submit_case_form(
            request,
            case,
            form,
            action="reception",
            write=lambda: services.dibao_case_receive(
                case=case,
                applied_on=data.get("applied_on"),
                authorization_on=data.get("authorization_on"),
                good_faith_on=data.get("good_faith_on"),
                accepted_on=data["accepted_on"],
                start_investigation=data["start_investigation"],
                by=request.user,
            ),
            success=lambda received: (
                _("Application received; the investigation has started.")
                if received.status == S.INVESTIGATING
                else _("Application received; the procedure clock has started.")
            ),
        )
        if response is not None:
            return response
    return render(
        request,
        "assistance/reception.html",
        {
            "case": case,
            "form": form,
            "steps": steps,
            "submission": submission_token(request),
            "intro": str(STEPS["accept"].intro) % policy_data.InForce(timezone.localdate()),
        },
    )


# ----------------------------------------------------------------------------- declarations


def _declaration_rows(formset: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    for f in formset.forms:
        if not f.has_changed() or f.cleaned_data.get("DELETE"):
            continue
        rows.append({k: f.cleaned_data.get(k) for k in fields})
    return rows


# Each declarations formset and the fields it carries to services.declarations_replace.
DECLARATION_FORMSETS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "incomes": (IncomeFormSet, ("person", "income_type", "monthly_amount", "note")),
    "expenditures": (ExpenditureFormSet, ("person", "expenditure_type", "monthly_amount", "note")),
    "properties": (PropertyFormSet, ("person", "kind", "value", "description", "exempt_reason")),
}


@case_page
def case_declarations(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    problem = step_refusal(case, ("declare",), request.user)
    if problem is not None and request.method != "POST":
        messages.error(request, problem)
        return redirect("assistance:detail", pk=case.pk)
    once = SubmitOnce(request)
    if once.replayed:
        return once.replay_response(reverse("assistance:detail", args=[case.pk]))
    members = household_members(case.household)
    data = _posted(request)
    kwargs: dict[str, Any] = {"form_kwargs": {"members": members}}
    formsets: dict[str, Any] = {}
    for name, (formset_class, fields) in DECLARATION_FORMSETS.items():
        if data is None:
            rows = getattr(case, name).all()
            initial = [model_to_dict(row, fields=fields) for row in rows]
            formsets[name] = formset_class(prefix=name, initial=initial, **kwargs)
        else:
            formsets[name] = formset_class(data, prefix=name, **kwargs)
    form = django_forms.Form(data)  # carries the non-field errors of the whole submission
    if data is not None and form.is_valid() and all(fs.is_valid() for fs in formsets.values()):
        kept = {
            name: [f for f in fs.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]
            for name, fs in formsets.items()
        }
        if not once.claim():
            return once.replay_response(reverse("assistance:detail", args=[case.pk]))
        try:
            services.declarations_replace(
                case=case,
                by=request.user,
                **{
                    name: _declaration_rows(formsets[name], fields)
                    for name, (_cls, fields) in DECLARATION_FORMSETS.items()
                },
            )
        except ValidationError as e:
            once.release()
            if (response := overtaken(request, case, e)) is not None:
                return response
            apply_service_errors(e, form, formsets=kept)
        else:
            once.done(reverse("assistance:detail", args=[case.pk]))
            messages.success(request, _("Declarations saved."))
            return redirect("assistance:detail", pk=case.pk)
    has_errors = form.errors or any(
        fs.total_error_count() for fs in formsets.values() if fs.is_bound
    )
    return render(
        request,
        "assistance/declarations.html",
        {"case": case, "form": form, "has_errors": has_errors, "submit_once": once, **formsets},
    )


# ----------------------------------------------------------------------------- investigation


@case_page
def case_investigation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    problem = step_refusal(case, ("investigate",), request.user)
    if problem is not None and request.method != "POST":
        messages.error(request, problem)
        return redirect("assistance:detail", pk=case.pk)
    members = household_members(case.household)
    if case.unit == DibaoCase.Unit.SINGLE_PERSON and case.single_person_id:
        members = members.filter(pk=case.single_person_id)
    form = InvestigationForm(
        _posted(request),
        _files(request),
        case=case,
        members=members,
        initial={"persons_without_supporter": list(case.persons_without_supporter.all())},
    )
    # The named persons' rows (a post without them, e.g. from an older page, names none).
    data = _posted(request)
    named = NamedInvestigatorFormSet(
        data if data is not None and "named-TOTAL_FORMS" in data else None, prefix="named"
    )
    named_ok = not named.is_bound or named.is_valid()
    if request.method == "POST" and form.is_valid() and named_ok:
        data = form.cleaned_data
        filled = [
            f for f in named.forms if named.is_bound and (f.cleaned_data.get("name") or "").strip()
        ]

        def record() -> None:
            investigation = services.investigation_record(
                case=case,
                home_visit_on=data["home_visit_on"],
                investigators=list(data["investigators"]),
                named=[
                    {k: f.cleaned_data.get(k, "") for k in ("name", "unit", "role")} for f in filled
                ],
                findings=data["findings"],
                neighbour_interviews=data["neighbour_interviews"],
                evidence_requests=data["evidence_requests"],
                persons_without_supporter=list(data["persons_without_supporter"]),
                by=request.user,
            )
            for upload in data["attachments"]:
                try:
                    services.attachment_add(
                        case=case, uploaded=upload, investigation=investigation, by=request.user
                    )
                except ValidationError as e:
                    raise ValidationError(
                        {"attachments": [f"{upload.name}: {m}" for m in e.messages]}
                    ) from None

        # One transaction: the record and its attachments are saved together or not at all
        # (and once: a double click or the back button records no second visit).
        response = submit_case_form(
            request,
            case,
            form,
            action="investigate",
            write=record,
            success=_("Investigation recorded."),
            formsets={"named_investigators": filled},
        )
        if response is not None:
            return response
    return render(
        request,
        "assistance/investigation.html",
        {
            "case": case,
            "form": form,
            "named": named,
            "submission": submission_token(request),
            "has_errors": bool(form.errors) or named.total_error_count() > 0,
        },
    )


@case_page
def attachment_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    require(request.user, CHANGE)
    investigation: Investigation | None = None
    if inv := request.GET.get("investigation") or request.POST.get("investigation"):
        investigation = case.investigations.filter(pk=inv).first() if inv.isdigit() else None
        if investigation is None:
            raise Http404
    form = AttachmentForm(_posted(request), _files(request))
    if request.method == "POST" and form.is_valid():
        response = submit_case_form(
            request,
            case,
            form,
            action="attach",
            write=lambda: services.attachment_add(
                case=case,
                uploaded=form.cleaned_data["file"],
                investigation=investigation,
                description=form.cleaned_data["description"],
                by=request.user,
            ),
            success=_("Attachment uploaded."),
        )
        if response is not None:
            return response
    return render(
        request,
        "assistance/attachment_add.html",
        {
            "case": case,
            "form": form,
            "investigation": investigation,
            "submission": submission_token(request),
        },
    )


@case_page
def attachment_download(
    request: AuthenticatedHttpRequest, pk: int, attachment_pk: int
) -> HttpResponse | FileResponse:
    case = _get_case(request, pk)
    attachment = Attachment.objects.filter(case=case, pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    return download_response(
        attachment.file,
        original_name=attachment.original_name,
        content_type=attachment.content_type,
    )


# ----------------------------------------------------------------------------- the decision


@case_page
def case_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The reviewer's page: computation, investigation, notice; confirm (two steps) or refuse."""
    case = _get_case(request, pk)
    problem = step_refusal(case, ("confirm", "decide_refuse"), request.user)
    if problem is not None and request.method != "POST":
        messages.error(request, problem)
        return redirect("assistance:detail", pk=case.pk)
    today = timezone.localdate()
    form = ConfirmForm(_posted(request), prefix="confirm")
    refuse_form = RefuseForm(auto_id="refuse_%s")
    pending: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        on = form.cleaned_data["on"]
        if request.POST.get("final") == "yes":
            response = submit_case_form(
                request,
                case,
                form,
                action="confirm",
                write=lambda: services.dibao_case_confirm(
                    case=case, on=on, reason=form.cleaned_data["reason"], by=request.user
                ),
                success=_("The case is confirmed."),
            )
            if response is not None:
                return response
        else:
            comp, err = breakdown_json(case, on)
            if err:
                form.add_error(None, err)
            else:
                pending = {
                    "computation": comp,
                    "start_month": first_of_next_month(on),
                }
    notice = case.notices.order_by("-starts_on", "-id").first()
    # The published amount against the amount now, and why they differ (never silently).
    amount_check = None
    if case.status == S.IN_NOTICE and notice is not None:
        check_on = form.cleaned_data["on"] if form.is_bound and form.is_valid() else today
        try:
            amount_check = services.confirm_check(case, on=check_on)
        except (ValidationError, ValueError):
            amount_check = None  # the computation's own error is shown by _computation.html
    return render(
        request,
        "assistance/decide.html",
        {
            "case": case,
            "today": today,
            "form": form,
            "refuse_form": refuse_form,
            "pending": pending,
            "notice": notice,
            "notice_running": bool(notice and today <= notice.ends_on),
            # The forms offered are the actions the guard allows (assistance.dibao.workflow).
            "allowed": set(DIBAO.allowed(case, request.user)),
            "amount_check": amount_check,
            "may_repropose": DIBAO.may(case, "repropose", request.user),  # type: ignore[arg-type]
            "deadlines": case_deadlines(case, today),
            "submission": submission_token(request),
            **case_context(case),
            **computation_context(case, today),
        },
    )


# ----------------------------------------------------------------------------- public notice


@case_page
def notice_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The A4 notice posted in the village: masked name, members, amount — nothing else."""
    case = _get_case(request, pk)
    notice: PublicNotice | None = case.notices.order_by("-starts_on", "-id").first()
    if notice is None:
        raise Http404
    village = case.household.village
    return render(
        request,
        "assistance/notice_print.html",
        {
            "case": case,
            "notice": notice,
            "village": village,
            "township": village.parent,
            "contact": notice_contact_for(village.parent, notice.starts_on),
        },
    )
