"""API sign-in glue that DRF's settings name (kept free of rest_framework.views, which reads
these settings while it is imported): tokens that expire, and throttles whose rates are read on
each request (so a setting override takes effect)."""

from typing import Any, cast

from django.conf import settings
from django.db.models.signals import pre_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


def token_expires_at(token: Token) -> Any:
    return token.created + settings.API_TOKEN_TTL


def token_is_expired(token: Token) -> bool:
    return timezone.now() >= token_expires_at(token)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token, refused (and deleted) once API_TOKEN_TTL has passed since it was issued."""

    def authenticate_credentials(self, key):  # type: ignore[no-untyped-def]
        user, token = super().authenticate_credentials(key)
        if token_is_expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed(_("The token has expired; obtain a new one."))
        return user, token


def _rate(scope: str | None) -> str | None:
    # Read on each request, not at import as DRF's class attribute is: overrides apply.
    return cast("str | None", api_settings.DEFAULT_THROTTLE_RATES.get(scope or ""))


class AnonThrottle(AnonRateThrottle):
    def get_rate(self) -> str | None:
        return _rate(self.scope)


class UserThrottle(UserRateThrottle):
    def get_rate(self) -> str | None:
        return _rate(self.scope)


def token_revoke(*, user: Any) -> int:
    """Delete the user's API token(s); the next call with it is 401."""
    deleted, _rows = Token.objects.filter(user_id=user.pk).delete()
    return deleted


def _revoke_tokens_on_password_change(sender, instance, update_fields=None, **kwargs):  # type: ignore[no-untyped-def]
    # Compared with the stored hash, so every way of changing a password (set_password in a
    # form, the admin, a command) revokes the tokens issued under the old one. Sessions are
    # already cut by Django's session auth hash.
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        token_revoke(user=instance)


def connect_signals() -> None:
    pre_save.connect(
        _revoke_tokens_on_password_change,
        sender=settings.AUTH_USER_MODEL,
        dispatch_uid="core.revoke_tokens_on_password_change",
    )
