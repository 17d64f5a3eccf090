"""Reconciliation's permission names. *What* a role may do; *which* differences it sees is
the selector's (core.scope: the difference's village), and only the owner department's
caseworkers and reviewers explain one (workflow)."""

from core.roles import Role, grant

VIEW = "transitions.view_difference"
EXPLAIN = "transitions.change_difference"
RUN = "transitions.add_reconciliationrun"
RECEIVE = "transitions.add_inboundbatch"
VIEW_INBOUND = "transitions.view_inboundbatch"

DEPARTMENT_ROLES = (
    Role.CASEWORKER,
    Role.CIVIL_AFFAIRS_REVIEWER,
    Role.POVERTY_OFFICE_REVIEWER,
    Role.SOCIAL_SECURITY_OFFICER,
)

grant((*DEPARTMENT_ROLES, Role.DATA_ADMIN, Role.SUPERVISOR), VIEW)
grant(DEPARTMENT_ROLES, EXPLAIN)
grant((Role.DATA_ADMIN,), RUN, RECEIVE, VIEW_INBOUND)
grant((Role.POVERTY_OFFICE_REVIEWER, Role.SOCIAL_SECURITY_OFFICER), VIEW_INBOUND)
