"""What-if pages for data administrators: the list with the proposal form, a scenario with its
per-district results (progress while it runs) and their export. Thin: services and selectors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from assistance.models.policy import SupplementCategory
from core import exports
from core.forms import apply_service_errors
from core.http import AuthenticatedHttpRequest
from core.models import Region
from core.pages import role_page

from ...models import WhatIfScenario
from . import engine, selectors, services
from .permissions import RUN, VIEW

PAGE_SIZE = 30
REFUSAL = gettext_lazy("Only data administrators simulate changes of the policy data.")


def _current(counties: list[Region]) -> engine.Pair | None:
    """The policy in force this month (the form's hints), or None if something is missing."""
    try:
        return engine.resolve(engine.Proposal(month=timezone.localdate()), counties=counties)
    except ValidationError:
        return None


class ProposalForm(forms.Form):
    """Field names are the service's error keys ("standards.440703.urban" …): its field errors
    land on the field. Numbers are checked by the service (one place, shared with the API)."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    effective_month = forms.CharField(
        label=gettext_lazy("Effective month"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=gettext_lazy("Year and month, e.g. 2027-01"),
    )
    price_trigger_pct = forms.CharField(
        label=gettext_lazy("Price-linkage trigger (CPI % y/y)"), required=False, max_length=12
    )

    def __init__(self, *args: Any, counties: list[Region], pair: engine.Pair | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.counties = counties
        now = _("now %(value)s")
        for county in counties:
            current = pair.current.standards.get(county.pk) if pair else None
            for i, (area, label) in enumerate(
                (("urban", gettext_lazy("urban")), ("rural", gettext_lazy("rural")))
            ):
                self.fields[f"standards.{county.code}.{area}"] = forms.CharField(
                    label=f"{county.name} · {label}",
                    required=False,
                    max_length=12,
                    help_text=now % {"value": current[i]} if current else "",
                )
        for cat, label in SupplementCategory.choices:
            current_pct = pair.current.percents.get(cat) if pair else None
            self.fields[f"supplements.{cat}"] = forms.CharField(
                label=_("Supplement: %(category)s (%% of the standard)") % {"category": label},
                required=False,
                max_length=8,
                help_text=now % {"value": current_pct} if current_pct is not None else "",
            )
        if pair:
            self.fields["price_trigger_pct"].help_text = now % {
                "value": pair.current.price_trigger_pct
            }

    def proposal(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "effective_month": data["effective_month"],
            "standards": {
                c.code: {a: data.get(f"standards.{c.code}.{a}", "") for a in ("urban", "rural")}
                for c in self.counties
            },
            "supplements": {
                cat: data[f"supplements.{cat}"]
                for cat in SupplementCategory.values
                if data.get(f"supplements.{cat}")
            },
            "price_trigger_pct": data.get("price_trigger_pct") or None,
        }


@role_page(VIEW, refusal=REFUSAL)
def whatif_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    counties = selectors.whatif_counties(request.user)
    may_run = request.user.has_perm(RUN)
    pair = _current(counties)
    form = ProposalForm(
        request.POST if request.method == "POST" else None, counties=counties, pair=pair
    )
    if request.method == "POST":
        if not may_run:
            raise Http404
        if form.is_valid():
            try:
                scenario = services.whatif_start(**form.proposal(), by=request.user)
            except ValidationError as e:
                apply_service_errors(e, form)
            else:
                return redirect("transitions:whatif_detail", pk=scenario.pk)
    rows = selectors.whatif_list(user=request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "transitions/whatif/list.html",
        {"page": page, "form": form, "may_run": may_run, "query": ""},
    )


def _change_rows(scenario: WhatIfScenario) -> list[tuple[str, Any, Any]]:
    """(what, in force, proposed) for each proposed change."""
    base, changes = scenario.baseline, scenario.changes
    names = dict(
        Region.objects.filter(code__in=list(changes.get("standards", {}))).values_list(
            "code", "name"
        )
    )
    rows: list[tuple[str, Any, Any]] = []
    for code, values in changes.get("standards", {}).items():
        now = base.get("standards", {}).get(code, {})
        for area, label in (("urban", _("urban")), ("rural", _("rural"))):
            if values.get(area) is not None:
                rows.append(
                    (
                        _("Dibao standard, %(district)s, %(area)s")
                        % {"district": names.get(code, code), "area": label},
                        now.get(area),
                        values[area],
                    )
                )
    labels = dict(SupplementCategory.choices)
    for cat, pct in changes.get("supplements", {}).items():
        rows.append(
            (
                _("Supplement: %(category)s (%% of the standard)")
                % {"category": labels.get(cat, cat)},
                base.get("supplements", {}).get(cat),
                pct,
            )
        )
    if changes.get("price_trigger_pct") is not None:
        rows.append(
            (
                _("Price-linkage trigger (CPI % y/y)"),
                base.get("price_trigger_pct"),
                changes["price_trigger_pct"],
            )
        )
    return rows


@role_page(VIEW, refusal=REFUSAL)
@require_GET
def whatif_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    scenario = selectors.whatif_get(user=request.user, pk=pk)
    htmx = bool(getattr(request, "htmx", False))
    if htmx:
        if scenario.status in (WhatIfScenario.Status.DONE, WhatIfScenario.Status.FAILED):
            done = HttpResponse(status=204)
            done["HX-Refresh"] = "true"
            return done
        return render(
            request,
            "core/_job_progress.html",
            {"job": scenario.job, "poll_url": reverse("transitions:whatif_detail", args=[pk])},
        )
    districts = list(selectors.whatif_districts(scenario))
    labels = dict(WhatIfScenario.Status.choices)
    return render(
        request,
        "transitions/whatif/detail.html",
        {
            "scenario": scenario,
            "job": scenario.job,
            "poll_url": reverse("transitions:whatif_detail", args=[pk]),
            "changes": _change_rows(scenario),
            "districts": districts,
            "totals": services.export_rows(scenario)[-1] if districts else None,
            "formats": exports.FORMATS,
            "history": [
                (t, labels.get(t.to_status, t.to_status))
                for t in scenario.transitions.select_related("by").order_by("at", "id")
            ],
        },
    )


@role_page(VIEW, refusal=REFUSAL)
@require_GET
def whatif_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    scenario = selectors.whatif_get(user=request.user, pk=pk)
    try:
        body, _type, name = services.whatif_export(scenario, fmt)
    except ValidationError:
        raise Http404 from None
    return exports.file_response(body, fmt=fmt, filename=name)
