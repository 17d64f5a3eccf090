"""The registry API's refusals: each a code, a specific message and an HTTP status. Every one
is logged (RegistryCall.error_code) by the view that answers it."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status

# code → HTTP status
STATUS = {
    "no_credentials": status.HTTP_401_UNAUTHORIZED,
    "invalid_token": status.HTTP_401_UNAUTHORIZED,
    "token_expired": status.HTTP_401_UNAUTHORIZED,
    "foreign_client": status.HTTP_401_UNAUTHORIZED,
    "client_inactive": status.HTTP_401_UNAUTHORIZED,
    "client_expired": status.HTTP_401_UNAUTHORIZED,
    "field_not_granted": status.HTTP_403_FORBIDDEN,
    "region_not_granted": status.HTTP_403_FORBIDDEN,
    "unknown_region": status.HTTP_400_BAD_REQUEST,
    "page_size_over_limit": status.HTTP_400_BAD_REQUEST,
    "bad_pagination": status.HTTP_400_BAD_REQUEST,
    "unknown_id_type": status.HTTP_400_BAD_REQUEST,
    "bad_id_value": status.HTTP_400_BAD_REQUEST,
    "unknown_query_type": status.HTTP_400_BAD_REQUEST,
    "malformed_expression": status.HTTP_400_BAD_REQUEST,
    "as_of_in_future": status.HTTP_400_BAD_REQUEST,
    "invalid_request": status.HTTP_400_BAD_REQUEST,
    "unknown_event_type": status.HTTP_400_BAD_REQUEST,
    "bad_callback_url": status.HTTP_400_BAD_REQUEST,
    "not_found": status.HTTP_404_NOT_FOUND,
    "throttled": status.HTTP_429_TOO_MANY_REQUESTS,
}


class RegistryError(exceptions.APIException):
    """A refusal: `{"detail": message, "code": code, "field": path}` (field when one is at
    fault, as a dotted path in the request body)."""

    def __init__(self, code: str, message: Any, *, field: str = "") -> None:
        self.status_code = STATUS[code]
        self.registry_code = code
        self.field = field
        super().__init__(detail=message, code=code)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": str(self.detail), "code": self.registry_code}
        if self.field:
            body["field"] = self.field
        return body


class RegistryAuthError(RegistryError, exceptions.AuthenticationFailed):
    pass


NO_CREDENTIALS = _(
    "Send an OAuth2 access token: Authorization: Bearer <token> "
    "(client credentials at /api/dci/v1/oauth2/token/)."
)
