"""Exchange batches' permission names. *What* a role may do; *which* batches it sees is the
selector's: only the sending or receiving department's users at city level, and the city's
data administrators (a batch is the whole city's list)."""

from core.roles import Role, grant

VIEW = "transitions.view_exchangebatch"
BUILD = "transitions.add_exchangebatch"
ACKNOWLEDGE = "transitions.change_exchangebatch"

EXCHANGE_ROLES = (
    Role.CIVIL_AFFAIRS_REVIEWER,
    Role.POVERTY_OFFICE_REVIEWER,
    Role.SOCIAL_SECURITY_OFFICER,
    Role.DATA_ADMIN,
)

grant(EXCHANGE_ROLES, VIEW, BUILD, ACKNOWLEDGE)
