"""Pure rules of the poverty register (no database): which aid a poverty cause proposes, and the
words of a classification's reasons."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class AidProposal:
    code: str
    label: str | Promise


MEDICAL = AidProposal("medical", _("Medical aid"))
EDUCATION = AidProposal("education", _("Education aid"))
DISABILITY = AidProposal("disability_supplement", _("Disability supplement"))
DISASTER = AidProposal("disaster", _("Disaster aid"))
HOUSING = AidProposal("housing", _("Housing aid"))

# domain.md §3: hardship from illness, schooling, disability or disaster goes into medical,
# education, (dibao's disability supplement), disaster and housing aid.
CAUSE_AID: dict[str, tuple[AidProposal, ...]] = {
    "illness": (MEDICAL,),
    "schooling": (EDUCATION,),
    "disability": (DISABILITY,),
    "disaster": (DISASTER, HOUSING),
}


def aid_for_causes(causes: Iterable[str]) -> list[AidProposal]:
    """The aid the causes propose, each once, in the order of the causes."""
    out: list[AidProposal] = []
    for cause in causes:
        for aid in CAUSE_AID.get(cause, ()):
            if aid not in out:
                out.append(aid)
    return out
