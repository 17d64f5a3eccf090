"""Printing the public notice of a whole village on one A4 sheet, and the list of villages with
cases in notice (the per-household sheet is `views.notice_print`)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from assistance.dibao import notices
from core.http import AuthenticatedHttpRequest
from core.models import Region
from core.scope import region_in_scope

VIEW = "assistance.view_dibaocase"


def _allowed(request: AuthenticatedHttpRequest) -> None:
    if not request.user.has_perm(VIEW):
        raise PermissionDenied(_("Your role cannot see dibao cases."))


@login_required
@require_GET
def notice_villages(request: AuthenticatedHttpRequest) -> HttpResponse:
    _allowed(request)
    return render(
        request,
        "assistance/notice_villages.html",
        {"villages": notices.notice_villages(user=request.user)},
    )


@login_required
@require_GET
def village_notice_print(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """All cases of one village in public notice now, on one A4 sheet (masked names only)."""
    _allowed(request)
    village = (
        Region.objects.filter(code=code, level=Region.Level.VILLAGE)
        .select_related("parent")
        .first()
    )
    if village is None or not region_in_scope(request.user, village):
        raise Http404  # another area's village: its existence is not revealed
    today = timezone.localdate()
    items = notices.village_notices(user=request.user, village=village, today=today)
    starts = min((n.starts_on for n in items), default=today)
    return render(
        request,
        "assistance/notice_print_village.html",
        {
            "village": village,
            "township": village.parent,
            "notices": items,
            "contact": notices.notice_contact_for(village.parent, starts),
            "today": today,
            "signed_on": starts,
        },
    )
