"""What the assistance lists (dibao cases, programme cases) share: the filter fields with their
checks, the whitelisted sort keys, the region choices of a user's scope, and the page's sort links.

One form per list validates the page's query string; the API's FilterSets use the same form as
their base (`Meta.form`), so the page and the API refuse the same input with the same message and
hand the same values to the one selector.

Region choices never list every village of the city: the town select holds the towns in the
user's scope, the village select only the villages of the chosen town (or of the user's own town);
the page reloads it with HTMX when the town changes (`village_options`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, TypedDict, TypeVar, Unpack

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import F, OrderBy, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework.generics import GenericAPIView

from assistance.models import DibaoCase, Programme, ProgrammeCase
from core.api_filters import IntegerFilter, SelectorFilterSet
from core.http import AuthenticatedHttpRequest
from core.models import AccessLog, Region, User
from core.pagination import WindowCountPaginator, page_rows
from core.scope import visible_regions
from core.services import access_log_record

_M = TypeVar("_M", bound=models.Model)

EXPORT_MAX_ROWS = 20_000  # a synchronous export: beyond this, narrow the filter


def date_range_errors(cleaned: Mapping[str, Any]) -> dict[str, str]:
    start, end = cleaned.get("applied_from"), cleaned.get("applied_to")
    if start and end and start > end:
        return {"applied_to": str(_("The end date must not be before the start date."))}
    return {}


def towns_for(user: User) -> QuerySet[Region]:
    return visible_regions(user).filter(level=Region.Level.TOWNSHIP).order_by("code")


def villages_of(user: User, town: int | str | None) -> QuerySet[Region]:
    """The villages of `town` in the user's scope; without a town, those of the user's own town
    (a township user), else none: a city or district user picks a town first."""
    qs = visible_regions(user).filter(level=Region.Level.VILLAGE)
    if town:
        return qs.filter(parent_id=int(town)).order_by("code")
    region = getattr(user, "region", None)
    if region is not None and region.level == Region.Level.TOWNSHIP:
        return qs.filter(parent_id=region.pk).order_by("code")
    return qs.none()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"class": "form-control", **(attrs or {})}, format="%Y-%m-%d")


def _select(**attrs: Any) -> forms.Select:
    return forms.Select(attrs={"class": "form-select", **attrs})


class ListFilterForm(forms.Form):
    """The filters every assistance list has. Subclasses add theirs and declare SORTS:
    {key: (label, ordering field or expression name)}; `sort` is "key" or "-key"."""

    SORTS: Mapping[str, tuple[Any, str]] = {}

    town = forms.IntegerField(label=_("Town / street"), required=False, widget=_select())
    village = forms.IntegerField(label=_("Village / community"), required=False, widget=_select())
    overdue = forms.BooleanField(
        label=_("Overdue only"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    applied_from = forms.DateField(label=_("Applied from"), required=False, widget=DateInput())
    applied_to = forms.DateField(label=_("Applied to"), required=False, widget=DateInput())
    sort = forms.CharField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user is None:  # the API's FilterSet builds it without a user: plain integers
            return
        town = self.data.get("town") if self.is_bound else None
        town = town if town and str(town).isdigit() else None
        self.fields["town"].widget.choices = [
            ("", _("All")),
            *towns_for(user).values_list("pk", "name"),
        ]
        villages = list(villages_of(user, town).values_list("pk", "name"))
        self.fields["village"].widget.choices = [
            ("", _("All") if villages else _("Choose a town first")),
            *villages,
        ]

    def clean_sort(self) -> str:
        """An unknown sort key is ignored on the page (the default order applies)."""
        value = (self.cleaned_data.get("sort") or "").strip()
        return value if value.lstrip("-") in self.SORTS else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field, message in date_range_errors(cleaned).items():
            self.add_error(field, message)
        return cleaned

    def selector_filters(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", False)}


# sort key → (column label, ordering field or annotation)
DIBAO_SORTS: dict[str, tuple[Any, str]] = {
    "deadline": (_("Deadline"), "deadline"),
    "case": (_("Case"), "id"),
    "applied_on": (_("Applied on"), "applied_on"),
    "status": (_("Status"), "status"),
    "town": (_("Town / street"), "village__parent__code"),
    "village": (_("Village / community"), "village__code"),
    "amount": (_("Proposed amount"), "proposed_amount"),
}
PROGRAMME_SORTS: dict[str, tuple[Any, str]] = {
    "deadline": (_("Deadline"), "deadline"),
    "case": (_("No."), "id"),
    "programme": (_("Programme"), "programme"),
    "applied_on": (_("Applied on"), "applied_on"),
    "status": (_("Status"), "status"),
    "village": (_("Village / community"), "village__code"),
    "amount": (_("Amount"), "amount"),
}


def sort_fields(sorts: Mapping[str, tuple[Any, str]]) -> dict[str, str]:
    return {key: field for key, (_label, field) in sorts.items()}


class DibaoListForm(ListFilterForm):
    SORTS = DIBAO_SORTS

    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}),
        help_text=_(
            "Case number (DB000042), the start of a member's name (陈 or 陈小明), an ID number "
            "(whole, its last 6 or first 10 characters; with the reveal permission) or a "
            "household number. Places: use the filters."
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All")), *DibaoCase.Status.choices],
        required=False,
        widget=_select(),
    )
    field_order = ["q", "status", "town", "village", "applied_from", "applied_to", "overdue"]


class ProgrammeListForm(ListFilterForm):
    SORTS = PROGRAMME_SORTS

    programme = forms.ChoiceField(
        label=_("Programme"),
        choices=[("", _("All")), *Programme.choices],
        required=False,
        widget=_select(),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All")), *ProgrammeCase.Status.choices],
        required=False,
        widget=_select(),
    )
    field_order = ["programme", "status", "town", "village", "applied_from", "applied_to"]


class ApiListForm(forms.Form):
    """The base form of the API's list FilterSets: the same date-range check as the page's."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field, message in date_range_errors(cleaned).items():
            self.add_error(field, message)
        return cleaned


