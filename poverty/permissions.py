"""The poverty app's permission names ("app_label.codename"), granted to roles at import."""

from core.roles import Role, grant

VIEW_RECORD = "poverty.view_povertyrecord"
REGISTER = "poverty.add_povertyrecord"
CHANGE_RECORD = "poverty.change_povertyrecord"

grant(set(Role.values) - {Role.VILLAGE_ASSISTANT}, VIEW_RECORD)
grant(Role.POVERTY_OFFICE_REVIEWER, REGISTER, CHANGE_RECORD)
