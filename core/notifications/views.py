"""The user's notifications page: paginated, unread first; mark one or all read (POST, HTMX).

Only the user's own: another user's notification is a 404, whoever asks."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core.http import AuthenticatedHttpRequest
from core.notifications import selectors, services
from core.notifications.models import Notification

PAGE_SIZE = 50


def _unread_filter(request: AuthenticatedHttpRequest) -> bool | None:
    return True if request.GET.get("unread") == "1" else None


@login_required
@require_GET
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    unread = _unread_filter(request)
    qs = selectors.notification_list(user=request.user, unread=unread)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/notifications.html",
        {"page": page, "query": "unread=1" if unread else "", "unread_only": bool(unread)},
    )


def _mark(request: AuthenticatedHttpRequest, pk: int) -> Notification:
    try:
        return services.notification_mark_read(pk=pk, by=request.user)
    except Notification.DoesNotExist:
        raise Http404 from None


@login_required
@require_POST
def notification_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark one read. HTMX: the row again, and the header badge out of band."""
    note = _mark(request, pk)
    if getattr(request, "htmx", False):
        return render(request, "core/notifications_row.html", {"n": note, "oob_bell": True})
    return redirect("notifications:list")


@login_required
@require_POST
def notification_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark it read and go to what it is about (a link inside this site only)."""
    note = _mark(request, pk)
    url = note.target_url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return redirect(url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.notification_mark_all_read(by=request.user)
    if getattr(request, "htmx", False):
        resp = HttpResponse(status=204)
        resp["HX-Refresh"] = "true"
        return resp
    return redirect("notifications:list")
