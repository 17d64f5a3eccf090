import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose another language with the switcher (the language cookie).

    The browser's Accept-Language is ignored on purpose: staff machines with an English browser
    should still get the Chinese UI by default.
    """

    def process_request(self, request):  # type: ignore[no-untyped-def]
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


NUL_MESSAGE = _(
    "The request contains an invisible null character (\\x00), which cannot be stored. "
    "Remove it (it often comes from copying out of another program) and try again."
)


def _has_nul(query: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in query.lists())


def _json_has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_json_has_nul(k) or _json_has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(v) for v in value)
    return False


def _json_body_has_nul(request: HttpRequest) -> bool:
    if not (request.content_type or "").endswith("json") or b"\\u0000" not in request.body:
        return False  # JSON can only carry a NUL escaped; most bodies stop here
    try:
        return _json_has_nul(json.loads(request.body))
    except ValueError:
        return False  # not JSON after all: the parser answers 400


class RejectNulBytesMiddleware:
    """A NUL character in any query or form value (or name) is a 400, for pages and the API alike.

    PostgreSQL text cannot hold NUL, so a value reaching a query or a save fails deep inside the
    database driver (a 500). Checked once here, for query strings, form bodies and JSON bodies
    (any string, key or value, at any depth: a NUL in a looked-up code was a 500), rather than
    in every form, filter and serializer field. A NUL reaching the driver some other way is
    answered 400 by core.api.exception_handler.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # request.POST is only parsed for form bodies (multipart files stay in FILES, unread).
        if (
            "\x00" in request.path
            or _has_nul(request.GET)
            or _has_nul(request.POST)
            or _json_body_has_nul(request)
        ):
            message = str(NUL_MESSAGE)
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return render(request, "core/bad_request.html", {"message": message}, status=400)
        return self.get_response(request)
