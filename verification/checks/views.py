"""Cross-check pages: runs (list, start, detail with progress), findings worklists (per
household, town, rule; filters; export), a finding with its resolve actions, the printable
cross-check report (核对报告) of a household.

Access: a role without the view permission gets 403; a run, finding or household outside the
user's area is 404; an action the user may not take is 403 with the reason; a stale page
(someone resolved it first) is a warning on the finding page. The finding page's buttons are
`FINDING.allowed()` — exactly what the services let the user do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exports import export_response
from core.http import AuthenticatedHttpRequest
from core.models import Region
from core.pages import role_page
from core.scope import visible_regions
from households import selectors as household_selectors
from households.models import Household
from verification.kinds import KINDS
from verification.models import Category, CrossCheckRun, Finding
from verification.permissions import START_RUN, VIEW_FINDING, VIEW_RUN

from . import selectors, services
from .workflow import FINDING

PAGE_SIZE = 50


def checks_page(perm: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return role_page(perm, refusal=gettext_lazy("Your role cannot see the cross-check."))


class FindingFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"), required=False, choices=[("", "—"), *Finding.State.choices]
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), required=False, choices=[("", "—"), *Category.choices]
    )
    kind = forms.ChoiceField(label=gettext_lazy("Dataset"), required=False, choices=[])
    rule = forms.ChoiceField(label=gettext_lazy("Rule"), required=False, choices=[])
    town = forms.ChoiceField(label=gettext_lazy("Town / street"), required=False, choices=[])

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            ("", "—"),
            *((k, v.label) for k, v in KINDS.items()),
        ]
        codes = dict(
            selectors.rules_in_force_any().values_list("code", "label")  # every code once
        )
        cast(forms.ChoiceField, self.fields["rule"]).choices = [("", "—"), *sorted(codes.items())]
        towns = visible_regions(user).filter(level=Region.Level.TOWNSHIP).order_by("code")
        cast(forms.ChoiceField, self.fields["town"]).choices = [
            ("", "—"),
            *((t.pk, t.name) for t in towns[:500]),
        ]


def _finding_rows(request: AuthenticatedHttpRequest, **fixed: Any) -> tuple[Any, Any]:
    form = FindingFilterForm(request.GET or None, user=request.user)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    return form, selectors.finding_list(user=request.user, **filters, **fixed)


EXPORT_HEADERS = [
    gettext_lazy("Finding"),
    gettext_lazy("Town / street"),
    gettext_lazy("Village / community"),
    gettext_lazy("Household"),
    gettext_lazy("Rule"),
    gettext_lazy("Category"),
    gettext_lazy("Dataset"),
    gettext_lazy("Evidence"),
    gettext_lazy("Value"),
    gettext_lazy("Threshold"),
    gettext_lazy("State"),
    gettext_lazy("Reason"),
]


def _state_label(value: str) -> str:
    return str(Finding.State(value).label) if value in Finding.State.values else value or "—"


@checks_page(VIEW_FINDING)
def finding_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The worklist as filtered, as xlsx or csv (its own path, as every export of the house:
    links under /export/ are downloads, never pages)."""
    _form, qs = _finding_rows(request)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise Http404
    rows = (
        [
            str(f),
            f.village.parent.name if f.village.parent else "",
            f.village.name,
            f.household_id,
            f.rule.label,
            f.get_category_display(),
            f.get_kind_display(),
            f.evidence_key,
            f.value,
            f.threshold,
            f.get_state_display(),
            f.resolution_reason,
        ]
        for f in qs.iterator(chunk_size=2000)
    )
    return export_response(
        rows, headers=[str(h) for h in EXPORT_HEADERS], fmt=fmt, filename="findings"
    )


@checks_page(VIEW_FINDING)
def finding_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, qs = _finding_rows(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "verification/checks/finding_list.html",
        {"form": form, "page": page, "rows": list(page.object_list), "query": query.urlencode()},
    )


def _finding(request: AuthenticatedHttpRequest, pk: int) -> Finding:
    try:
        return selectors.finding_get(user=request.user, pk=pk)
    except Finding.DoesNotExist:
        raise Http404 from None


