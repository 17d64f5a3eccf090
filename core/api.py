"""DRF glue shared by every app's API.

Error translation: Django ValidationError / PermissionDenied / DoesNotExist raised by services
become 400 with field errors / 403 / 404.

Error shape (one for DRF's own validation and the services'):

- field errors: ``{"field": ["message", ...]}``;
- errors not tied to a field: ``{"non_field_errors": ["message"]}``;
- errors in a list field (DRF's shape since 3.18, LIST_SERIALIZER_ERRORS_AS_DICT): an object
  keyed by the 0-based index of each item in error, ``{"members": {"1": {"id_number": ["..."]}}}``
  for the second member, and ``non_field_errors`` for the list as a whole:
  ``{"members": {"non_field_errors": ["Exactly one member must be the head of household."]}}``.
  Services report item errors with dotted keys (``members.1.id_number``); they are nested here;
- 403 / 404 / 401: ``{"detail": "message"}``;
- 409 ``{"detail": "message"}`` when an edit carried `expected_updated_at` and someone else
  changed the record since (the services' ValidationError with code "stale"), or when a
  concurrent request won a race for a unique value (code "conflict": two registrations of
  one ID number at once).
"""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .api_auth import ExpiringTokenAuthentication
from .middleware import NUL_MESSAGE

NON_FIELD_ERRORS_KEY = api_settings.NON_FIELD_ERRORS_KEY

# Token first: an unauthenticated API call gets 401 with `WWW-Authenticate: Token` (with the
# session first, DRF can only answer 403). Both are tried on every request.
API_AUTHENTICATION_CLASSES = [ExpiringTokenAuthentication, SessionAuthentication]


def nest_errors(errors: dict[str, Any], data: Any = None) -> dict[str, Any]:
    """Services' dotted keys in DRF's shape for list fields.

    ``{"members.1.id_number": [...]}`` → ``{"members": {"1": {"id_number": [...]}}}``; and when the
    submitted value of a field is a list (``data[name]``), messages about the list as a whole go
    under ``non_field_errors``: ``{"members": {"non_field_errors": [...]}}``.
    """
    out: dict[str, Any] = {}

    def slot(name: str) -> dict[str, Any]:
        current = out.get(name)
        if not isinstance(current, dict):
            current = {} if current is None else {NON_FIELD_ERRORS_KEY: current}
            out[name] = current
        return current

    for key, messages in errors.items():
        parts = key.split(".", 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[0] and parts[2]:
            name, index, field = parts
            if field == NON_FIELD_ERRORS:
                field = NON_FIELD_ERRORS_KEY
            slot(name).setdefault(index, {})[field] = messages
        elif isinstance(out.get(key), dict) or (
            isinstance(data, dict) and isinstance(data.get(key), list)
        ):
            slot(key)[NON_FIELD_ERRORS_KEY] = messages
        else:
            out[key] = messages
    return out


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = _("Someone else changed this record after you read it.")
    default_code = "stale"


def _messages(error: DjangoValidationError, data: Any) -> Any:
    if hasattr(error, "error_dict"):
        messages = dict(error.message_dict)
        if NON_FIELD_ERRORS in messages:
            messages[NON_FIELD_ERRORS_KEY] = messages.pop(NON_FIELD_ERRORS)
        return nest_errors(messages, data)
    return {NON_FIELD_ERRORS_KEY: error.messages}


def exception_handler(exc: Exception, context: dict[str, Any]):  # type: ignore[no-untyped-def]
    code = getattr(exc, "code", None)
    # wrong_status: the workflow guard (core.workflow) — someone acted first; a stale client.
    if isinstance(exc, DjangoValidationError) and code in ("stale", "conflict", "wrong_status"):
        exc = Conflict(exc.messages[0], code=code)
    elif isinstance(exc, DjangoValidationError):
        request = context.get("request")
        data = getattr(request, "data", None) if request is not None else None
        exc = exceptions.ValidationError(_messages(exc, data))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, ObjectDoesNotExist | Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, ValueError | DataError) and "NUL (0x00)" in str(exc):
        # psycopg refusing a NUL that got past core.middleware.RejectNulBytesMiddleware (the
        # driver checks before sending: the transaction is intact).
        exc = exceptions.ValidationError({NON_FIELD_ERRORS_KEY: [NUL_MESSAGE]})
    return drf_exception_handler(exc, context)
