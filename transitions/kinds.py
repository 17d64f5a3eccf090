"""What each kind of hand-off is: from which department to which, the outcomes its decision
chooses from, and who may open it by hand. What an approval then does is in
transitions.effects; who approves is the policy (data)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from core.roles import Role

from .models import Department, HandoffKind

K = HandoffKind
D = Department

# The department each role works for (who acknowledges what arrives there).
ROLE_DEPARTMENT: dict[str, str] = {
    Role.CASEWORKER: D.CIVIL_AFFAIRS,
    Role.VILLAGE_ASSISTANT: D.CIVIL_AFFAIRS,
    Role.CIVIL_AFFAIRS_REVIEWER: D.CIVIL_AFFAIRS,
    Role.POVERTY_OFFICE_REVIEWER: D.POVERTY_OFFICE,
    Role.SOCIAL_SECURITY_OFFICER: D.SOCIAL_SECURITY,
}
# The reviewer role of a department (a policy stage's "receiving_reviewer").
DEPARTMENT_REVIEWER: dict[str, str] = {
    D.CIVIL_AFFAIRS: Role.CIVIL_AFFAIRS_REVIEWER,
    D.POVERTY_OFFICE: Role.POVERTY_OFFICE_REVIEWER,
    D.SOCIAL_SECURITY: Role.SOCIAL_SECURITY_OFFICER,
}


@dataclass(frozen=True)
class Kind:
    kind: str
    from_department: str
    to_department: str
    # The decision picks one of these when approving (empty: plain approval).
    outcomes: tuple[tuple[str, StrOrPromise], ...] = ()
    # Roles that may open it by hand (the system opens the others).
    opened_by: tuple[str, ...] = ()


EXIT_OUTCOMES = (
    ("continue", _("Continue the dibao unchanged")),
    ("raise", _("Raise the dibao (open a review)")),
    ("lower", _("Lower the dibao (6-month phase-out)")),
    ("stop", _("Stop the dibao (6-month phase-out)")),
)
REASSESSMENT_OUTCOMES = (
    ("unchanged", _("Continue at the same amount")),
    ("lowered", _("New, lower amount from next month")),
    ("terminated", _("Terminate from next month")),
)

KINDS: dict[str, Kind] = {
    k.kind: k
    for k in [
        Kind(
            K.REGISTRATION_REFERRAL,
            D.CIVIL_AFFAIRS,
            D.POVERTY_OFFICE,
            opened_by=(Role.CASEWORKER, Role.CIVIL_AFFAIRS_REVIEWER),
        ),
        Kind(
            K.DIBAO_REFERRAL,
            D.POVERTY_OFFICE,
            D.CIVIL_AFFAIRS,
            opened_by=(Role.POVERTY_OFFICE_REVIEWER,),
        ),
        Kind(K.EXIT_NOTICE, D.POVERTY_OFFICE, D.CIVIL_AFFAIRS, outcomes=EXIT_OUTCOMES),
        Kind(K.CANNOT_EXIT, D.POVERTY_OFFICE, D.CIVIL_AFFAIRS),
        # Direction set when opened (to the department of the new class).
        Kind(K.CLASSIFICATION_CHANGE, D.CIVIL_AFFAIRS, D.POVERTY_OFFICE),
        Kind(K.RETURN_TO_POVERTY, D.POVERTY_OFFICE, D.CIVIL_AFFAIRS),
        Kind(K.PHASE_OUT_START, D.CIVIL_AFFAIRS, D.POVERTY_OFFICE),
        Kind(
            K.PHASE_OUT_REASSESSMENT,
            D.CIVIL_AFFAIRS,
            D.CIVIL_AFFAIRS,
            outcomes=REASSESSMENT_OUTCOMES,
        ),
        Kind(
            K.INSURANCE_ENROLMENT,
            D.CIVIL_AFFAIRS,
            D.SOCIAL_SECURITY,
            opened_by=(Role.CASEWORKER, Role.CIVIL_AFFAIRS_REVIEWER),
        ),
    ]
}
assert set(KINDS) == set(HandoffKind.values), "every hand-off kind is declared"
