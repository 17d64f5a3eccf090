"""Household pages. Thin: forms validate input, services write, selectors read."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.forms import SubmitOnce, apply_service_errors
from core.http import AuthenticatedHttpRequest
from core.models import AccessLog, Region, User
from core.selectors import region_list, villages_for
from core.services import access_log_record
from households.permissions import EXPORT_HOUSEHOLDS, REVEAL_ID

from . import exports, selectors, services, tally
from .ages import age_bands
from .forms import (
    HouseholdEditForm,
    HouseholdForm,
    HouseholdSearchForm,
    MemberForm,
    MemberFormSet,
    MemberRemoveForm,
    PersonEditForm,
)
from .idnumber import parse_id_number
from .models import Household, Membership, Person
from .pagination import SEARCH_COUNT_CAP, paginator_for
from .panels import render_panels

PAGE_SIZE = 50


def _get_household(request: AuthenticatedHttpRequest, pk: int) -> Household:
    try:
        return selectors.household_get(user=request.user, pk=pk)
    except Household.DoesNotExist:
        raise Http404 from None


def _get_person(request: AuthenticatedHttpRequest, pk: int) -> Person:
    try:
        return selectors.person_get(user=request.user, pk=pk)
    except Person.DoesNotExist:
        raise Http404 from None


@login_required
@permission_required("households.view_household", raise_exception=True)
def household_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    search = HouseholdSearchForm(request.GET)
    # The raw values, for the template to keep the search box and selects as typed.
    params = {k: request.GET.get(k, "").strip() for k in search.fields}
    refused = ""
    qs = Household.objects.none()
    valid = search.is_valid()
    places = _place_choices(request.user, search.selector_filters() if valid else {})
    filters = places.pop("filters")
    if valid:
        params.update({k: str(filters.get(k) or "") for k in ("district", "town", "village")})
        # The most specific place is enough (the chain above it was checked).
        place = next((k for k in ("village", "town", "district") if filters.get(k)), None)
        filters = {"q": filters["q"], **({place: filters[place]} if place else {})}
        try:
            qs = selectors.household_list(user=request.user, **filters)
        except PermissionDenied as e:  # a search by ID number without the reveal permission
            refused = str(e)
    # Ids first, then only the page's rows with their head and size: an OFFSET would otherwise
    # compute the annotations of every skipped row (page 500 is 24,950 of them).
    # A search counts its matches only up to 1,000 (households.pagination).
    # Without a search, the exact total comes from the region tallies (households.tally).
    known = tally.household_list_count(request.user, **filters) if valid and not refused else None
    paginator = paginator_for(bool(filters.get("q")), known)
    page = paginator(qs.values_list("pk", flat=True), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.household_page(qs, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "households/list.html",
        {
            "page": page,
            "params": params,
            **places,
            "search_help": selectors.SEARCH_HELP,
            "count_capped": getattr(page.paginator, "capped", False),
            "count_cap": SEARCH_COUNT_CAP,
            "query": query.urlencode(),
            "can_export": request.user.has_perm(EXPORT_HOUSEHOLDS),
            "id_search_refused": refused,
            "search_errors": search.error_messages_flat() if search.errors else [],
        },
        status=400 if search.errors else 200,
    )


def _place_choices(user: User, filters: dict[str, Any]) -> dict[str, Any]:
    """The place selects of the list, each loaded only when it is short: the districts for a
    city user (7), the towns of the chosen (or the user's only) district, the villages of the
    chosen (or the user's only) town — never the city's 1,002 villages on every view. Every
    list is scoped (core.selectors.region_list). A select with one choice is not shown.

    Returns the context and, under "filters", the filters to search with: a village or town
    given alone brings its town and district with it (so the selects show it); a town or
    village left over from another district or town (the user changed the select above it,
    which submits the form) is dropped."""
    filters = dict(filters)
    for child, parent in (("village", "town"), ("town", "district")):
        if filters.get(child) and not filters.get(parent):
            above = region_list(user=user).filter(pk=filters[child]).values("parent_id").first()
            filters[parent] = above["parent_id"] if above else None
    # The user's own level decides which lists can have more than one entry (a query saved per
    # list that cannot: a town caseworker's page reads only its villages).
    level = user.region.level if user.region and not user.is_superuser else Region.Level.CITY
    districts: list[Region] = []
    if level == Region.Level.CITY:
        districts = list(region_list(user=user, level=Region.Level.COUNTY))
    elif level == Region.Level.COUNTY:
        districts = [user.region]  # type: ignore[list-item]
    district = filters.get("district") or (districts[0].pk if len(districts) == 1 else None)
    towns: list[Region] = []
    if level in (Region.Level.TOWNSHIP, Region.Level.VILLAGE):
        towns = [user.region if level == Region.Level.TOWNSHIP else user.region.parent]  # type: ignore[list-item, union-attr]
    elif district or not districts:
        towns = list(region_list(user=user, level=Region.Level.TOWNSHIP, parent=district))
        if filters.get("town") and filters["town"] not in {t.pk for t in towns}:
            filters["town"] = filters["village"] = None
    town = filters.get("town") or (towns[0].pk if len(towns) == 1 else None)
    villages: list[Region] = []
    if town:
        villages = list(region_list(user=user, level=Region.Level.VILLAGE, parent=town))
        if filters.get("village") and filters["village"] not in {v.pk for v in villages}:
            filters["village"] = None
    return {
        "districts": districts if len(districts) > 1 else [],
        "towns": towns if len(towns) > 1 else [],
        "villages": villages,
        "show_district": len(districts) > 1,
        "show_town": len(districts) > 1 or len(towns) > 1,
        "filters": filters,
    }


@login_required
@permission_required(EXPORT_HOUSEHOLDS, raise_exception=True)
def household_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise Http404
    search = HouseholdSearchForm(request.GET)
    if not search.is_valid():
        return HttpResponseBadRequest(
            " ".join(search.error_messages_flat()), content_type="text/plain; charset=utf-8"
        )
    qs = selectors.household_list(user=request.user, **search.selector_filters())  # type: ignore[arg-type]
    access_log_record(
        by=request.user,
        action=AccessLog.Action.EXPORT,
        obj=Household(),
        detail=request.GET.urlencode()[:250],
    )
    return exports.household_export_response(qs, fmt=fmt)


@login_required
@permission_required("households.add_household", raise_exception=True)
def household_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    once = SubmitOnce(request)  # the back button and a resubmitted POST register nothing twice
    if once.replayed:
        return once.replay_response(reverse("households:list"))
    villages = villages_for(request.user)
    check_url = reverse("households:check_id")
    form = HouseholdForm(request.POST or None, villages=villages)
    formset = MemberFormSet(
        request.POST or None,
        prefix="members",
        form_kwargs={"check_url": check_url},
        initial=None if request.method == "POST" else [{"relation": "head"}],
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        if not once.claim():
            return once.replay_response(reverse("households:list"))
        try:
            household = services.household_create(
                village=form.cleaned_data["village"],
                address=form.cleaned_data["address"],
                hukou_type=form.cleaned_data["hukou_type"],
                members=[
                    services.MemberInput(
                        relation=f.cleaned_data["relation"], person=f.person_data()
                    )
                    for f in formset.forms
                ],
                by=request.user,
            )
        except ValidationError as e:
            once.release()
            apply_service_errors(e, form, formsets={"members": formset.forms})
        else:
            once.done(reverse("households:detail", args=[household.pk]))
            messages.success(request, _("Household registered."))
            return redirect("households:detail", pk=household.pk)
    return render(
        request,
        "households/form.html",
        {
            "form": form,
            "formset": formset,
            "title": _("Register a household"),
            "submit_once": once,
        },
    )


@login_required
@permission_required("households.view_household", raise_exception=True)
def household_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = _get_household(request, pk)
    memberships = list(household.memberships.all())
    active = [m for m in memberships if m.end_date is None]
    active.sort(key=lambda m: (m.relation != "head", m.start_date, m.id))
    # The age bands are policy data: read once for the page, not once per member.
    today = timezone.localdate()
    bands = age_bands(today)
    for m in active:
        m.capacity = m.person.labour_capacity(today, bands)  # type: ignore[attr-defined]
    return render(
        request,
        "households/detail.html",
        {
            "household": household,
            "active": active,
            "former": [m for m in memberships if m.end_date is not None],
            "figures": selectors.household_figures([m.person for m in active]),
            "timeline": selectors.household_timeline(household, user=request.user),
            "can_edit": request.user.has_perm("households.change_household"),
            "panels": render_panels(request, household),
        },
    )


@login_required
@permission_required("households.change_household", raise_exception=True)
def household_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = _get_household(request, pk)
    form = HouseholdEditForm(
        request.POST or None,
        instance=household,
        villages=villages_for(request.user),
    )
    form.set_version(household)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("village", "address", "hukou_type")}
        try:
            services.household_update(
                household=household,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_updated_at=form.expected_version(),
                **data,
            )
        except ValidationError as e:
            apply_service_errors(e, form)
        else:
            messages.success(request, _("Household updated."))
            return redirect("households:detail", pk=household.pk)
    return render(request, "households/edit.html", {"form": form, "household": household})


@login_required
@permission_required("households.add_membership", raise_exception=True)
def member_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = _get_household(request, pk)
    once = SubmitOnce(request)
    if once.replayed:
        return once.replay_response(reverse("households:detail", args=[household.pk]))
    form = MemberForm(
        request.POST or None, prefix="member", check_url=reverse("households:check_id")
    )
    if request.method == "POST" and form.is_valid():
        if not once.claim():
            return once.replay_response(reverse("households:detail", args=[household.pk]))
        data = form.person_data()
        try:
            services.member_add(
                household=household,
                relation=form.cleaned_data["relation"],
                person_data=data,
                by=request.user,
            )
        except ValidationError as e:
            once.release()
            apply_service_errors(e, form)
        else:
            once.done(reverse("households:detail", args=[household.pk]))
            messages.success(request, _("Member added."))
            return redirect("households:detail", pk=household.pk)
    return render(
        request,
        "households/member_add.html",
        {"form": form, "household": household, "submit_once": once},
    )


@login_required
@permission_required("households.change_membership", raise_exception=True)
def member_remove(request: AuthenticatedHttpRequest, pk: int, membership_id: int) -> HttpResponse:
    household = _get_household(request, pk)
    once = SubmitOnce(request)  # a replay after the member left is told so (not a 404)
    if once.replayed:
        return once.replay_response(reverse("households:detail", args=[household.pk]))
    membership = next(
        (m for m in household.memberships.all() if m.pk == membership_id and m.end_date is None),
        None,
    )
    if membership is None:
        raise Http404
    form = MemberRemoveForm(request.POST or None, initial={"end_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        if not once.claim():
            return once.replay_response(reverse("households:detail", args=[household.pk]))
        try:
            services.member_remove(
                membership=membership,
                reason=form.cleaned_data["reason"],
                end_date=form.cleaned_data["end_date"],
                by=request.user,
            )
        except ValidationError as e:
            once.release()
            apply_service_errors(e, form)
        else:
            once.done(reverse("households:detail", args=[household.pk]))
            messages.success(request, _("Member removed from the household."))
            return redirect("households:detail", pk=household.pk)
    return render(
        request,
        "households/member_remove.html",
        {"form": form, "household": household, "membership": membership, "submit_once": once},
    )


@login_required
@permission_required("households.view_person", raise_exception=True)
def person_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _get_person(request, pk)
    return render(
        request,
        "households/person_detail.html",
        {
            "person": person,
            "can_reveal": request.user.has_perm(REVEAL_ID),
            "can_edit": request.user.has_perm("households.change_person"),
            "memberships": Membership.objects.filter(person=person)
            .select_related("household__village")
            .order_by("-start_date"),
        },
    )


@login_required
@permission_required("households.change_person", raise_exception=True)
def person_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _get_person(request, pk)
    form = PersonEditForm(
        request.POST or None,
        instance=person,
        prefix="person",
        check_url=reverse("households:check_id"),
        initial={"id_number": person.id_number},
    )
    form.set_version(person)
    if request.method == "GET":
        # The form holds the full ID number (to correct it): opening it is a reveal.
        access_log_record(
            by=request.user,
            action=AccessLog.Action.REVEAL_ID_NUMBER,
            obj=person,
            detail="edit form",
            ip_address=request.META.get("REMOTE_ADDR"),
        )
    if request.method == "POST" and form.is_valid():
        data = form.person_data()
        try:
            services.person_update(
                person=person,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_updated_at=form.expected_version(),
                **data,
            )
        except ValidationError as e:
            apply_service_errors(e, form)
        else:
            messages.success(request, _("Person updated."))
            return redirect("households:person", pk=person.pk)
    # A ModelForm binds the instance; reload it so a failed save does not show half-applied data.
    return render(request, "households/person_edit.html", {"form": form, "person": person})


@require_POST
@login_required
def person_reveal_id(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm(REVEAL_ID):
        raise PermissionDenied
    person = _get_person(request, pk)
    with transaction.atomic():
        access_log_record(
            by=request.user,
            action=AccessLog.Action.REVEAL_ID_NUMBER,
            obj=person,
            ip_address=request.META.get("REMOTE_ADDR"),
        )
    return HttpResponse(
        format_html('<span class="revealed" data-testid="full-id">{}</span>', person.id_number)
    )


@require_GET
@login_required
def check_id(request: AuthenticatedHttpRequest) -> HttpResponse:
    """HTMX: check an ID number as it is typed (the same validator as on submit)."""
    raw = str(next((v for k, v in request.GET.items() if k.endswith("id_number")), ""))
    if not raw.strip():
        return HttpResponse("")
    try:
        facts = parse_id_number(raw)
    except ValidationError as e:
        return HttpResponse(format_html('<span class="error">✗ {}</span>', e.messages[0]))
    sex = _("male") if facts.sex == "M" else _("female")
    return HttpResponse(
        format_html(
            '<span class="ok">✓ {}</span>',
            _("Valid: born %(date)s, %(sex)s") % {"date": facts.birth_date.isoformat(), "sex": sex},
        )
    )
