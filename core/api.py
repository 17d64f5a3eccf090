"""DRF glue shared by every app's API.

Error translation: Django ValidationError / PermissionDenied / DoesNotExist raised by services
become 400 with field errors / 403 / 404.

Error shape (one for DRF's own validation and the services'):

- field errors: ``{"field": ["message", ...]}``;
- errors not tied to a field: ``{"non_field_errors": ["message"]}``;
- errors of one item of a list field: the list, aligned with the input, with ``{}`` for items
  without errors: ``{"members": [{}, {"id_number": ["..."]}]}``. Services report these with
  dotted keys (``members.1.id_number``); they are nested here. Errors about the list as a whole
  stay a list of strings: ``{"members": ["Exactly one member must be the head of household."]}``;
- 403 / 404 / 401: ``{"detail": "message"}``.
"""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.views import exception_handler as drf_exception_handler

# Token first: an unauthenticated API call gets 401 with `WWW-Authenticate: Token` (with the
# session first, DRF can only answer 403). Both are tried on every request.
API_AUTHENTICATION_CLASSES = [TokenAuthentication, SessionAuthentication]


def nest_errors(errors: dict[str, Any], data: Any = None) -> dict[str, Any]:
    """Turn ``{"members.1.id_number": [...]}`` into ``{"members": [{}, {"id_number": [...]}]}``.

    The list is padded to the length of the submitted list (``data[name]``) when known.
    """
    out: dict[str, Any] = {}
    nested: dict[str, dict[int, dict[str, Any]]] = {}
    for key, messages in errors.items():
        parts = key.split(".", 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[0] and parts[2]:
            nested.setdefault(parts[0], {}).setdefault(int(parts[1]), {})[parts[2]] = messages
        else:
            out[key] = messages
    for name, items in nested.items():
        if name in out:  # a list-level message as well: keep the dotted keys as they came
            for i, item in items.items():
                for field, messages in item.items():
                    out[f"{name}.{i}.{field}"] = messages
            continue
        submitted = data.get(name) if isinstance(data, dict) else None
        length = max(max(items) + 1, len(submitted) if isinstance(submitted, list) else 0)
        out[name] = [items.get(i, {}) for i in range(length)]
    return out


def _messages(error: DjangoValidationError, data: Any) -> Any:
    if hasattr(error, "error_dict"):
        messages = dict(error.message_dict)
        if "__all__" in messages:
            messages["non_field_errors"] = messages.pop("__all__")
        return nest_errors(messages, data)
    return {"non_field_errors": error.messages}


def exception_handler(exc: Exception, context: dict[str, Any]):  # type: ignore[no-untyped-def]
    if isinstance(exc, DjangoValidationError):
        request = context.get("request")
        data = getattr(request, "data", None) if request is not None else None
        exc = exceptions.ValidationError(_messages(exc, data))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, ObjectDoesNotExist | Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)
