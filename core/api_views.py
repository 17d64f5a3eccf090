"""/api/v1/auth/token/ (obtain) and /api/v1/auth/token/revoke/."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, renderers, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import API_AUTHENTICATION_CLASSES
from .api_auth import AnonThrottle, UserThrottle, token_expires_at, token_is_expired, token_revoke


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send as `Authorization: Token <token>`."))
    expires = serializers.DateTimeField()


class TokenObtainView(APIView):
    """User name and password → the user's token (a new one once the old has expired).

    Failed attempts count towards the log-in lockout like the log-in page's (429 when locked)."""

    authentication_classes = ()
    permission_classes = ()
    throttle_classes = [AnonThrottle, UserThrottle]
    parser_classes = [parsers.FormParser, parsers.MultiPartParser, parsers.JSONParser]
    renderer_classes = [renderers.JSONRenderer]

    @extend_schema(request=AuthTokenSerializer, responses=TokenResponseSerializer, auth=[])
    def post(self, request: Request) -> Response:
        # The Django request, not DRF's wrapper: django-axes marks a locked-out attempt on it
        # and its middleware then answers with core.lockout's 429.
        serializer = AuthTokenSerializer(data=request.data, context={"request": request._request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, _created = Token.objects.get_or_create(user=user)
        if token_is_expired(token):
            token.delete()
            token = Token.objects.create(user=user)
        return Response(
            TokenResponseSerializer({"token": token.key, "expires": token_expires_at(token)}).data
        )


class TokenRevokeView(APIView):
    """Revoke the signed-in user's token (with the token itself or from a session)."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={status.HTTP_204_NO_CONTENT: None})
    def post(self, request: Request) -> Response:
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
