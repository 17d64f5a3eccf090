"""The role -> permission table, built from each app's grants, is exactly the table it replaced.

The literal below is the table `core/roles.py` spelt out by hand before each app declared its own
permissions; the registry must grant the same set to every role, no more and no less.
"""

from pathlib import Path

from core.roles import PERMISSIONS

BEFORE_REGISTRY: dict[str, set[str]] = {
    "caseworker": {
        "assistance.export_dibaocase",
        "assistance.export_programmecase",
        "assistance.add_dibaocase",
        "assistance.add_outreachreport",
        "assistance.add_programmecase",
        "assistance.change_dibaocase",
        "assistance.change_outreachreport",
        "assistance.change_programmecase",
        "assistance.confirm_dibaocase",
        "assistance.propose_dibaocase",
        "assistance.view_categorysupplement",
        "assistance.view_dibaocase",
        "assistance.view_dibaostandard",
        "assistance.view_outreachreport",
        "assistance.view_payroll",
        "assistance.view_policyparameter",
        "assistance.view_programmecase",
        "core.view_region",
        "households.add_household",
        "households.add_membership",
        "households.add_person",
        "households.change_household",
        "households.change_membership",
        "households.change_person",
        "households.export_households",
        "households.reveal_id_number",
        "households.view_household",
        "households.view_membership",
        "households.view_person",
    },
    "village_assistant": {
        "assistance.add_outreachreport",
        "assistance.view_dibaocase",
        "assistance.view_outreachreport",
        "core.view_region",
        "households.view_household",
        "households.view_membership",
        "households.view_person",
    },
    "civil_affairs_reviewer": {
        "assistance.export_dibaocase",
        "assistance.export_programmecase",
        "assistance.add_payroll",
        "assistance.change_payroll",
        "assistance.confirm_dibaocase",
        "assistance.decide_programmecase",
        "assistance.view_categorysupplement",
        "assistance.view_dibaocase",
        "assistance.view_dibaostandard",
        "assistance.view_outreachreport",
        "assistance.view_payroll",
        "assistance.view_policyparameter",
        "assistance.view_programmecase",
        "core.view_region",
        "households.export_households",
        "households.reveal_id_number",
        "households.view_household",
        "households.view_membership",
        "households.view_person",
    },
    "poverty_office_reviewer": {
        "assistance.view_categorysupplement",
        "assistance.view_dibaocase",
        "assistance.view_dibaostandard",
        "assistance.view_outreachreport",
        "assistance.view_payroll",
        "assistance.view_policyparameter",
        "assistance.view_programmecase",
        "core.view_region",
        "households.export_households",
        "households.view_household",
        "households.view_membership",
        "households.view_person",
    },
    "social_security_officer": {
        "assistance.view_categorysupplement",
        "assistance.view_dibaocase",
        "assistance.view_dibaostandard",
        "assistance.view_outreachreport",
        "assistance.view_payroll",
        "assistance.view_policyparameter",
        "assistance.view_programmecase",
        "core.view_region",
        "households.reveal_id_number",
        "households.view_household",
        "households.view_membership",
        "households.view_person",
    },
    "data_admin": {
        "assistance.add_categorysupplement",
        "assistance.add_cpireading",
        "assistance.add_dibaostandard",
        "assistance.add_districtsetting",
        "assistance.add_expendituretype",
        "assistance.add_incometype",
        "assistance.add_policyparameter",
        "assistance.add_townnoticecontact",  # issue 7: the towns' notice contacts
        "assistance.change_categorysupplement",
        "assistance.change_cpireading",
        "assistance.change_dibaostandard",
        "assistance.change_districtsetting",
        "assistance.change_expendituretype",
        "assistance.change_incometype",
        "assistance.change_policyparameter",
        "assistance.change_townnoticecontact",
        "assistance.view_categorysupplement",
        "assistance.view_cpireading",
        "assistance.view_dibaocase",
        "assistance.view_dibaostandard",
        "assistance.view_districtsetting",
        "assistance.view_expendituretype",
        "assistance.view_incometype",
        "assistance.view_outreachreport",
        "assistance.view_payroll",
        "assistance.view_policyparameter",
        "assistance.view_programmecase",
        "assistance.view_townnoticecontact",
        "authtoken.delete_tokenproxy",
        "authtoken.view_tokenproxy",
        "axes.delete_accessattempt",
        "axes.view_accessattempt",
        "core.add_calendaroverride",
        "core.add_region",
        "core.add_user",
        "core.change_calendaroverride",
        "core.change_region",
        "core.change_user",
        "core.view_calendaroverride",
        "core.view_region",
        "core.view_user",
        "households.add_household",
        "households.add_membership",
        "households.add_person",
        "households.add_seriousillness",
        "households.change_household",
        "households.change_membership",
        "households.change_person",
        "households.change_seriousillness",
        "households.export_households",
        "households.import_households",
        "households.reveal_id_number",
        "households.view_household",
        "households.view_membership",
        "households.view_person",
        "households.view_seriousillness",
    },
    "auditor": {
        "assistance.export_dibaocase",
        "assistance.export_programmecase",
        "assistance.view_categorysupplement",
        "assistance.view_dibaocase",
        "assistance.view_dibaostandard",
        "assistance.view_outreachreport",
        "assistance.view_payroll",
        "assistance.view_policyparameter",
        "assistance.view_programmecase",
        "core.view_region",
        "households.export_households",
        "households.reveal_id_number",
        "households.view_household",
        "households.view_membership",
        "households.view_person",
    },
    "supervisor": {
        "assistance.export_dibaocase",
        "assistance.export_programmecase",
        "assistance.view_categorysupplement",
        "assistance.view_dibaocase",
        "assistance.view_dibaostandard",
        "assistance.view_outreachreport",
        "assistance.view_payroll",
        "assistance.view_policyparameter",
        "assistance.view_programmecase",
        "core.view_region",
        "households.export_households",
        "households.view_household",
        "households.view_membership",
        "households.view_person",
    },
}


