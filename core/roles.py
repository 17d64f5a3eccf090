"""Roles and what each may do: the one place that maps a role to permissions.

Permissions are Django permission names ("app_label.codename"), so `user.has_perm(...)`, the admin
and DRF all ask the same table (see core.backends.RoleBackend). Region scope is separate: see
core.scope. A permission here says *what* a role may do; the scope says *where*.
"""

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Township caseworker")
    VILLAGE_ASSISTANT = "village_assistant", _("Village assistant")
    CIVIL_AFFAIRS_REVIEWER = "civil_affairs_reviewer", _("District civil-affairs reviewer")
    POVERTY_OFFICE_REVIEWER = "poverty_office_reviewer", _("District poverty-office reviewer")
    SOCIAL_SECURITY_OFFICER = "social_security_officer", _("Social-security officer")
    DATA_ADMIN = "data_admin", _("Data administrator")
    AUDITOR = "auditor", _("Third-party auditor")
    SUPERVISOR = "supervisor", _("City supervisor")


# The region level a role's user may be attached to (a user's region must be one of these).
ROLE_LEVELS: dict[str, tuple[str, ...]] = {
    Role.CASEWORKER: ("township",),
    Role.VILLAGE_ASSISTANT: ("village",),
    Role.CIVIL_AFFAIRS_REVIEWER: ("county",),
    Role.POVERTY_OFFICE_REVIEWER: ("county",),
    Role.SOCIAL_SECURITY_OFFICER: ("county", "city"),
    Role.DATA_ADMIN: ("city", "county"),
    Role.AUDITOR: ("city", "county"),
    Role.SUPERVISOR: ("city",),
}

# The role -> permissions table, built from each app's grants: every app declares its own
# permission names in its `permissions.py` and grants them here when its AppConfig.ready() imports
# that module, so this lower layer never names a higher app's permissions. core.backends.RoleBackend
# reads this same dict at each call, so it sees every grant.
PERMISSIONS: dict[str, frozenset[str]] = {role: frozenset() for role in Role.values}


def grant(roles: str | Iterable[str], *perms: str) -> None:
    """Grant `perms` to one role or to each of several roles (idempotent)."""
    for role in [roles] if isinstance(roles, str) else roles:
        PERMISSIONS[role] = PERMISSIONS[role] | frozenset(perms)


# core's own permissions.
grant(Role.values, "core.view_region")
grant(
    Role.DATA_ADMIN,
    "core.view_calendaroverride",
    "core.add_calendaroverride",
    "core.change_calendaroverride",
    "core.add_region",
    "core.change_region",
    "core.view_user",
    "core.add_user",
    "core.change_user",
    # Unlock a locked-out log-in (django-axes) and revoke API tokens, in the admin.
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "authtoken.view_tokenproxy",
    "authtoken.delete_tokenproxy",
)

# Roles that may use the Django admin (is_staff is derived from this, never typed).
STAFF_ROLES = frozenset({Role.DATA_ADMIN})


def roles_with(perm: str) -> list[str]:
    """The roles granted `perm` (to find who is told of an event: core.notifications)."""
    return [role for role, perms in PERMISSIONS.items() if perm in perms]
