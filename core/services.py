"""Shared write helpers: permission + scope guards and access logging."""

from django.core.exceptions import PermissionDenied
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