# Granted since by the poverty register and the hand-offs (issue 8), spelt out the same way.
ISSUE_8: dict[str, set[str]] = {
    "caseworker": {
        "poverty.add_assistancemeasure",
        "poverty.view_assistancemeasure",
        "poverty.view_exitcertificate",
        "poverty.view_householdclassification",
        "poverty.view_povertyrecord",
        "transitions.add_handoff",
        "transitions.change_handoff",
        "transitions.view_handoff",
        "transitions.view_insuranceenrolment",
        "transitions.view_phaseout",
    },
    "civil_affairs_reviewer": {
        "poverty.override_householdclassification",
        "poverty.view_assistancemeasure",
        "poverty.view_exitcertificate",
        "poverty.view_householdclassification",
        "poverty.view_povertyrecord",
        "transitions.add_handoff",
        "transitions.change_handoff",
        "transitions.view_handoff",
        "transitions.view_insuranceenrolment",
        "transitions.view_phaseout",
    },
    "poverty_office_reviewer": {
        "poverty.add_assistancemeasure",
        "poverty.add_povertyrecord",
        "poverty.change_povertyrecord",
        "poverty.confirm_exit",
        "poverty.override_householdclassification",
        "poverty.view_assistancemeasure",
        "poverty.view_exitcertificate",
        "poverty.view_householdclassification",
        "poverty.view_povertyrecord",
        "transitions.add_handoff",
        "transitions.change_handoff",
        "transitions.view_handoff",
        "transitions.view_insuranceenrolment",
        "transitions.view_phaseout",
    },
    "social_security_officer": {
        "poverty.view_assistancemeasure",
        "poverty.view_exitcertificate",
        "poverty.view_householdclassification",
        "poverty.view_povertyrecord",
        "transitions.add_handoff",
        "transitions.change_handoff",
        "transitions.change_insuranceenrolment",
        "transitions.view_handoff",
        "transitions.view_insuranceenrolment",
        "transitions.view_phaseout",
    },
    "data_admin": {
        "poverty.add_classificationrule",
        "poverty.add_exittarget",
        "poverty.add_povertyline",
        "poverty.change_classificationrule",
        "poverty.change_exittarget",
        "poverty.change_povertyline",
        "poverty.view_assistancemeasure",
        "poverty.view_classificationrule",
        "poverty.view_exitcertificate",
        "poverty.view_exittarget",
        "poverty.view_householdclassification",
        "poverty.view_povertyline",
        "poverty.view_povertyrecord",
        "transitions.add_approvalpolicy",
        "transitions.add_twolinerule",
        "transitions.change_approvalpolicy",
        "transitions.change_twolinerule",
        "transitions.view_approvalpolicy",
        "transitions.view_handoff",
        "transitions.view_insuranceenrolment",
        "transitions.view_phaseout",
        "transitions.view_twolinerule",
    },
    "auditor": {
        "poverty.view_assistancemeasure",
        "poverty.view_exitcertificate",
        "poverty.view_householdclassification",
        "poverty.view_povertyrecord",
        "transitions.view_handoff",
        "transitions.view_insuranceenrolment",
        "transitions.view_phaseout",
    },
    "supervisor": {
        "poverty.view_assistancemeasure",
        "poverty.view_exitcertificate",
        "poverty.view_householdclassification",
        "poverty.view_povertyrecord",
        "transitions.escalation_handoff",
        "transitions.view_handoff",
        "transitions.view_insuranceenrolment",
        "transitions.view_phaseout",
    },
}
for _role, _perms in ISSUE_8.items():
    BEFORE_REGISTRY[_role] = BEFORE_REGISTRY[_role] | _perms

