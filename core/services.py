"""Shared write helpers: permission + scope guards and access logging."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import TextChoices
from django.utils.translation import gettext as _

from .models import AccessLog, Region, User
from .scope import region_in_scope


def require_perm(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(_("Your role does not allow this action."))


def require_region(user: User, region: Region | None) -> None:
    if not region_in_scope(user, region):
        raise PermissionDenied(_("This region is outside your area of responsibility."))


def access_log_record(
    *, by: User, action: str, obj: object, detail: str = "", ip_address: str | None = None
) -> AccessLog:
    return AccessLog.objects.create(
        user=by,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(getattr(obj, "pk", "")),
        detail=detail,
        ip_address=ip_address,
    )


def require_status(
    current: str, allowed: Iterable[str], *, action: str, choices: type[TextChoices]
) -> None:
    """The guard of every status transition: refuse, with a clear message, from any other status."""
    allowed = tuple(allowed)
    if current not in allowed:
        raise ValidationError(
            _(
                "Cannot %(action)s: the case is now “%(status)s” (allowed from: %(allowed)s). "
                "Someone may have acted on it already; reload the page."
            )
            % {
                "action": action,
                "status": choices(current).label,
                "allowed": "、".join(str(choices(a).label) for a in allowed),
            },
            code="wrong_status",
        )
