"""Dynamic management (domain.md §5.8): periodic reviews when due, reviews for reported changes,
and the overdue lists supervision reports on.

Writes go through `services.review_open` (atomic, status-guarded, history row). The periodic job
is set-based and idempotent: a case already under review (or with an open review) is skipped,
so running it twice — or two workers at once — opens nothing new.
"""

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.dibao import services
from assistance.dibao.workflow import DIBAO
from assistance.models import CaseReview, DibaoCase, Programme, ProgrammeCase
from core.models import User
from core.scope import scope_queryset
from households.models import Household

logger = logging.getLogger(__name__)
S = DibaoCase.Status

# A review can be opened on a case that is paying (or confirmed and about to pay): the
# declaration's sources for the nightly job's action.
REVIEWABLE = DIBAO.statuses_for("review_due")
# Still in the application procedure: accepted, not yet confirmed or refused.
BEFORE_CONFIRMATION = (S.ACCEPTED, S.INVESTIGATING, S.PROPOSED, S.IN_NOTICE)


def _open_review_exists() -> Exists:
    return Exists(CaseReview.objects.filter(case=OuterRef("pk"), closed_on__isnull=True))


def cases_due_for_review(*, on: dt.date) -> QuerySet[DibaoCase]:
    """Every reviewable case whose next review is due on or before `on` and has no open review."""
    return (
        DibaoCase.objects.filter(status__in=REVIEWABLE, next_review_due__lte=on)
        .exclude(_open_review_exists())
        .order_by("next_review_due", "id")
    )


def reviews_open_due(*, on: dt.date) -> int:
    """Open a periodic review (system actor) for every case due on `on`. Returns how many opened.

    Each case is opened in its own transaction (services.review_open locks the row and guards the
    status): a case someone changed in the meantime is skipped, not an error for the whole run.
    """
    opened = 0
    ids = list(cases_due_for_review(on=on).values_list("id", "next_review_due"))
    for case_id, due in ids:
        try:
            services.review_open(
                case=DibaoCase(pk=case_id),
                kind=CaseReview.Kind.PERIODIC,
                reason=_("Periodic review due on %(d)s")
                % {"d": due.isoformat() if due else on.isoformat()},
                by=None,
                on=on,
            )
        except ValidationError as e:  # status changed since the selection: skip it
            logger.info("periodic review not opened for case %s: %s", case_id, e.messages)
            continue
        opened += 1
    return opened


def household_change_reported(*, household: Household, description: str, by: User) -> CaseReview:
    """A household reported a change (income, members, property…): open a review at once."""
    if not description.strip():
        raise ValidationError({"description": [_("Describe the reported change.")]})
    case = (
        DibaoCase.objects.filter(household=household)
        .exclude(status__in=DibaoCase.CLOSED)
        .order_by("-id")
        .first()
    )
    if case is None or case.status not in (*REVIEWABLE, S.UNDER_REVIEW):
        raise ValidationError(
            _("This household has no active dibao case: a reported change opens no review."),
            code="no_active_case",
        )
    if case.status == S.UNDER_REVIEW:
        raise ValidationError(
            _(
                "This household's case is already under review: record the change in the open "
                "review instead."
            ),
            code="review_open",
        )
    # review_open tells the layer above (a phase-out under way ends), in its transaction.
    review = services.review_open(
        case=case,
        kind=CaseReview.Kind.REPORTED_CHANGE,
        reason=_("Reported change: %(d)s") % {"d": description.strip()},
        by=by,
        on=timezone.localdate(),
    )
    return review


# ----------------------------------------------------------------------------- overdue lists


def procedure_overdue(*, user: User, on: dt.date | None = None) -> QuerySet[DibaoCase]:
    """Cases still before confirmation whose procedure limit (30/45 working days) has passed."""
    on = on or timezone.localdate()
    qs = DibaoCase.objects.filter(status__in=BEFORE_CONFIRMATION, procedure_due__lt=on)
    return (
        scope_queryset(qs, user, region_field="household__village")
        .select_related("household__village__parent")
        .order_by("procedure_due", "id")
    )


def reviews_overdue(*, user: User, on: dt.date | None = None) -> QuerySet[CaseReview]:
    """Open reviews past their due date."""
    on = on or timezone.localdate()
    qs = CaseReview.objects.filter(closed_on__isnull=True, due_on__lt=on)
    return (
        scope_queryset(qs, user, region_field="case__household__village")
        .select_related("case__household__village__parent")
        .order_by("due_on", "id")
    )


def reviews_not_opened(*, user: User, on: dt.date | None = None) -> QuerySet[DibaoCase]:
    """Reviews that fell due before `on` but were never opened (the daily job should prevent it)."""
    on = on or timezone.localdate()
    return scope_queryset(
        cases_due_for_review(on=on - dt.timedelta(days=1)), user, region_field="household__village"
    )


def emergency_aid_undocumented(
    *, user: User, on: dt.date | None = None, overdue_only: bool = False
) -> QuerySet[ProgrammeCase]:
    """Emergency temporary aid paid first (先行救助) still waiting for its documentation."""
    qs = ProgrammeCase.objects.filter(
        programme=Programme.TEMPORARY, emergency=True, documented_on__isnull=True
    ).exclude(status__in=(ProgrammeCase.Status.REFUSED, ProgrammeCase.Status.CLOSED))
    if overdue_only:
        qs = qs.filter(documentation_due__lt=on or timezone.localdate())
    return scope_queryset(qs, user, region_field="household__village")