# Issue 9, sampling audits: the third-party auditor no longer reads the register (households,
# cases, poverty records, hand-offs, exports, the ID reveal); it sees only the households sampled
# for its own audits, through verification's audit permissions.
BEFORE_REGISTRY["auditor"] = {
    "core.view_region",
    "verification.view_auditplan",
    "verification.change_auditsample",
}


# Issue 9, verification: datasets (city data administrators import and approve; reviewers and
# supervision see what was loaded), cross-check runs and findings (caseworkers resolve,
# civil-affairs reviewers waive), the poverty score, the sampling audits' plans, policy data.
_RUN_AND_FINDINGS = {"verification.view_crosscheckrun", "verification.view_finding"}
ISSUE_9: dict[str, set[str]] = {
    "caseworker": _RUN_AND_FINDINGS
    | {
        "verification.add_crosscheckrun",
        "verification.add_householdscore",
        "verification.change_finding",
        "verification.view_householdscore",
    },
    "civil_affairs_reviewer": _RUN_AND_FINDINGS
    | {
        "verification.add_crosscheckrun",
        "verification.add_householdscore",
        "verification.view_auditplan",
        "verification.view_datasetsnapshot",
        "verification.view_householdscore",
        "verification.waive_finding",
    },
    "poverty_office_reviewer": _RUN_AND_FINDINGS
    | {
        "verification.add_householdscore",
        "verification.view_datasetsnapshot",
        "verification.view_householdscore",
    },
    "data_admin": _RUN_AND_FINDINGS
    | {
        "verification.add_crosscheckrun",
        "verification.add_datasetsnapshot",
        "verification.approve_datasetsnapshot",
        "verification.view_datasetsnapshot",
    }
    | {
        f"verification.{a}_{m}"
        for a in ("view", "add", "change")
        for m in ("crosscheckrule", "scoreweights", "importlimit", "auditpolicy")
    },
    "supervisor": _RUN_AND_FINDINGS
    | {
        "verification.add_auditplan",
        "verification.view_auditplan",
        "verification.view_datasetsnapshot",
        "verification.view_householdscore",
    },
}
for _role, _perms in ISSUE_9.items():
    BEFORE_REGISTRY[_role] = BEFORE_REGISTRY[_role] | _perms

