"""The dibao case process, declared once (core.workflow): services guard with it, the case page
draws its buttons from it, the inbox filters with it, the API lists `allowed_actions` from it and
the transition matrix test is generated from it.

Separation of duties: whoever entered the application, the declarations, the investigation (or
was named as an investigator) or made the township proposal never confirms or refuses the case at
the decision stage — checked against the case's whole history, not only the proposer.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance.models import CaseTransition, DibaoCase, DistrictSetting, Investigation
from assistance.permissions import ADD, CHANGE, CONFIRM, PROPOSE
from assistance.policy import selectors as policy_data
from core.models import Region, User
from core.scope import region_in_scope
from core.workflow import Action, Workflow, has_any_perm

S = DibaoCase.Status
L = Region.Level

# Statuses in which the declarations can still be changed (before the proposal, or in a review).
DECLARABLE = (S.DRAFT, S.APPLIED, S.ACCEPTED, S.INVESTIGATING, S.UNDER_REVIEW)
# The decision's basis: who took part in any of these may not decide.
BASIS = ("create", "sign", "apply", "accept", "declare", "investigate", "attach", "propose")
# Evidence can be attached while the case is open.
OPEN = tuple(s for s in S.values if s not in DibaoCase.CLOSED)
# At the service window the application, the applicant's signatures and the acceptance are one
# step (issue 7): the reception page takes these declared actions in this order, each through
# its own service (its own guard and history row), in one transaction; the investigation can be
# started in the same step (RECEPTION_THEN).
RECEPTION = ("apply", "sign", "accept")
RECEPTION_THEN = "start_investigation"
# The actions of the decision stage: the district reviewer who may take them on a case is not
# recorded as an investigator of it (see decides).
DECIDING = ("confirm", "decide_refuse", "repropose")
# Declared here (the guard, the history) but taken on another page: the phase-out's decisions
# are the civil-affairs reviewer's answers to hand-offs (transitions), not case-page buttons.
TAKEN_ELSEWHERE = ("phase_out_start", "phase_out_decide")


def confirmation_level(case: DibaoCase, user: User) -> None:
    """The district confirms; a township only where its district delegated confirmation, and
    never for relatives of staff or cadres."""
    if user.is_superuser or (user.region and user.region.level == L.COUNTY):
        return
    county = policy_data.county_of(case.household.village)
    if not DistrictSetting.objects.filter(county=county, confirmation_delegated=True).exists():
        raise PermissionDenied(
            _("Confirmation is the district's: %(county)s has not delegated it to townships.")
            % {"county": county.name}
        )
    if case.relative_of_staff:
        raise PermissionDenied(
            _("Applications from relatives of staff or cadres are confirmed at district level.")
        )


def not_extended(case: DibaoCase, user: User) -> None:
    if case.extension_reason:
        raise ValidationError(_("The limit has already been extended."), code="extended")


def not_backdated_by(case: DibaoCase, user: User) -> None:
    """Whoever started the notice before the day it was recorded (with a reason) shortened the
    wait before confirmation: another person confirms."""
    notice = case.notices.order_by("-starts_on", "-id").first()
    if notice is not None and notice.backdate_reason and notice.posted_by_id == user.pk:
        raise PermissionDenied(
            _("You started this notice before the day it was recorded: another person confirms.")
        )


def investigators(case: DibaoCase) -> dict[str, set[int]]:
    """The investigators named on a home visit took part in it, whoever typed it in."""
    ids = Investigation.investigators.through.objects.filter(investigation__case=case)
    return {"investigate": set(ids.values_list("user_id", flat=True))}


def investigated_by(user: User) -> dict[str, QuerySet[Any]]:
    through = Investigation.investigators.through.objects.filter(user=user)
    return {"investigate": through.values("investigation__case_id")}


DECIDER_INVESTIGATES = gettext_lazy(
    "%(names)s decides this case (review and confirmation): the decider cannot be "
    "recorded as one of its investigators (separation of duties)."
)


def decides(case: DibaoCase, user: User) -> bool:
    """Whether `user` is the district reviewer who decides this case: a district-level user with
    a deciding action's permission whose area covers the case. (Township users who confirm
    where the district delegated it are kept from deciding by the case's history instead.)"""
    if user.is_superuser or user.region is None or user.region.level != L.COUNTY:
        return False
    return any(has_any_perm(user, DIBAO[n].permission) for n in DECIDING) and region_in_scope(
        user, case.household.village
    )


_decide: dict[str, Any] = {
    "permission": CONFIRM,
    "levels": (L.COUNTY, L.TOWNSHIP),
    "incompatible": BASIS,
    "rules": (confirmation_level,),
}

