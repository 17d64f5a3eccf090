"""Scoped reads of the cross-check shared by pages, API, exports and panels (core.scope: a
finding is seen by the users whose area holds its household's village; a run by those whose
area holds its region)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from core.models import Region, User
from core.scope import scope_queryset
from verification.models import (
    CaseCheck,
    CrossCheckRule,
    CrossCheckRun,
    DatasetSnapshot,
    Finding,
    FindingTransition,
)


def rules_in_force(on: dt.date) -> list[CrossCheckRule]:
    return list(CrossCheckRule.objects.in_force(on).order_by("code", "-valid_from"))


def rules_in_force_any() -> QuerySet[CrossCheckRule]:
    """Every rule version (filter choices: a code once, by its newest label)."""
    return CrossCheckRule.objects.order_by("code", "valid_from")


def rules_by_ids(ids: list[int]) -> QuerySet[CrossCheckRule]:
    return CrossCheckRule.objects.filter(pk__in=ids).order_by("code")


def finding_list(
    *,
    user: User,
    state: str = "",
    rule: str = "",
    kind: str = "",
    category: str = "",
    town: int | str | None = None,
    village: int | str | None = None,
    household: int | str | None = None,
    case: int | str | None = None,
    unresolved: bool = False,
) -> QuerySet[Finding]:
    """The user's findings, newest first. `rule`: a rule code; `town`, `village`: region ids
    (outside the user's scope they find nothing)."""
    qs = scope_queryset(Finding.objects.all(), user, region_field="village")
    if state:
        qs = qs.filter(state=state)
    if unresolved:
        qs = qs.filter(state__in=Finding.UNRESOLVED)
    if rule:
        qs = qs.filter(rule_code=rule)
    if kind:
        qs = qs.filter(kind=kind)
    if category:
        qs = qs.filter(category=category)
    if town:
        qs = qs.filter(village__parent_id=int(town))
    if village:
        qs = qs.filter(village_id=int(village))
    if household:
        qs = qs.filter(household_id=int(household))
    if case:
        qs = qs.filter(case_id=int(case))
    return qs.select_related("village__parent", "rule", "person", "snapshot", "household").order_by(
        "-id"
    )


def finding_get(*, user: User, pk: int | str) -> Finding:
    """Finding.DoesNotExist (→ 404) when it is outside the user's area."""
    return finding_list(user=user).get(pk=pk)


def finding_history(finding: Finding) -> QuerySet[FindingTransition]:
    return finding.transitions.select_related("by").order_by("at", "id")


def run_list(*, user: User, status: str = "", scope: str = "") -> QuerySet[CrossCheckRun]:
    qs = scope_queryset(CrossCheckRun.objects.all(), user, region_field="region")
    if status:
        qs = qs.filter(status=status)
    if scope:
        qs = qs.filter(scope=scope)
    return qs.select_related("region", "started_by", "job").order_by("-id")


def run_get(*, user: User, pk: int | str) -> CrossCheckRun:
    return run_list(user=user).get(pk=pk)


def household_report(*, household_id: int, user: User) -> dict[str, Any]:
    """The 核对报告 of one household: its findings, the runs that found them and what they
    checked (datasets, as-of dates, snapshot ids, rule versions). The caller checked scope.
    A cleared finding carries its last `clear` history row as `cleared` (when, in which
    snapshot and run it was no longer found)."""
    findings = list(finding_list(user=user, household=household_id).order_by("kind", "rule_code"))
    gone = [f.pk for f in findings if f.state == Finding.State.CLEARED]
    clears = (
        {
            t.finding_id: t
            for t in FindingTransition.objects.filter(finding_id__in=gone, action="clear")
            .order_by("finding_id", "-at", "-id")
            .distinct("finding_id")
        }
        if gone
        else {}
    )
    for f in findings:
        f.cleared = clears.get(f.pk)  # type: ignore[attr-defined]
    runs = list(CrossCheckRun.objects.filter(pk__in={f.last_run_id for f in findings}))
    last = (
        CaseCheck.objects.filter(household_id=household_id)
        .select_related("run")
        .order_by("-checked_at")
        .first()
    )
    if last is not None and last.run not in runs:
        runs.append(last.run)
    runs.sort(key=lambda r: r.pk, reverse=True)
    snapshot_ids = {int(i) for r in runs for i in r.snapshot_ids.values()}
    rule_ids = {int(i) for r in runs for i in r.rule_ids}
    snapshots = {s.pk: s for s in DatasetSnapshot.objects.filter(pk__in=snapshot_ids)}
    rules = {r.pk: r for r in CrossCheckRule.objects.filter(pk__in=rule_ids)}
    return {
        "findings": findings,
        "runs": runs,
        "last_check": last,
        "snapshots": sorted(snapshots.values(), key=lambda s: (s.kind, s.pk)),
        "rules": sorted(rules.values(), key=lambda r: r.code),
    }


def counties_of(region: Region) -> list[Region]:
    """The county-level units a run over `region` splits into (one task each)."""
    if region.level == Region.Level.COUNTY:
        return [region]
    if region.level == Region.Level.CITY:
        return list(Region.objects.filter(level=Region.Level.COUNTY, path__startswith=region.path))
    county = region.county()
    return [county] if county else []
