"""DRF error translation: Django ValidationError / PermissionDenied / DoesNotExist raised by
services become 400 with field errors / 403 / 404."""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def _messages(error: DjangoValidationError) -> Any:
    if hasattr(error, "error_dict"):
        return dict(error.message_dict)
    return {"non_field_errors": error.messages}


def exception_handler(exc: Exception, context: dict[str, Any]):  # type: ignore[no-untyped-def]
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_messages(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, ObjectDoesNotExist | Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)
