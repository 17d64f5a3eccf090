"""The verification app's permission names ("app_label.codename"), granted to roles at import.

Who may do what with the departments' data (domain.md §4). The economic cross-check reports, it
does not decide: resolving a finding is a caseworker's act, waiving one a reviewer's.
"""

from core.roles import Role, grant

# Datasets: data administrators import and approve (never the same person for one snapshot:
# verification.workflow IMPORT); reviewers and supervisors see what was loaded and when.
VIEW_DATASET = "verification.view_datasetsnapshot"
IMPORT_DATASET = "verification.add_datasetsnapshot"
APPROVE_DATASET = "verification.approve_datasetsnapshot"
# Cross-check runs and their findings.
VIEW_RUN = "verification.view_crosscheckrun"
START_RUN = "verification.add_crosscheckrun"
VIEW_FINDING = "verification.view_finding"
RESOLVE_FINDING = "verification.change_finding"
WAIVE_FINDING = "verification.waive_finding"
# The household poverty score (综合评估) shown beside decisions.
VIEW_SCORE = "verification.view_householdscore"
# Third-party sampling audits: the city's supervision plans and draws; auditors record.
VIEW_AUDIT = "verification.view_auditplan"
PLAN_AUDIT = "verification.add_auditplan"
RECORD_AUDIT = "verification.change_auditsample"
# Policy data of this app (rules, weights, limits) in the admin.
POLICY_ADMIN = tuple(
    f"verification.{a}_{m}"
    for a in ("view", "add", "change")
    for m in ("crosscheckrule", "scoreweights", "importlimit", "auditpolicy")
)

REVIEWERS = (Role.CIVIL_AFFAIRS_REVIEWER, Role.POVERTY_OFFICE_REVIEWER)

grant((Role.DATA_ADMIN, Role.SUPERVISOR, *REVIEWERS), VIEW_DATASET)
grant(Role.DATA_ADMIN, IMPORT_DATASET, APPROVE_DATASET, *POLICY_ADMIN)
grant((Role.CASEWORKER, Role.DATA_ADMIN, Role.SUPERVISOR, *REVIEWERS), VIEW_RUN, VIEW_FINDING)
grant((Role.CASEWORKER, Role.CIVIL_AFFAIRS_REVIEWER, Role.DATA_ADMIN), START_RUN)
grant(Role.CASEWORKER, RESOLVE_FINDING)
grant(Role.CIVIL_AFFAIRS_REVIEWER, WAIVE_FINDING)
grant((Role.CASEWORKER, Role.SUPERVISOR, *REVIEWERS), VIEW_SCORE)
grant((Role.SUPERVISOR, Role.CIVIL_AFFAIRS_REVIEWER, Role.AUDITOR), VIEW_AUDIT)
grant(Role.SUPERVISOR, PLAN_AUDIT)
grant(Role.AUDITOR, RECORD_AUDIT)
