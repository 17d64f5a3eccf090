"""A finding's process, declared once (core.workflow): the services guard with it, the finding
page draws its buttons from it, the API lists `allowed_actions` from it and the test matrix is
generated from it.

new ─┬─ confirm (caseworker of the town: the data is right; the declaration is updated or a
     │           review opened)                                    → confirmed
     ├─ dismiss (caseworker, with a reason: not this person, sold, data wrong) → dismissed
     └─ waive   (civil-affairs reviewer of the county, with a reason; waivable rules only,
                 e.g. a vehicle used for the family's livelihood)   → waived
recurring (seen again in a newer snapshot; a new, dismissed or cleared finding becomes it) — as
new.
new, recurring ── clear (system: a run checked the household against a newer snapshot of the
                  rule's dataset and no longer found it — the car was sold, the salary fell below
                  the threshold)                                  → cleared
A cleared finding is resolved by the data, not by anyone: it blocks nothing, offers no button,
and is `recur`red if a later snapshot shows it again. Confirmed, dismissed and waived findings
are never cleared: a person's decision stands.
A confirmed finding may still be waived by the reviewer (the fact stands, the rule does not
apply to this household).

`find`, `recur` and `clear` are the cross-check's own steps (system, set-based in rules.py), so
every state a finding was ever in has its history row.

Separation of duties, on the finding's whole history: whoever confirmed or dismissed it never
waives it, and whoever waived it never confirms or dismisses it.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import Region, User
from core.workflow import Action, Workflow
from verification.models import Finding, FindingTransition
from verification.permissions import RESOLVE_FINDING, WAIVE_FINDING

S = Finding.State
L = Region.Level
UNRESOLVED = (S.NEW, S.RECURRING)


def _waivable(finding: Finding, user: User) -> None:
    if not finding.rule.waivable:
        raise PermissionDenied(
            _("The rule “%(rule)s” cannot be waived: confirm or dismiss the finding.")
            % {"rule": finding.rule.label}
        )


FINDING = Workflow(
    name="finding",
    model=Finding,
    statuses=S,
    history=FindingTransition,
    fk="finding",
    region_of=lambda f: f.village,
    region_path="village",
    actions_list=[
        Action("find", gettext_lazy("record the finding"), (), S.NEW, system=True),
        Action(
            "recur",
            gettext_lazy("seen again in newer data"),
            (S.NEW, S.DISMISSED, S.RECURRING, S.CLEARED),
            S.RECURRING,
            system=True,
        ),
        Action(
            "clear",
            gettext_lazy("no longer found in newer data"),
            UNRESOLVED,
            S.CLEARED,
            system=True,
        ),
        Action(
            "confirm",
            gettext_lazy("confirm"),
            UNRESOLVED,
            S.CONFIRMED,
            RESOLVE_FINDING,
            levels=(L.TOWNSHIP,),
            incompatible=("waive",),
        ),
        Action(
            "dismiss",
            gettext_lazy("dismiss"),
            UNRESOLVED,
            S.DISMISSED,
            RESOLVE_FINDING,
            levels=(L.TOWNSHIP,),
            incompatible=("waive",),
        ),
        Action(
            "waive",
            gettext_lazy("waive"),
            (*UNRESOLVED, S.CONFIRMED),
            S.WAIVED,
            WAIVE_FINDING,
            levels=(L.COUNTY,),
            incompatible=("confirm", "dismiss"),
            rules=(_waivable,),
        ),
    ],
)
