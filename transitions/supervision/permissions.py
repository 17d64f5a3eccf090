"""Supervision's permission names, granted to roles at import (TransitionsConfig.ready).

The supervision dashboard is for the district reviewers (their district) and the city's
supervisors (every district); which districts a user sees is the selector's
(transitions.supervision.selectors.supervision_counties). Monitoring cases are casework: the
town's caseworkers close them; the district reviewers may read them.
"""

from core.roles import Role, grant

VIEW_MONITORING = "transitions.view_monitoringcase"
CLOSE_MONITORING = "transitions.change_monitoringcase"
VIEW_BUDGET = "transitions.view_fundbudget"

SUPERVISION_ROLES = (
    Role.CIVIL_AFFAIRS_REVIEWER,
    Role.POVERTY_OFFICE_REVIEWER,
    Role.SUPERVISOR,
)

grant(SUPERVISION_ROLES, VIEW_BUDGET, VIEW_MONITORING)
grant(Role.CASEWORKER, VIEW_MONITORING, CLOSE_MONITORING)
