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

_VIEW_ASSISTANCE = frozenset(
    {
        "assistance.view_dibaocase",
        "assistance.view_programmecase",
        "assistance.view_payroll",
        "assistance.view_dibaostandard",
        "assistance.view_categorysupplement",
        "assistance.view_policyparameter",
        "assistance.view_outreachreport",
    }
)
_CASEWORK = frozenset(
    {
        "assistance.add_dibaocase",
        "assistance.change_dibaocase",
        "assistance.propose_dibaocase",
        "assistance.add_programmecase",
        "assistance.change_programmecase",
        "assistance.change_outreachreport",
    }
)
_POLICY_ADMIN = frozenset(
    f"assistance.{action}_{model}"
    for action in ("view", "add", "change")
    for model in (
        "dibaostandard",
        "categorysupplement",
        "incometype",
        "expendituretype",
        "policyparameter",
        "cpireading",
        "districtsetting",
    )
) | {"core.view_calendaroverride", "core.add_calendaroverride", "core.change_calendaroverride"}
# Confirmation by a township caseworker is allowed only where the district delegated it; the
# service checks the district setting (assistance.dibao.services.dibao_case_confirm).
CONFIRM_DIBAO = "assistance.confirm_dibaocase"
APPROVE_PAYROLL = "assistance.change_payroll"
BUILD_PAYROLL = "assistance.add_payroll"
DECIDE_PROGRAMME = "assistance.decide_programmecase"
REPORT_OUTREACH = "assistance.add_outreachreport"

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CASEWORKER: _VIEW_REGISTER
    | _EDIT_REGISTER
    | _VIEW_ASSISTANCE
    | _CASEWORK
    | {REVEAL_ID, EXPORT_HOUSEHOLDS, CONFIRM_DIBAO, REPORT_OUTREACH},
    Role.VILLAGE_ASSISTANT: _VIEW_REGISTER
    | {"assistance.view_outreachreport", REPORT_OUTREACH, "assistance.view_dibaocase"},
    Role.CIVIL_AFFAIRS_REVIEWER: _VIEW_REGISTER
    | _VIEW_ASSISTANCE
    | {
        REVEAL_ID,
        EXPORT_HOUSEHOLDS,
        CONFIRM_DIBAO,
        APPROVE_PAYROLL,
        BUILD_PAYROLL,
        DECIDE_PROGRAMME,
    },
    Role.POVERTY_OFFICE_REVIEWER: _VIEW_REGISTER | _VIEW_ASSISTANCE | {EXPORT_HOUSEHOLDS},
    Role.SOCIAL_SECURITY_OFFICER: _VIEW_REGISTER | _VIEW_ASSISTANCE | {REVEAL_ID},
    Role.DATA_ADMIN: _VIEW_REGISTER
    | _VIEW_ASSISTANCE
    | _POLICY_ADMIN
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
        # Unlock a locked-out log-in (django-axes) and revoke API tokens, in the admin.
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "authtoken.view_tokenproxy",
        "authtoken.delete_tokenproxy",
    },
    Role.AUDITOR: _VIEW_REGISTER | _VIEW_ASSISTANCE | {REVEAL_ID, EXPORT_HOUSEHOLDS},
    Role.SUPERVISOR: _VIEW_REGISTER | _VIEW_ASSISTANCE | {EXPORT_HOUSEHOLDS},
}

# Roles that may use the Django admin (is_staff is derived from this, never typed).
STAFF_ROLES = frozenset({Role.DATA_ADMIN})


def role_has_perm(role: str | None, perm: str) -> bool:
    return bool(role) and perm in PERMISSIONS.get(role, frozenset())  # type: ignore[arg-type]
