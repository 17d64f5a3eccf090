"""The transitions app's permission names ("app_label.codename"), granted to roles at import.

Acting on a hand-off needs ACT; *which* role and level acts at each stage is the hand-off's
approval policy (data, transitions.policy), checked by the workflow's rules.
"""

from core.roles import Role, grant

VIEW = "transitions.view_handoff"
OPEN = "transitions.add_handoff"
ACT = "transitions.change_handoff"
# Told when a hand-off is not acknowledged in time (the district's supervision).
ESCALATION = "transitions.escalation_handoff"
VIEW_PHASE_OUT = "transitions.view_phaseout"
VIEW_ENROLMENT = "transitions.view_insuranceenrolment"
RECORD_ENROLMENT = "transitions.change_insuranceenrolment"
POLICY_ADMIN = tuple(
    f"transitions.{a}_{m}"
    for a in ("view", "add", "change")
    for m in ("approvalpolicy", "twolinerule")
)

DEPARTMENT_ROLES = (
    Role.CASEWORKER,
    Role.CIVIL_AFFAIRS_REVIEWER,
    Role.POVERTY_OFFICE_REVIEWER,
    Role.SOCIAL_SECURITY_OFFICER,
)

# Third-party auditors see only their sampled households (verification.audits).
grant(
    set(Role.values) - {Role.VILLAGE_ASSISTANT, Role.AUDITOR}, VIEW, VIEW_PHASE_OUT, VIEW_ENROLMENT
)
grant(DEPARTMENT_ROLES, OPEN, ACT)
grant(Role.SUPERVISOR, ESCALATION)
grant(Role.SOCIAL_SECURITY_OFFICER, RECORD_ENROLMENT)
grant(Role.DATA_ADMIN, *POLICY_ADMIN)
