"""The assistance app's permission names ("app_label.codename"), in one place, granted to roles.

Imported by AssistanceConfig.ready(), so the grants are in core.roles.PERMISSIONS before any
request is served.
"""

from core.roles import Role, grant

ADD = "assistance.add_dibaocase"
CHANGE = "assistance.change_dibaocase"
PROPOSE = "assistance.propose_dibaocase"
# Confirmation by a township caseworker is allowed only where the district delegated it; the
# service checks the district setting (assistance.dibao.services.dibao_case_confirm).
CONFIRM_DIBAO = "assistance.confirm_dibaocase"
CONFIRM = CONFIRM_DIBAO
APPROVE_PAYROLL = "assistance.change_payroll"
BUILD_PAYROLL = "assistance.add_payroll"
APPLY_PROGRAMME = "assistance.add_programmecase"
CHANGE_PROGRAMME = "assistance.change_programmecase"
DECIDE_PROGRAMME = "assistance.decide_programmecase"
REPORT_OUTREACH = "assistance.add_outreachreport"
CHANGE_OUTREACH = "assistance.change_outreachreport"
VIEW_DIBAO = "assistance.view_dibaocase"
VIEW_OUTREACH = "assistance.view_outreachreport"
# Exports of the case lists leave the system (masked names, no ID numbers), hence their own grant.
EXPORT_DIBAO = "assistance.export_dibaocase"
EXPORT_PROGRAMME = "assistance.export_programmecase"

VIEW_ASSISTANCE = (
    VIEW_DIBAO,
    "assistance.view_programmecase",
    "assistance.view_payroll",
    "assistance.view_dibaostandard",
    "assistance.view_categorysupplement",
    "assistance.view_policyparameter",
    VIEW_OUTREACH,
)
POLICY_ADMIN = tuple(
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
        "townnoticecontact",
    )
)

# Third-party auditors see only their sampled households' cases (verification.audits).
grant(set(Role.values) - {Role.VILLAGE_ASSISTANT, Role.AUDITOR}, *VIEW_ASSISTANCE)
grant(
    Role.CASEWORKER,
    ADD,
    CHANGE,
    PROPOSE,
    APPLY_PROGRAMME,
    CHANGE_PROGRAMME,
    CHANGE_OUTREACH,
    CONFIRM_DIBAO,
    REPORT_OUTREACH,
)
grant(Role.VILLAGE_ASSISTANT, VIEW_OUTREACH, REPORT_OUTREACH, VIEW_DIBAO)
grant(Role.CIVIL_AFFAIRS_REVIEWER, CONFIRM_DIBAO, APPROVE_PAYROLL, BUILD_PAYROLL, DECIDE_PROGRAMME)
grant(Role.DATA_ADMIN, *POLICY_ADMIN)
grant(
    (Role.CASEWORKER, Role.CIVIL_AFFAIRS_REVIEWER, Role.SUPERVISOR),
    EXPORT_DIBAO,
    EXPORT_PROGRAMME,
)