@checks_page(VIEW_FINDING)
def finding_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    finding = _finding(request, pk)
    return render(
        request,
        "verification/checks/finding_detail.html",
        {
            "finding": finding,
            "history": [
                (
                    t,
                    FINDING.actions[t.action].label if t.action in FINDING.actions else t.action,
                    _state_label(t.from_status),
                    _state_label(t.to_status),
                )
                for t in selectors.finding_history(finding)
            ],
            "actions": [FINDING[a] for a in FINDING.allowed(finding, request.user)],
        },
    )


@checks_page(VIEW_FINDING)
def finding_action(request: AuthenticatedHttpRequest, pk: int, name: str) -> HttpResponse:
    if request.method != "POST" or name not in services.RESOLVE:
        raise Http404
    finding = _finding(request, pk)
    kw: dict[str, Any] = {"reason": request.POST.get("reason", "")}
    if name == "confirm":
        kw["open_review"] = request.POST.get("open_review") == "1"
    try:
        services.RESOLVE[name](finding=finding, by=request.user, **kw)
    except ValidationError as e:
        if e.code == "wrong_status":
            messages.warning(request, e.messages[0])
        else:
            messages.error(request, " ".join(e.messages))
        return redirect("verification:finding_detail", pk)
    messages.success(request, _("Saved."))
    return redirect("verification:finding_detail", pk)


@checks_page(VIEW_RUN)
def run_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = selectors.run_list(user=request.user, status=request.GET.get("status", ""))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    regions = visible_regions(request.user).filter(
        level__in=[Region.Level.CITY, Region.Level.COUNTY]
    )
    return render(
        request,
        "verification/checks/run_list.html",
        {
            "page": page,
            "rows": list(page.object_list),
            "query": "",
            "can_start": request.user.has_perm(START_RUN),
            "regions": regions.order_by("code"),
            "scopes": [
                (s.value, s.label)
                for s in (
                    CrossCheckRun.Scope.PENDING,
                    CrossCheckRun.Scope.ACTIVE,
                    CrossCheckRun.Scope.DISTRICT,
                )
            ],
        },
    )


@checks_page(START_RUN)
def run_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    region = visible_regions(request.user).filter(pk=request.POST.get("region") or 0).first()
    try:
        run = services.cross_check_run_start(
            scope=request.POST.get("scope", ""), region=region, by=request.user
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("verification:run_list")
    return redirect("verification:run_detail", run.pk)


@checks_page(VIEW_RUN)
def run_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        run = selectors.run_get(user=request.user, pk=pk)
    except CrossCheckRun.DoesNotExist:
        raise Http404 from None
    ctx: dict[str, Any] = {"run": run, "job": run.job, "poll_url": request.path + "?partial=1"}
    if request.GET.get("partial") and run.job:
        return render(request, "core/_job_progress.html", ctx)
    ctx["snapshots"] = services.snapshot_ids_label(run)
    ctx["rules"] = list(selectors.rules_by_ids(run.rule_ids))
    return render(request, "verification/checks/run_detail.html", ctx)


@checks_page(VIEW_FINDING)
def household_report(request: AuthenticatedHttpRequest, household_pk: int) -> HttpResponse:
    try:
        household = household_selectors.household_get(user=request.user, pk=household_pk)
    except Household.DoesNotExist:
        raise Http404 from None
    report = selectors.household_report(household_id=household.pk, user=request.user)
    return render(
        request,
        "verification/checks/report.html",
        {"household": household, "kinds": KINDS, **report},
    )


@checks_page(VIEW_FINDING)
def findings_panel(request: AuthenticatedHttpRequest, household_pk: int) -> HttpResponse:
    """The panel the household and case pages load: the household's findings."""
    try:
        household = household_selectors.household_get(user=request.user, pk=household_pk)
    except Household.DoesNotExist:
        raise Http404 from None
    findings = list(selectors.finding_list(user=request.user, household=household.pk)[:20])
    return render(
        request,
        "verification/checks/_panel.html",
        {"findings": findings, "household_id": household.pk},
    )
