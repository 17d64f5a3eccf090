"""The OAuth2 token endpoint of the registry (DOT's TokenView): each attempt is logged like
every other registry call, and a refusal of a known client says why (expired, inactive,
another grant) in `error_description`."""

import base64
import binascii
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from oauth2_provider.models import Application
from oauth2_provider.views import TokenView

from transitions.models import RegistryCall, RegistryClient

from ..auth import client_refusal


def _client_id(request: HttpRequest) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header.split(" ", 1)[1]).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.split(":", 1)[0][:100]
    return str(request.POST.get("client_id", ""))[:100]


class RegistryTokenView(TokenView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.POST.get("grant_type") != "client_credentials":
            # Refused before DOT sees it: its password grant would check a person's password
            # first, and answer differently when it is right.
            response: HttpResponse = HttpResponse(
                json.dumps(
                    {
                        "error": "unsupported_grant_type",
                        "error_description": _("Only grant_type=client_credentials is accepted."),
                    }
                ),
                status=400,
                content_type="application/json",
            )
        else:
            response = super().post(request, *args, **kwargs)
        client_id = _client_id(request)
        application = Application.objects.filter(client_id=client_id).first() if client_id else None
        client = (
            RegistryClient.objects.filter(application=application).first() if application else None
        )
        error, message = "", ""
        if response.status_code != 200:
            try:
                body = json.loads(response.content)
            except ValueError:
                body = {}
            error = str(body.get("error", "error"))[:40]
            message = str(body.get("error_description", ""))
            refusal = client_refusal(client, application) if application else None
            if error == "unauthorized_client" and refusal is not None:
                error, message = refusal
                body["error_description"] = message
                response.content = json.dumps(body).encode()
        RegistryCall.objects.create(
            client=client,
            client_id_seen=client_id,
            endpoint="token",
            method="POST",
            status_code=response.status_code,
            error_code=error,
            message=message,
            request_summary={"grant_type": str(request.POST.get("grant_type", ""))[:40]},
            remote_addr=request.META.get("REMOTE_ADDR") or None,
        )
        return response
