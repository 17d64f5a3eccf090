"""The poverty app's permission names ("app_label.codename"), granted to roles at import.

- the poverty-office reviewer of a district registers households, proposes exits, records the
  government's confirmation (never the same person who registered, assisted or proposed:
  poverty.workflow), reports returns and households that cannot exit;
- township caseworkers and the poverty office record assistance measures;
- civil-affairs and poverty-office reviewers override a household's classification;
- the data administrator keeps the policy data (classification rule, poverty line, targets).
"""

from core.roles import Role, grant

VIEW_RECORD = "poverty.view_povertyrecord"
REGISTER = "poverty.add_povertyrecord"
CHANGE_RECORD = "poverty.change_povertyrecord"
CONFIRM_EXIT = "poverty.confirm_exit"
VIEW_MEASURE = "poverty.view_assistancemeasure"
ADD_MEASURE = "poverty.add_assistancemeasure"
VIEW_CERTIFICATE = "poverty.view_exitcertificate"
VIEW_CLASSIFICATION = "poverty.view_householdclassification"
OVERRIDE_CLASSIFICATION = "poverty.override_householdclassification"
CHANGE_RULE = "poverty.change_classificationrule"

POLICY_ADMIN = tuple(
    f"poverty.{action}_{model}"
    for action in ("view", "add", "change")
    for model in ("classificationrule", "povertyline", "exittarget")
)

# Third-party auditors see only their sampled households (verification.audits).
VIEWERS = set(Role.values) - {Role.VILLAGE_ASSISTANT, Role.AUDITOR}
grant(VIEWERS, VIEW_RECORD, VIEW_MEASURE, VIEW_CERTIFICATE, VIEW_CLASSIFICATION)
grant(Role.POVERTY_OFFICE_REVIEWER, REGISTER, CHANGE_RECORD, CONFIRM_EXIT, ADD_MEASURE)
grant(Role.CASEWORKER, ADD_MEASURE)
grant((Role.CIVIL_AFFAIRS_REVIEWER, Role.POVERTY_OFFICE_REVIEWER), OVERRIDE_CLASSIFICATION)
grant(Role.DATA_ADMIN, *POLICY_ADMIN)
