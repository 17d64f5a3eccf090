"""Disclosure pages. Public (no login, rate-limited, addressed by a random token): a list and
its objection form. Staff (core.pages.role_page, scoped): versions, publish, take down,
objections and their outcome. Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import apply_service_errors
from core.http import AuthenticatedHttpRequest
from core.pages import role_page
from transitions.models import Publication, PublicObjection

from . import selectors, services
from .forms import AnswerForm, ObjectionForm, PublishForm, TakedownForm
from .permissions import ANSWER, PUBLISH, VIEW, VIEW_OBJECTION
from .throttle import DisclosureThrottle
from .workflow import OBJECTION, PUBLICATION

# ----------------------------------------------------------------------------- public


@require_http_methods(["GET", "POST"])
def public_list(request: HttpRequest, token: str) -> HttpResponse:
    """The region's latest version; a taken-down one shows only a notice. Every request counts
    against the client's rate (reading a list, filing an objection)."""
    if not DisclosureThrottle().allow_request(request, None):  # type: ignore[arg-type]
        return render(request, "transitions/disclosure/throttled.html", status=429)
    found = selectors.publication_by_token(token)
    if found is None:
        raise Http404
    publication = selectors.latest_for(found)
    context: dict = {"publication": publication, "region": publication.region}
    if publication.status != Publication.Status.PUBLISHED:
        return render(request, "transitions/disclosure/public_taken_down.html", context)
    form = ObjectionForm(request.POST or None, publication=publication)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["website"]:
            # A robot filled the honeypot: it is thanked like anyone, nothing is recorded.
            return render(request, "transitions/disclosure/public_thanks.html", context)
        try:
            objection = services.objection_file(
                publication=publication,
                row_ref=data["row_ref"],
                text=data["text"],
                contact=data["contact"],
            )
        except ValidationError as e:
            apply_service_errors(e, form)
        else:
            context["objection"] = objection
            return render(request, "transitions/disclosure/public_thanks.html", context)
    context["form"] = form
    return render(request, "transitions/disclosure/public_list.html", context)


# ----------------------------------------------------------------------------- staff

page = role_page


@page(VIEW)
@require_http_methods(["GET", "POST"])
def publications(request: AuthenticatedHttpRequest) -> HttpResponse:
    regions = selectors.publishable_regions(user=request.user)
    form = PublishForm(request.POST or None, regions=regions)
    if request.method == "POST":
        if not request.user.has_perm(PUBLISH):
            raise Http404
        if form.is_valid():
            try:
                pub = services.publication_publish(
                    region=form.cleaned_data["region"], by=request.user
                )
            except ValidationError as e:
                apply_service_errors(e, form)
            else:
                messages.success(request, _("Published."))
                return redirect("transitions:publication", pk=pub.pk)
    rows = selectors.publication_list(user=request.user)[:200]
    return render(
        request,
        "transitions/disclosure/publications.html",
        {"form": form, "publications": rows, "may_publish": request.user.has_perm(PUBLISH)},
    )


@page(VIEW)
@require_GET
def publication(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    pub = selectors.publication_get(user=request.user, pk=pk)
    return render(
        request,
        "transitions/disclosure/publication.html",
        {
            "publication": pub,
            "allowed": PUBLICATION.allowed(pub, request.user),
            "public_url": request.build_absolute_uri(reverse("gongshi:list", args=[pub.token])),
            "objections": pub.objections.all(),
            "transitions": pub.transitions.select_related("by"),
        },
    )


@page(PUBLISH)
@require_http_methods(["GET", "POST"])
def publication_take_down(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A confirmation page with the required reason, then the takedown."""
    pub = selectors.publication_get(user=request.user, pk=pk)
    form = TakedownForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.publication_take_down(
                publication=pub, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as e:
            if getattr(e, "code", None) == "wrong_status":
                messages.warning(request, " ".join(e.messages))
                return redirect("transitions:publication", pk=pub.pk)
            apply_service_errors(e, form)
        else:
            messages.success(request, _("Taken down."))
            return redirect("transitions:publication", pk=pub.pk)
    return render(
        request, "transitions/disclosure/take_down.html", {"publication": pub, "form": form}
    )


@page(VIEW_OBJECTION)
@require_GET
def objections(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", PublicObjection.Status.OPEN)
    if status not in ("", *PublicObjection.Status.values):
        raise Http404
    return render(
        request,
        "transitions/disclosure/objections.html",
        {
            "objections": selectors.objection_list(user=request.user, status=status)[:500],
            "status": status,
            "today": timezone.localdate(),
        },
    )


@page(VIEW_OBJECTION)
@require_http_methods(["GET", "POST"])
def objection(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    obj = selectors.objection_get(user=request.user, pk=pk)
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm(ANSWER):
            raise Http404
        if form.is_valid():
            try:
                services.objection_answer(
                    objection=obj, outcome=form.cleaned_data["outcome"], by=request.user
                )
            except ValidationError as e:
                if getattr(e, "code", None) == "wrong_status":
                    messages.warning(request, " ".join(e.messages))
                    return redirect("transitions:public_objection", pk=obj.pk)
                apply_service_errors(e, form)
            else:
                messages.success(request, _("Saved."))
                return redirect("transitions:public_objection", pk=obj.pk)
    source = obj.publication.row_sources.get(obj.row_ref) if obj.row_ref else None
    return render(
        request,
        "transitions/disclosure/objection.html",
        {
            "objection": obj,
            "row": obj.row,
            "source": source,
            "form": form,
            "allowed": OBJECTION.allowed(obj, request.user),
            "transitions": obj.transitions.select_related("by"),
            "today": timezone.localdate(),
        },
    )