class CaseFilters(TypedDict, total=False):
    """The filters every case list has (the keyword arguments of its selector)."""

    status: str
    household: int | None
    town: int | None
    village: int | None
    applied_from: dt.date | None
    applied_to: dt.date | None


def filter_cases(qs: QuerySet[_M], **filters: Unpack[CaseFilters]) -> QuerySet[_M]:
    """The filters every case list has (dibao and programme cases alike): `town`, `village`
    by the case's copy of the household's village, the application date with both ends."""
    lookups = {
        "status": "status",
        "household": "household_id",
        "town": "village__parent_id",
        "village": "village_id",
        "applied_from": "applied_on__gte",
        "applied_to": "applied_on__lte",
    }
    given = {lookups[key]: value for key, value in filters.items() if value}
    return qs.filter(**given) if given else qs


class CaseFilterSet(SelectorFilterSet):
    """The API's filters every case list has (those of ListFilterForm and CaseFilters); the
    selector filters, the FilterSet only checks and documents them. Subclasses add theirs."""

    household = IntegerFilter(method="noop")
    town = IntegerFilter(method="noop", label="Town / street (region id)")
    village = IntegerFilter(method="noop", label="Village / community (region id)")
    applied_from = filters.DateFilter(method="noop", label="Applied on or after (YYYY-MM-DD)")
    applied_to = filters.DateFilter(method="noop", label="Applied on or before (YYYY-MM-DD)")

    class Meta:
        form = ApiListForm


def sort_choices(sorts: Mapping[str, tuple[Any, str]]) -> list[tuple[str, str]]:
    out = []
    for key, (label, _field) in sorts.items():
        out += [(key, f"{label} ↑"), (f"-{key}", f"{label} ↓")]
    return out


def ordering(
    fields: Mapping[str, str], sort: str, *, default: str, tie: str = "-id"
) -> list[OrderBy | str]:
    """ORDER BY for a whitelisted `sort` ("key" / "-key" of `fields`; anything else: the
    default), NULLs last either way, then `tie` so that pages never overlap."""
    key = sort if (sort or "").lstrip("-") in fields else default  # unknown: ignored
    field = fields[key.lstrip("-")]
    expr = F(field)
    order = expr.desc(nulls_last=True) if key.startswith("-") else expr.asc(nulls_last=True)
    return [order, tie]