# Issue 10, exchange batches: the departments' reviewers, the social-security officer and the
# data administrators see, build and acknowledge (which batches: the city-level selector and the
# workflow's department rules).
_EXCHANGE = {f"transitions.{a}_exchangebatch" for a in ("view", "add", "change")}
for _role in (
    "civil_affairs_reviewer",
    "poverty_office_reviewer",
    "social_security_officer",
    "data_admin",
):
    BEFORE_REGISTRY[_role] = BEFORE_REGISTRY[_role] | _EXCHANGE


# Issue 10, public disclosure: caseworkers and civil-affairs reviewers publish and take down
# the lists and see the objections; caseworkers answer them.
_DISCLOSURE = {
    "transitions.add_publication",
    "transitions.view_publication",
    "transitions.view_publicobjection",
}
BEFORE_REGISTRY["caseworker"] |= _DISCLOSURE | {"transitions.change_publicobjection"}
BEFORE_REGISTRY["civil_affairs_reviewer"] |= _DISCLOSURE

# Issue 10, supervision: the district reviewers and the city's supervisors read the budgets and
# the monitoring cases (which districts: the selector); caseworkers close monitoring cases.
for _role in ("civil_affairs_reviewer", "poverty_office_reviewer", "supervisor"):
    BEFORE_REGISTRY[_role] |= {"transitions.view_fundbudget", "transitions.view_monitoringcase"}
BEFORE_REGISTRY["caseworker"] |= {
    "transitions.view_monitoringcase",
    "transitions.change_monitoringcase",
}
# Issue 10, registry API: the city's data administrators manage the external clients (admin,
# city level only) and read the calls log and subscriptions; supervisors read the calls log.
BEFORE_REGISTRY["data_admin"] |= {
    "transitions.view_registryclient",
    "transitions.add_registryclient",
    "transitions.change_registryclient",
    "transitions.view_registrycall",
    "transitions.view_registrysubscription",
}
BEFORE_REGISTRY["supervisor"] |= {"transitions.view_registrycall"}
# Issue 10, what-if of a standard change: the data administrators only.
BEFORE_REGISTRY["data_admin"] |= {
    "transitions.view_whatifscenario",
    "transitions.add_whatifscenario",
}
# Issue 10, reconciliation: the departments' caseworkers and reviewers see and explain the
# differences (which: region scope, and the owner department's rule); data administrators and
# supervisors see them; data administrators receive inbound batches and run the job; the
# poverty office's and social security's users see the inbound batches (at city level).
_RECON_VIEW = "transitions.view_difference"
for _role in (
    "caseworker",
    "civil_affairs_reviewer",
    "poverty_office_reviewer",
    "social_security_officer",
):
    BEFORE_REGISTRY[_role] |= {_RECON_VIEW, "transitions.change_difference"}
BEFORE_REGISTRY["supervisor"] |= {_RECON_VIEW}
BEFORE_REGISTRY["data_admin"] |= {
    _RECON_VIEW,
    "transitions.add_reconciliationrun",
    "transitions.add_inboundbatch",
    "transitions.view_inboundbatch",
}
BEFORE_REGISTRY["poverty_office_reviewer"] |= {"transitions.view_inboundbatch"}
BEFORE_REGISTRY["social_security_officer"] |= {"transitions.view_inboundbatch"}


def test_registry_grants_exactly_the_former_table():
    assert {role: set(perms) for role, perms in PERMISSIONS.items()} == BEFORE_REGISTRY


def test_core_roles_names_no_higher_apps_permission():
    source = (Path(__file__).resolve().parents[2] / "core" / "roles.py").read_text()
    for app in ("assistance", "households"):
        assert f'"{app}.' not in source and f"'{app}." not in source
        assert f"{app}." not in source.replace(f"{app}.permissions", "")
