"""Who calls: an OAuth2 access token (client-credentials grant) of an application that has a
RegistryClient, active and not expired. Each refusal names its reason (logged by the view)."""

import hashlib
from dataclasses import dataclass
from typing import Any, cast

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from oauth2_provider.models import AccessToken, Application
from oauth2_provider.oauth2_validators import OAuth2Validator
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from transitions.models import RegistryClient

from .errors import RegistryAuthError


@dataclass(frozen=True)
class ClientPrincipal:
    """request.user of a registry call: the client, never a person's account."""

    client: RegistryClient
    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = False
    is_staff: bool = False
    pk: None = None
    role: str = ""

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False


def client_refusal(
    client: RegistryClient | None, application: Application | None
) -> tuple[str, str] | None:
    """Why `client` may not call now, or None."""
    if client is None or application is None:
        return "foreign_client", _("These credentials belong to no registry client.")
    if application.authorization_grant_type != Application.GRANT_CLIENT_CREDENTIALS:
        return "foreign_client", _("Registry clients use the client-credentials grant only.")
    if not client.is_active:
        return "client_inactive", _("This registry client has been deactivated.")
    if client.is_expired():
        return "client_expired", _("This registry client's access expired on %(date)s.") % {
            "date": date_format(timezone.localtime(client.expires_at), "Y-m-d H:i")
        }
    return None


class RegistryAuthentication(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[ClientPrincipal, AccessToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise RegistryAuthError("invalid_token", _("Malformed Authorization header."))
        checksum = hashlib.sha256(header[1]).hexdigest()
        token = (
            AccessToken.objects.select_related("application__registry_client")
            .filter(token_checksum=checksum)
            .first()
        )
        if token is None:
            raise RegistryAuthError(
                "invalid_token", _("The access token is not known or has been revoked.")
            )
        application = token.application
        client = getattr(application, "registry_client", None) if application else None
        # The view logs the refusal against the client the token belongs to.
        request._request.registry_client = client
        request._request.registry_client_id_seen = application.client_id if application else ""
        if token.is_expired():
            raise RegistryAuthError(
                "token_expired", _("The access token has expired; request a new one.")
            )
        refusal = client_refusal(client, application)
        if refusal is not None:
            raise RegistryAuthError(*refusal)
        assert client is not None
        return ClientPrincipal(client), token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="registry"'


class IsRegistryClient(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return isinstance(request.user, ClientPrincipal)


class ClientThrottle(SimpleRateThrottle):
    scope = "registry"

    def get_rate(self) -> str | None:
        return cast("str | None", api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or ""))

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        user = request.user
        if not isinstance(user, ClientPrincipal):
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": f"client-{user.client.pk}"}


class RegistryOAuth2Validator(OAuth2Validator):
    """The token endpoint issues tokens only by client credentials, and only to an active,
    unexpired registry client (other grants and other applications: `unauthorized_client`)."""

    def validate_grant_type(  # type: ignore[no-untyped-def]
        self, client_id, grant_type, client, request, *args, **kwargs
    ) -> bool:
        if grant_type != "client_credentials":
            return False
        registry = RegistryClient.objects.filter(application=client).first()
        if client_refusal(registry, client) is not None:
            return False
        return bool(
            super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)
        )


class RegistryAuthenticationScheme(OpenApiAuthenticationExtension):
    """The schema's security scheme: OAuth2 client credentials at the DCI token URL."""

    target_class = "transitions.registry_api.auth.RegistryAuthentication"
    name = "dciClientCredentials"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/api/dci/v1/oauth2/token/",
                    "scopes": {"registry": "Read the social registry"},
                }
            },
        }
