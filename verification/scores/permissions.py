"""The scores part's own permission beside verification.permissions.VIEW_SCORE: who may
(re)compute a household's poverty score — those who act on the case: caseworkers and the
district reviewers."""

from core.roles import Role, grant
from verification.permissions import REVIEWERS, VIEW_SCORE

COMPUTE_SCORE = "verification.add_householdscore"

grant((Role.CASEWORKER, *REVIEWERS), COMPUTE_SCORE)

__all__ = ["COMPUTE_SCORE", "VIEW_SCORE"]
