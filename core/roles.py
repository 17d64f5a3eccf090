"""Roles and what each may do: the one place that maps a role to permissions.

Permissions are Django permission names ("app_label.codename"), so `user.has_perm(...)`, the admin
and DRF all ask the same table (see core.backends.RoleBackend). Region scope is separate: see
core.scope. A permission here says *what* a role may do; the scope says *where*.
"""

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

_VIEW_REGISTER = frozenset(
    {
        "core.view_region",
        "households.view_household",
        "households.view_person",
        "households.view_membership",
    }
)
_EDIT_REGISTER = frozenset(
    {
        "households.add_household",
        "households.change_household",
        "households.add_person",
        "households.change_person",
        "households.add_membership",
        "households.change_membership",
    }
)
REVEAL_ID = "households.reveal_id_number"
IMPORT_HOUSEHOLDS = "households.import_households"
EXPORT_HOUSEHOLDS = "households.export_households"

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CASEWORKER: _VIEW_REGISTER | _EDIT_REGISTER | {REVEAL_ID, EXPORT_HOUSEHOLDS},
    Role.VILLAGE_ASSISTANT: _VIEW_REGISTER,
    Role.CIVIL_AFFAIRS_REVIEWER: _VIEW_REGISTER | {REVEAL_ID, EXPORT_HOUSEHOLDS},
    Role.POVERTY_OFFICE_REVIEWER: _VIEW_REGISTER | {EXPORT_HOUSEHOLDS},
    Role.SOCIAL_SECURITY_OFFICER: _VIEW_REGISTER | {REVEAL_ID},
    Role.DATA_ADMIN: _VIEW_REGISTER
    | _EDIT_REGISTER
    | {
        REVEAL_ID,
        IMPORT_HOUSEHOLDS,
        EXPORT_HOUSEHOLDS,
        "core.add_region",
        "core.change_region",
        "core.view_user",
        "core.add_user",
        "core.change_user",
        "households.view_seriousillness",
        "households.add_seriousillness",
        "households.change_seriousillness",
    },
    Role.AUDITOR: _VIEW_REGISTER | {REVEAL_ID, EXPORT_HOUSEHOLDS},
    Role.SUPERVISOR: _VIEW_REGISTER | {EXPORT_HOUSEHOLDS},
}

# Roles that may use the Django admin (is_staff is derived from this, never typed).
STAFF_ROLES = frozenset({Role.DATA_ADMIN})


def role_has_perm(role: str | None, perm: str) -> bool:
    return bool(role) and perm in PERMISSIONS.get(role, frozenset())  # type: ignore[arg-type]