DIBAO = Workflow(
    name="dibao",
    model=DibaoCase,
    statuses=S,
    history=CaseTransition,
    fk="case",
    region_of=lambda c: c.household.village,
    region_path="household__village",
    extra_actors=investigators,
    extra_took_part=investigated_by,
    actions_list=[
        Action("create", gettext_lazy("open the case"), (), permission=ADD),
        Action(
            "sign",
            gettext_lazy("record signatures"),
            (S.DRAFT, S.APPLIED, S.ACCEPTED, S.INVESTIGATING),
            permission=CHANGE,
        ),
        Action("apply", gettext_lazy("submit the application"), (S.DRAFT,), S.APPLIED, CHANGE),
        Action("accept", gettext_lazy("accept the application"), (S.APPLIED,), S.ACCEPTED, CHANGE),
        Action(
            "extend",
            gettext_lazy("extend the limit"),
            (S.ACCEPTED, S.INVESTIGATING, S.PROPOSED, S.IN_NOTICE),
            permission=CHANGE,
            rules=(not_extended,),
        ),
        Action(
            "start_investigation",
            gettext_lazy("start the investigation"),
            (S.ACCEPTED,),
            S.INVESTIGATING,
            CHANGE,
        ),
        Action("declare", gettext_lazy("change declarations"), DECLARABLE, permission=CHANGE),
        Action(
            "investigate",
            gettext_lazy("record the investigation"),
            (S.INVESTIGATING,),
            permission=CHANGE,
        ),
        Action("attach", gettext_lazy("attach a file"), OPEN, permission=CHANGE),
        Action(
            "propose",
            gettext_lazy("make the township proposal"),
            (S.INVESTIGATING,),
            S.PROPOSED,
            PROPOSE,
        ),
        Action(
            "start_notice",
            gettext_lazy("start the public notice"),
            (S.PROPOSED,),
            S.IN_NOTICE,
            CHANGE,
        ),
        Action(
            "object",
            gettext_lazy("record an objection"),
            (S.IN_NOTICE,),
            S.INVESTIGATING,
            CHANGE,
        ),
        Action(
            "confirm",
            gettext_lazy("confirm"),
            (S.IN_NOTICE,),
            S.CONFIRMED,
            permission=CONFIRM,
            levels=(L.COUNTY, L.TOWNSHIP),
            incompatible=BASIS,
            rules=(confirmation_level, not_backdated_by),
        ),
        # The deciding level sends the case back for a new proposal and notice (the household's
        # data changed during the notice, so the published amount no longer holds).
        Action(
            "repropose",
            gettext_lazy("send back for a new proposal"),
            (S.IN_NOTICE,),
            S.INVESTIGATING,
            permission=CONFIRM,
            levels=(L.COUNTY, L.TOWNSHIP),
            incompatible=BASIS,
            rules=(confirmation_level,),
        ),
        Action(
            "refuse",
            gettext_lazy("refuse"),
            (S.APPLIED, S.ACCEPTED, S.INVESTIGATING),
            S.REFUSED,
            CHANGE,
            danger=True,
        ),
        Action(
            "decide_refuse",
            gettext_lazy("refuse"),
            (S.PROPOSED, S.IN_NOTICE),
            S.REFUSED,
            danger=True,
            **_decide,
        ),
        Action(
            "withdraw",
            gettext_lazy("withdraw"),
            (S.DRAFT, S.APPLIED, S.ACCEPTED, S.INVESTIGATING),
            S.WITHDRAWN,
            CHANGE,
            danger=True,
        ),
        Action("activate", gettext_lazy("activate"), (S.CONFIRMED,), S.ACTIVE, system=True),
        Action(
            "review_open",
            gettext_lazy("open a review"),
            (S.ACTIVE, S.CONFIRMED),
            S.UNDER_REVIEW,
            CHANGE,
        ),
        Action(
            "review_due",
            gettext_lazy("open a review"),
            (S.ACTIVE, S.CONFIRMED),
            S.UNDER_REVIEW,
            system=True,
        ),
        Action(
            "review_close",
            gettext_lazy("close the review"),
            (S.UNDER_REVIEW,),
            permission=CHANGE,
            outcomes=(S.ACTIVE, S.SUSPENDED, S.TERMINATED),
        ),
        # The phase-out after a confirmed exit from poverty (domain.md §7): the district decides
        # to lower or stop (the original amount stays 6 months, assistance.dibao.phaseout), and
        # re-assesses when it is due. Recorded steps: the case stays paying meanwhile.
        Action(
            "phase_out_start",
            gettext_lazy("start the phase-out"),
            (S.ACTIVE, S.CONFIRMED),
            permission=CONFIRM,
            levels=(L.COUNTY,),
        ),
        Action(
            "phase_out_decide",
            gettext_lazy("re-assess after the phase-out"),
            # Under review: the caseworker re-investigated (declarations) for the re-assessment.
            (S.ACTIVE, S.CONFIRMED, S.UNDER_REVIEW),
            permission=CONFIRM,
            levels=(L.COUNTY,),
            outcomes=(S.ACTIVE, S.CONFIRMED, S.TERMINATED),
        ),
        Action(
            "suspend",
            gettext_lazy("suspend"),
            (S.ACTIVE, S.CONFIRMED),
            S.SUSPENDED,
            CHANGE,
            danger=True,
        ),
        Action("resume", gettext_lazy("resume"), (S.SUSPENDED,), S.ACTIVE, CHANGE),
        Action(
            "terminate",
            gettext_lazy("terminate"),
            (S.ACTIVE, S.CONFIRMED, S.SUSPENDED, S.UNDER_REVIEW),
            S.TERMINATED,
            CHANGE,
            danger=True,
        ),
    ],
)
