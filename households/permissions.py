"""The households app's permission names ("app_label.codename"), granted to roles at import.

Imported by HouseholdsConfig.ready(), so the grants are in core.roles.PERMISSIONS before any
request is served.
"""

from core.personal_data import REVEAL_ID
from core.roles import Role, grant

IMPORT_HOUSEHOLDS = "households.import_households"
EXPORT_HOUSEHOLDS = "households.export_households"

VIEW_HOUSEHOLD = "households.view_household"
ADD_HOUSEHOLD = "households.add_household"

VIEW_REGISTER = (
    VIEW_HOUSEHOLD,
    "households.view_person",
    "households.view_membership",
)
EDIT_REGISTER = (
    ADD_HOUSEHOLD,
    "households.change_household",
    "households.add_person",
    "households.change_person",
    "households.add_membership",
    "households.change_membership",
)

# Third-party auditors read only the households sampled for their audits (verification.audits),
# never the register.
grant(set(Role.values) - {Role.AUDITOR}, *VIEW_REGISTER)
grant((Role.CASEWORKER, Role.DATA_ADMIN), *EDIT_REGISTER)
grant(
    (
        Role.CASEWORKER,
        Role.CIVIL_AFFAIRS_REVIEWER,
        Role.SOCIAL_SECURITY_OFFICER,
        Role.DATA_ADMIN,
    ),
    REVEAL_ID,
)
grant(
    (
        Role.CASEWORKER,
        Role.CIVIL_AFFAIRS_REVIEWER,
        Role.POVERTY_OFFICE_REVIEWER,
        Role.DATA_ADMIN,
        Role.SUPERVISOR,
    ),
    EXPORT_HOUSEHOLDS,
)
grant(
    Role.DATA_ADMIN,
    IMPORT_HOUSEHOLDS,
    "households.view_seriousillness",
    "households.add_seriousillness",
    "households.change_seriousillness",
)
