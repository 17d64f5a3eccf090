"""What checks plugs into the lower layers at AppConfig.ready() (registries, signals).

- assistance's proposal checks: an unresolved (new or recurring) disqualifying finding of the
  household blocks the township proposal, and so does an application whose cross-check has not
  completed since its investigation started;
- assistance.investigation_started: the case's own check, in that transaction (it records the
  authorisation the applicant signed);
- assistance.review_opened: the case is checked again (Celery, after the commit);
- verification.snapshot_merged: pending applications and active cases are checked again
  against the new data (that kind's rules only; Celery, after the commit);
- the household page and the case page show the findings (panels).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def findings_block_proposal(case: Any) -> list[str]:
    from verification.models import Category, Finding

    rows = Finding.objects.filter(
        household_id=case.household_id,
        state__in=Finding.UNRESOLVED,
        category=Category.DISQUALIFYING,
    ).select_related("rule")
    return [
        _(
            "Unresolved disqualifying cross-check finding %(finding)s: %(rule)s. Confirm, "
            "dismiss or have it waived first."
        )
        % {"finding": f, "rule": f.rule.label}
        for f in rows
    ]


def cross_check_completed(case: Any) -> list[str]:
    from assistance.models import CaseTransition
    from verification.models import CaseCheck

    started = (
        CaseTransition.objects.filter(case=case, action="start_investigation")
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if started is None:
        return []
    if CaseCheck.objects.filter(case=case, checked_at__gte=started).exists():
        return []
    return [
        _(
            "The economic cross-check of this application has not completed since its "
            "investigation started: wait for it or start it on the findings page."
        )
    ]


def on_investigation_started(sender: Any, case: Any, by: Any = None, **kw: Any) -> None:
    from verification.models import CrossCheckRun

    from .services import cross_check_case_now

    cross_check_case_now(case=case, by=by, trigger=CrossCheckRun.Trigger.INVESTIGATION)


def on_review_opened(sender: Any, case: Any, review: Any = None, by: Any = None, **kw: Any) -> None:
    from verification.models import CrossCheckRun

    from .services import cross_check_run_start

    if case.authorization_signed_on is None:
        return  # 无委托、不核对: nothing is checked without the signed authorisation
    cross_check_run_start(
        scope=CrossCheckRun.Scope.CASES,
        cases=[case],
        by=None,
        trigger=CrossCheckRun.Trigger.REVIEW,
    )


def on_snapshot_merged(sender: Any, snapshot: Any, by: Any = None, **kw: Any) -> None:
    from core.models import Region
    from verification.models import CrossCheckRun

    from .services import cross_check_run_start

    city = Region.objects.filter(level=Region.Level.CITY).first()
    if city is None:
        return
    for scope in (CrossCheckRun.Scope.PENDING, CrossCheckRun.Scope.ACTIVE):
        cross_check_run_start(
            scope=scope,
            region=city,
            kinds=[snapshot.kind],
            by=None,
            trigger=CrossCheckRun.Trigger.SNAPSHOT,
        )


def connect() -> None:
    """Idempotent: ready() may run more than once in tests."""
    from assistance import signals as assistance_signals
    from assistance.dibao import panels as case_panels
    from assistance.dibao import services as dibao_services
    from households import panels as household_panels
    from verification import signals

    from . import panels

    for check in (findings_block_proposal, cross_check_completed):
        if check not in dibao_services.proposal_checks:
            dibao_services.proposal_checks.append(check)
    assistance_signals.investigation_started.connect(
        on_investigation_started, dispatch_uid="verification.checks.investigation"
    )
    assistance_signals.review_opened.connect(
        on_review_opened, dispatch_uid="verification.checks.review"
    )
    signals.snapshot_merged.connect(on_snapshot_merged, dispatch_uid="verification.checks.merged")
    household_panels.register(panels.household_panel)
    case_panels.register_case_panel(panels.case_panel)
