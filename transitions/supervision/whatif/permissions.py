"""What-if permissions: the data administrators (who maintain the policy data) propose and see
scenarios; which scenarios is the selector's (their region: a city administrator sees the city's,
a district administrator those of the district)."""

from core.roles import Role, grant

VIEW = "transitions.view_whatifscenario"
RUN = "transitions.add_whatifscenario"

grant(Role.DATA_ADMIN, VIEW, RUN)