def sort_links(
    sorts: Mapping[str, tuple[Any, str]], query: Any, *, current: str, default: str
) -> dict[str, dict[str, str]]:
    """For each sort key: the query string that sorts by it (toggling the direction when it is
    the current one), and its state ("asc", "desc" or "") for the header's arrow."""
    current = current if current.lstrip("-") in sorts else default
    links = {}
    for key in sorts:
        q = query.copy()
        q.pop("page", None)
        state = ""
        if current.lstrip("-") == key:
            state = "desc" if current.startswith("-") else "asc"
        q["sort"] = key if state == "desc" else (f"-{key}" if state == "asc" else key)
        links[key] = {"query": q.urlencode(), "state": state}
    return links


class IdsFirstPagination(GenericAPIView):  # type: ignore[type-arg]
    """A viewset mixin: the API's list pages ids first too, counted with them (see
    `paginate_ids`)."""

    def paginate_queryset(self, queryset: Any) -> list[Any] | None:
        if getattr(self, "action", None) != "list" or not isinstance(queryset, QuerySet):
            return super().paginate_queryset(queryset)
        if self.paginator is not None and self.request.query_params.get("q"):
            # A search reads all its matches anyway: counted with the page (paginate_ids).
            self.paginator.django_paginator_class = WindowCountPaginator  # type: ignore[attr-defined]
        ids = super().paginate_queryset(queryset.values_list("pk", flat=True))
        return None if ids is None else page_rows(queryset, ids)


def paginate_ids(qs: QuerySet[Any], number: Any, per_page: int, *, search: bool = False) -> Page:
    """One page of `qs`, ids first: the sort and the OFFSET run on the ids alone (no joins for
    the related rows, no annotations of skipped rows), then the page's rows are read by id (one
    more query, for at most `per_page` rows) and put back in the list's order.

    A search reads every match to sort them, so it is counted with the page's ids (one query);
    a list without one is counted apart, which lets an index serve its order (the default
    order's index, assistance migration 0018: 50 of the city's 9,000 cases in 0.2 ms rather than
    all 9,000 sorted and counted in 6 ms)."""
    paginator = WindowCountPaginator if search else Paginator
    page = paginator(qs.values_list("pk", flat=True), per_page).get_page(number)
    page.object_list = page_rows(qs, list(page.object_list))
    return page


# ============================================================================ the pages


def list_context(
    request: HttpRequest,
    qs: QuerySet[Any],
    *,
    form: ListFilterForm,
    default_sort: str,
    today: dt.date,
    can_export: bool,
    per_page: int,
) -> dict[str, Any]:
    """A list page's context: one page of `qs` (ids first), the query string without the page
    (for the pager and the export link), the sort links, the export switch."""
    query = request.GET.copy()
    query.pop("page", None)
    sort = form.cleaned_data.get("sort", "") if form.is_valid() else ""
    return {
        "page": paginate_ids(
            qs,
            request.GET.get("page"),
            per_page,
            search=bool(form.is_valid() and form.cleaned_data.get("q")),
        ),
        "form": form,
        "today": today,
        "query": query.urlencode(),
        "sorts": sort_links(form.SORTS, query, current=sort, default=default_sort),
        "can_export": can_export,
        "export_max": EXPORT_MAX_ROWS,
    }


def export_response(
    request: AuthenticatedHttpRequest,
    *,
    form: ListFilterForm,
    list_url: str,
    cases: Callable[..., QuerySet[_M]],
    model: type[_M],
    respond: Callable[..., HttpResponse],
) -> HttpResponse:
    """A list's xlsx export through the list's own form and selector (`cases(today=…,
    **filters)`), at most EXPORT_MAX_ROWS rows, with an access-log row. A bad filter, a search
    the user may not make or too many rows: back to the list with the reason."""
    back = list_url + (f"?{request.GET.urlencode()}" if request.GET else "")
    if form.is_bound and not form.is_valid():
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        return redirect(back)
    today = timezone.localdate()
    filters = form.selector_filters() if form.is_bound else {}
    try:
        qs = cases(today=today, **filters)
    except PermissionDenied as e:  # a search by ID number without the reveal permission
        messages.error(request, str(e))
        return redirect(back)
    n = qs.count()
    if n > EXPORT_MAX_ROWS:
        messages.error(
            request,
            _("%(n)d cases match: narrow the filter to at most %(max)d to export them.")
            % {"n": n, "max": EXPORT_MAX_ROWS},
        )
        return redirect(back)
    access_log_record(
        by=request.user,
        action=AccessLog.Action.EXPORT,
        obj=model(),
        detail=request.GET.urlencode()[:250],
    )
    return respond(qs, today=today)
