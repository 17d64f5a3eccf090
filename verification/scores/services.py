"""Writes of the poverty score (综合评估). A score is a record of one computation — who, when,
with which weights version and which dataset snapshots — never changed afterwards; a recompute
adds a new row, so the history of a household's score is its rows.

The score informs, it does not decide (只核对、不认定): nothing here touches a case's status,
eligibility or amount.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assistance.models import DibaoCase
from core.job_progress import Progress
from core.models import User
from households.models import Household
from verification.models import HouseholdScore
from verification.scores import rules, selectors

# Households per batch statement: one SELECT of their facts and one INSERT of their scores.
CHUNK = 5000


def _rows(
    *,
    household_ids: list[int] | None,
    on: dt.date,
    by: User | None,
    case_id: int | None = None,
) -> list[HouseholdScore]:
    weights = selectors.weights_on(on)
    w = rules.Weights.of(weights)
    facts = selectors.score_inputs(household_ids=household_ids, on=on, case_id=case_id)
    out = []
    for household_id, (case, inputs) in facts.items():
        score, factors = rules.compute(inputs, w)
        out.append(
            HouseholdScore(
                household_id=household_id,
                case_id=case,
                weights=weights,
                on=on,
                score=score,
                factors=factors,
                computed_by=by,
            )
        )
    return out


@transaction.atomic
def household_score_compute(
    *, household: Household, case: DibaoCase | None = None, on: dt.date, by: User | None
) -> HouseholdScore:
    """Score one household on `on` with the weights in force then (from `case`'s declarations,
    else its newest case's). The same query as the batch, for one household."""
    if case is not None and case.household_id != household.pk:
        raise ValidationError({"case": [_("This case is not the household's.")]})
    rows = _rows(
        household_ids=[household.pk], on=on, by=by, case_id=case.pk if case is not None else None
    )
    if not rows:
        raise ValidationError(
            _("No dibao standard is in force on %(on)s for this household's district.")
            % {"on": on.isoformat()}
        )
    (row,) = rows
    row.save()
    return row


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def household_scores_compute(
    *,
    household_ids: list[int] | None = None,
    on: dt.date,
    by: User | None,
    progress: Progress | None = None,
) -> int:
    """Score many households (all when None) set-based: per chunk of CHUNK households one
    SELECT of their facts and one multi-row INSERT, each chunk its own transaction (a retry
    after a killed worker scores again what was not committed; scores are append-only)."""
    selectors.weights_on(on)  # fail before any work if no weights are in force
    ids = (
        sorted(set(household_ids))
        if household_ids is not None
        else list(Household.objects.order_by("pk").values_list("pk", flat=True))
    )
    done = written = 0
    for chunk in _chunks(ids, CHUNK):
        with transaction.atomic():
            rows = _rows(household_ids=chunk, on=on, by=by)
            HouseholdScore.objects.bulk_create(rows, batch_size=CHUNK)
        written += len(rows)
        done += len(chunk)
        if progress is not None:
            progress(done, len(ids), _("%(n)s households scored") % {"n": written})
    return written
