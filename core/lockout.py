"""What a locked-out log-in gets (django-axes' AXES_LOCKOUT_CALLABLE): the log-in page with the
reason, or a JSON 429 for the API's token log-in."""

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return gettext(
        "Too many failed log-in attempts for this user name or from this address. Try again in "
        "%(minutes)d minutes, or ask the data administrator to unlock the account."
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        username = (credentials or {}).get("username") or request.POST.get("username", "")
        form = AuthenticationForm(request, initial={"username": username})
        context = {"form": form, "locked_out": lockout_message()}
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = retry_after
    return response
