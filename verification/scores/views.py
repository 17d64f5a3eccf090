"""The poverty score beside the decision: the case-page and household-page panels (registered in
hooks.connect()), the score history page of a household and the recompute button (POST).

Scoped like the household itself (core.scope through households' selectors): a household outside
the user's area is a 404, a role without VIEW_SCORE sees no panel and gets a 403 page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from assistance.models import DibaoCase
from core.http import AuthenticatedHttpRequest
from core.pages import forbidden
from core.scope import region_in_scope
from households import selectors as household_selectors
from households.models import Household
from verification.models import HouseholdScore
from verification.scores import selectors, services
from verification.scores.permissions import COMPUTE_SCORE, VIEW_SCORE
from verification.scores.rules import FACTORS

LABELS = {
    "income": gettext_lazy("Income"),
    "property": gettext_lazy("Property"),
    "expenditure": gettext_lazy("Rigid expenditure"),
}


def _explain(key: str, f: dict[str, Any]) -> str:
    if key == "income":
        return _(
            "Per-capita counted income %(pc)s yuan a month = %(r)s × the standard of %(std)s"
        ) % {"pc": f["per_capita_income"], "r": f["input"], "std": f["standard"]}
    if key == "property":
        return _(
            "Financial assets %(fa)s yuan = %(m)s months of the standard per person; "
            "%(n)s disqualifying items"
        ) % {"fa": f["financial_assets"], "m": f["input"], "n": f["disqualifying_items"]}
    return _(
        "Rigid expenditure %(pc)s yuan a month per person = %(r)s × the standard; "
        "%(n)s members seriously ill or disabled"
    ) % {"pc": f["rigid_per_capita"], "r": f["input"], "n": f["burdened_members"]}


def factor_rows(score: HouseholdScore) -> list[dict[str, Any]]:
    rows = []
    for key in FACTORS:
        f = score.factors[key]
        rows.append(
            {
                "key": key,
                "label": LABELS[key],
                "explanation": _explain(key, f),
                "normalised": f["normalised"],
                "weight": f["weight"],
                "contribution": f["contribution"],
            }
        )
    return rows


def _chart(score: HouseholdScore, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Data for static/js/charts.js (the house's ECharts helper): stacked bars of each factor's
    contribution and what it could still have added (its weight)."""
    return {
        "stack": True,
        "categories": [str(r["label"]) for r in rows],
        "series": [
            {"name": _("Contribution"), "data": [float(r["contribution"]) for r in rows]},
            {
                "name": _("Up to its weight"),
                "data": [float(Decimal(r["weight"]) - Decimal(r["contribution"])) for r in rows],
            },
        ],
    }


def _panel(request: HttpRequest, household: Household, case: DibaoCase | None) -> SafeString | None:
    user = request.user
    if not user.has_perm(VIEW_SCORE) or not region_in_scope(user, household.village):  # type: ignore[arg-type]
        return None
    score = selectors.household_score_latest(user=user, household=household, case=case)  # type: ignore[arg-type]
    rows = factor_rows(score) if score is not None else []
    return SafeString(
        render_to_string(
            "verification/scores/_panel.html",
            {
                "household": household,
                "case": case,
                "score": score,
                "rows": rows,
                "chart": _chart(score, rows) if score is not None else None,
                "chart_id": f"chart-score-{household.pk}",
                "can_compute": user.has_perm(COMPUTE_SCORE),
            },
            request=request,
        )
    )


def score_case_panel(request: HttpRequest, case: DibaoCase) -> SafeString | None:
    """Beside the decision on the dibao case page (assistance.dibao.panels)."""
    return _panel(request, case.household, case)


def score_household_panel(request: HttpRequest, household: Household) -> SafeString | None:
    """On the household page (households.panels)."""
    return _panel(request, household, None)


def _household(request: AuthenticatedHttpRequest, pk: int) -> Household:
    try:
        return household_selectors.household_get(user=request.user, pk=pk)
    except Household.DoesNotExist as e:
        raise Http404(_("No such household in your area.")) from e


@login_required
def score_history(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm(VIEW_SCORE):
        return forbidden(request, _("Your role cannot see poverty scores."))
    household = _household(request, pk)
    scores = list(selectors.household_score_list(user=request.user, household=household.pk)[:50])
    return render(
        request,
        "verification/scores/history.html",
        {
            "household": household,
            "scores": scores,
            "can_compute": request.user.has_perm(COMPUTE_SCORE),
        },
    )


@login_required
@require_POST
def score_compute(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Recompute one household's score now (one query's work: fine inside the request; many
    households go through the Celery task)."""
    if not request.user.has_perm(COMPUTE_SCORE):
        return forbidden(request, _("Your role cannot compute poverty scores."))
    household = _household(request, pk)
    case = None
    raw = request.POST.get("case", "")
    if raw:
        case = DibaoCase.objects.filter(pk=raw if raw.isdigit() else 0, household=household).first()
        if case is None:
            messages.error(request, _("This case is not the household's."))
            return redirect("households:detail", household.pk)
    try:
        score = services.household_score_compute(
            household=household, case=case, on=timezone.localdate(), by=request.user
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request,
            _("Poverty score computed: %(score)s (weights %(version)s).")
            % {"score": score.score, "version": score.weights.version},
        )
    if case is not None:
        return redirect("assistance:detail", case.pk)
    return redirect("households:detail", household.pk)
