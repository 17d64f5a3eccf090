"""Writes of the cross-check: runs (create, execute per district, close) and the resolution of
findings (confirm, dismiss, waive).

A run is created with everything that makes it reproducible — its scope, the snapshot of each
kind current at that moment and the rule versions in force — then executed one county-level unit
at a time (`cross_check_district`: one transaction, one advisory lock per county, one statement
per rule), by Celery (one task per district in a chord whose callback closes the run) or in
process. Principles (domain.md §4): no authorisation, no check — only cases whose authorisation
is signed are ever checked, and a run for named cases is refused if one is unsigned; the check
reports, it does not decide — nothing here touches a case.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Func, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.dibao import services as dibao_services
from assistance.models import CaseReview, DibaoCase, DibaoStandard
from core.models import Job, Region, User
from core.scope import region_in_scope
from core.workflow import has_any_perm
from households.models import Household, Membership, Person
from verification.datasets.selectors import current_snapshots
from verification.models import (
    CaseCheck,
    CrossCheckRun,
    DatasetSnapshot,
    Finding,
)
from verification.permissions import START_RUN

from . import rules as R
from . import selectors
from .workflow import FINDING

log = logging.getLogger(__name__)

S = DibaoCase.Status
PENDING = (S.APPLIED, S.ACCEPTED, S.INVESTIGATING, S.PROPOSED, S.IN_NOTICE)
ACTIVE = (S.CONFIRMED, S.ACTIVE, S.UNDER_REVIEW, S.SUSPENDED)
Scope = CrossCheckRun.Scope
SCOPE_STATUSES = {
    Scope.CASES: PENDING + ACTIVE,
    Scope.HOUSEHOLD: PENDING + ACTIVE,
    Scope.PENDING: PENDING,
    Scope.ACTIVE: ACTIVE,
    Scope.DISTRICT: PENDING + ACTIVE,
}
# pg_advisory_xact_lock(LOCK_CLASS, county id): one district's part of any run at a time, so
# two runs over the same households never interleave their upserts (ON CONFLICT already keeps
# them from duplicating; the lock keeps their counts honest and avoids deadlocks).
LOCK_CLASS = 48_151


# ----------------------------------------------------------------------------- runs


def _unsigned(cases: Iterable[DibaoCase]) -> list[DibaoCase]:
    return [c for c in cases if c.authorization_signed_on is None]


def cross_check_run_create(
    *,
    scope: str,
    by: User | None,
    region: Region | None = None,
    cases: list[DibaoCase] | None = None,
    household: Household | None = None,
    kinds: list[str] | None = None,
    trigger: str = CrossCheckRun.Trigger.MANUAL,
    on: dt.date | None = None,
    with_job: bool = True,
) -> CrossCheckRun:
    """A queued run with its snapshots and rule versions fixed. Refused (ValidationError, code
    "unauthorised") for a case or household whose data-check authorisation is not signed."""
    if scope not in Scope.values:
        raise ValidationError({"scope": [_("Choose what to check.")]})
    if by is not None and not has_any_perm(by, START_RUN):
        raise PermissionDenied(_("Your role does not allow this action."))
    on = on or timezone.localdate()
    params: dict[str, Any] = {}
    case = None
    if scope == Scope.CASES:
        if not cases:
            raise ValidationError({"cases": [_("Name at least one case.")]})
        unsigned = _unsigned(cases)
        if unsigned:
            raise ValidationError(
                _(
                    "No authorisation, no check: the applicant has not signed the authorisation "
                    "for data checks on case %(cases)s."
                )
                % {"cases": "、".join(str(c) for c in unsigned)},
                code="unauthorised",
            )
        params["cases"] = sorted(c.pk for c in cases)
        if len(cases) == 1:
            case = cases[0]
        region = _common_region([c.village for c in cases if c.village])
    elif scope == Scope.HOUSEHOLD:
        if household is None:
            raise ValidationError({"household": [_("Choose the household.")]})
        open_cases = list(
            DibaoCase.objects.filter(household=household, status__in=PENDING + ACTIVE).order_by(
                "-id"
            )
        )
        if not open_cases or open_cases[0].authorization_signed_on is None:
            raise ValidationError(
                _(
                    "No authorisation, no check: this household has no application or case "
                    "with a signed authorisation for data checks."
                ),
                code="unauthorised",
            )
        case = open_cases[0]
        params["household"] = household.pk
        region = household.village
    else:
        if region is None:
            raise ValidationError({"region": [_("Choose the region.")]})
        if scope == Scope.DISTRICT and region.level not in (
            Region.Level.COUNTY,
            Region.Level.CITY,
        ):
            raise ValidationError({"region": [_("Choose a district or county-level city.")]})
    assert region is not None
    if by is not None and not region_in_scope(by, region):
        raise PermissionDenied(_("This region is outside your area of responsibility."))
    if kinds:
        params["kinds"] = sorted(kinds)
    snapshots = current_snapshots()
    rule_rows = selectors.rules_in_force(on)
    if kinds:
        rule_rows = [r for r in rule_rows if set(_rule_kinds(r)) & set(kinds)]
    # A background run reports progress on a Job; the inline check of one case has none.
    job = Job.objects.create(kind="cross_check", region=region, created_by=by) if with_job else None
    return CrossCheckRun.objects.create(
        scope=scope,
        parameters=params,
        region=region,
        trigger=trigger,
        case=case,
        authorization_signed_on=case.authorization_signed_on if case else None,
        as_of=on,
        snapshot_ids={k: s.pk for k, s in sorted(snapshots.items())},
        rule_ids=[r.pk for r in rule_rows],
        job=job,
        started_by=by,
    )


def _common_region(regions: list[Region]) -> Region:
    """The lowest region holding all of these (a run's region: who may see it)."""
    paths = [r.path for r in regions]
    common = paths[0] if paths else ""
    for path in paths[1:]:
        while not path.startswith(common):
            common = common[: common.rstrip(".").rfind(".") + 1]
    found = Region.objects.filter(path=common).first()
    return found or Region.objects.get(level=Region.Level.CITY)


def _rule_kinds(rule: Any) -> list[str]:
    if rule.evaluator == "unit_sum":
        return [src[0] for src in rule.parameters.get("sources", [])]
    return [rule.kind]


def cross_check_run_start(**kwargs: Any) -> CrossCheckRun:
    """Create the run and hand it to Celery once the caller's transaction commits."""
    run = cross_check_run_create(**kwargs)
    from . import tasks

    transaction.on_commit(lambda: tasks.cross_check_run.delay(run.pk))
    return run


def run_counties(run: CrossCheckRun) -> list[Region]:
    """The county-level units whose cases the run covers: its tasks."""
    if run.scope == Scope.CASES:
        codes = {
            v.code[: Region.CODE_LENGTH[Region.Level.COUNTY]]
            for v in Region.objects.filter(
                pk__in=DibaoCase.objects.filter(pk__in=run.parameters["cases"]).values("village")
            )
        }
        return list(Region.objects.filter(level=Region.Level.COUNTY, code__in=codes))
    return selectors.counties_of(run.region)


def cross_check_run_begin(run_id: int) -> list[int]:
    """Mark the run running; the ids of its counties (one task each)."""
    with transaction.atomic():
        run = CrossCheckRun.objects.select_for_update().get(pk=run_id)
        if run.status in (CrossCheckRun.Status.DONE, CrossCheckRun.Status.FAILED):
            return []  # a redelivered task of a closed run starts nothing
        counties = [c.pk for c in run_counties(run)]
        now = timezone.now()
        run.status = CrossCheckRun.Status.RUNNING
        run.started_at = run.started_at or now
        run.districts = len(counties)
        run.save(update_fields=["status", "started_at", "districts"])
        if run.job_id:
            Job.objects.filter(pk=run.job_id).update(
                status=Job.Status.RUNNING,
                progress_total=len(counties),
                updated_at=now,
                message=_("Checking %(n)s districts") % {"n": len(counties)},
            )
    return counties


CASES = "xc_cases"  # the run's cases in one county (temporary table)


def _persons_sql(run: CrossCheckRun, county: Region) -> tuple[str, dict[str, Any]]:
    """The persons of the run's scope in one county: the temporary table every rule joins."""
    params: dict[str, Any] = {
        "statuses": list(SCOPE_STATUSES[Scope(run.scope)]),
        "county_path": county.path + "%",
        "region_path": run.region.path + "%",
        "county": county.pk,
    }
    where = [
        "c.authorization_signed_on IS NOT NULL",  # 无委托、不核对
        "c.status = ANY(%(statuses)s)",
        "v.path LIKE %(county_path)s",
        "v.path LIKE %(region_path)s",
    ]
    if run.scope == Scope.CASES:
        params["cases"] = list(run.parameters["cases"])
        where.append("c.id = ANY(%(cases)s)")
    if run.scope == Scope.HOUSEHOLD:
        params["household"] = run.parameters["household"]
        where.append("c.household_id = %(household)s")
    standard = (
        DibaoStandard.objects.in_force(run.as_of)
        .filter(county=county)
        .order_by("-valid_from")
        .first()
    )
    params["urban"] = standard.urban if standard else None
    params["rural"] = standard.rural if standard else None
    # The scope's cases first (a case whose household has no active member is still checked:
    # it gets its CaseCheck, so that its proposal is not held up by a check that never comes).
    sql = f"""
        CREATE TEMP TABLE {CASES} ON COMMIT DROP AS
            SELECT DISTINCT ON (c.household_id) c.id, c.household_id, c.unit, c.single_person_id,
                c.village_id
            FROM {DibaoCase._meta.db_table} c JOIN {Region._meta.db_table} v ON v.id = c.village_id
            WHERE {" AND ".join(where)}
            ORDER BY c.household_id, c.id DESC;
        CREATE TEMP TABLE {R.PERSONS} ON COMMIT DROP AS
        SELECT m.person_id, cs.household_id, cs.id AS case_id, cs.village_id,
            %(county)s::bigint AS county_id, p.id_number, p.employment_status,
            (CASE WHEN h.hukou_type = 'urban' THEN %(urban)s ELSE %(rural)s END)::numeric
                AS standard,
            count(*) OVER (PARTITION BY cs.household_id) AS unit_size
        FROM {CASES} cs
        JOIN {Membership._meta.db_table} m ON m.household_id = cs.household_id
            AND m.end_date IS NULL
            AND (cs.unit = 'household' OR m.person_id = cs.single_person_id)
        JOIN {Person._meta.db_table} p ON p.id = m.person_id
        JOIN {Household._meta.db_table} h ON h.id = cs.household_id
    """  # noqa: S608 - identifiers from model metadata
    return sql, params


def cross_check_district(run_id: int, county_id: int) -> dict[str, int]:
    """One county's share of a run, in one transaction: the persons of the scope, then one
    statement per rule (its findings found, seen again, and those of the scope gone from its
    newer data cleared); the run's counts and progress are incremented in the same transaction
    (so a retried task after a crash counts once). Idempotent."""
    run = CrossCheckRun.objects.select_related("region").get(pk=run_id)
    county = Region.objects.get(pk=county_id)
    specs = [
        R.RuleSpec(r.pk, r.code, r.kind, r.category, r.evaluator, r.parameters)
        for r in _rules_of(run)
    ]
    snapshots = {k: int(v) for k, v in run.snapshot_ids.items()}
    now = timezone.now()
    counts = {"persons": 0, "households": 0, "new": 0, "recurring": 0, "seen": 0, "cleared": 0}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, county_id])
        if (
            CrossCheckRun.objects.select_for_update()
            .filter(pk=run.pk, counties_done__contains=[county_id])
            .exists()
        ):
            return counts  # a redelivered task whose district has counted already
        cur.execute("SET LOCAL jit = off")
        cur.execute(f"DROP TABLE IF EXISTS {R.PERSONS}, {CASES}")
        sql, params = _persons_sql(run, county)
        cur.execute(sql, params)
        cur.execute(f"CREATE INDEX ON {R.PERSONS} (id_number)")
        cur.execute(f"ANALYZE {R.PERSONS}")
        cur.execute(f"SELECT count(*), count(DISTINCT household_id) FROM {R.PERSONS}")  # noqa: S608
        counts["persons"], counts["households"] = cur.fetchone()  # type: ignore[misc]
        if counts["persons"]:
            for spec in specs:
                p: dict[str, Any] = {"run": run.pk, "now": now}
                p["why"] = _("Cross-check run #%(run)s") % {"run": run.pk}
                p["why_cleared"] = _(
                    "Not found in snapshot %(snapshots)s (cross-check run #%(run)s)"
                ) % {
                    "snapshots": "、".join(
                        f"#{i}" for i in sorted(R.rule_snapshots(spec, snapshots).values())
                    ),
                    "run": run.pk,
                }
                stmt = R.statement(spec, snapshots, p)
                if stmt is None:
                    continue
                cur.execute(stmt, p)
                new, recurring, seen, cleared, _hist = cur.fetchone()  # type: ignore[misc]
                counts["new"] += new
                counts["recurring"] += recurring
                counts["seen"] += seen
                counts["cleared"] += cleared
        cur.execute(
            f"""INSERT INTO {CaseCheck._meta.db_table} (case_id, household_id, run_id,
                checked_at)
            SELECT id, household_id, %s, %s FROM {CASES}
            ON CONFLICT (case_id) DO UPDATE SET run_id = EXCLUDED.run_id,
                checked_at = EXCLUDED.checked_at, household_id = EXCLUDED.household_id""",  # noqa: S608
            [run.pk, now],
        )
        CrossCheckRun.objects.filter(pk=run.pk).update(
            persons=F("persons") + counts["persons"],
            households=F("households") + counts["households"],
            findings_new=F("findings_new") + counts["new"],
            findings_recurring=F("findings_recurring") + counts["recurring"],
            findings_seen=F("findings_seen") + counts["seen"],
            findings_cleared=F("findings_cleared") + counts["cleared"],
            districts_done=F("districts_done") + 1,
            counties_done=Func(F("counties_done"), Value(county_id), function="array_append"),
        )
        if run.job_id:
            Job.objects.filter(pk=run.job_id).update(
                progress_done=F("progress_done") + 1, updated_at=timezone.now()
            )
        cur.execute(f"DROP TABLE IF EXISTS {R.PERSONS}, {CASES}")
    return counts


def _rules_of(run: CrossCheckRun) -> list[Any]:
    from verification.models import CrossCheckRule

    return list(CrossCheckRule.objects.filter(pk__in=run.rule_ids).order_by("code"))


def cross_check_run_close(run_id: int, *, failed: str = "") -> CrossCheckRun:
    """Done (or failed with the message): finished time, duration, the job's outcome."""
    with transaction.atomic():
        run = CrossCheckRun.objects.select_for_update().get(pk=run_id)
        if run.status in (CrossCheckRun.Status.DONE, CrossCheckRun.Status.FAILED):
            return run
        now = timezone.now()
        run.status = CrossCheckRun.Status.FAILED if failed else CrossCheckRun.Status.DONE
        run.finished_at = now
        run.duration = (now - (run.started_at or run.created_at)).total_seconds()
        run.message = failed or _(
            "%(persons)s persons of %(households)s households checked: %(new)s new findings, "
            "%(recurring)s recurring, %(cleared)s no longer found."
        ) % {
            "persons": run.persons,
            "households": run.households,
            "new": run.findings_new,
            "recurring": run.findings_recurring,
            "cleared": run.findings_cleared,
        }
        run.save(update_fields=["status", "finished_at", "duration", "message"])
        if run.job_id:
            Job.objects.filter(pk=run.job_id).update(
                status=Job.Status.FAILED if failed else Job.Status.DONE,
                message=run.message[:1000],
                finished_at=now,
                updated_at=now,
                result={
                    "persons": run.persons,
                    "findings_new": run.findings_new,
                    "findings_recurring": run.findings_recurring,
                    "findings_cleared": run.findings_cleared,
                },
            )
    return run


def cross_check_run_execute(run: CrossCheckRun) -> CrossCheckRun:
    """The whole run in this process (small scopes, tests, the bench's single-process figure)."""
    start = time.monotonic()
    try:
        for county_id in cross_check_run_begin(run.pk):
            cross_check_district(run.pk, county_id)
    except Exception as e:
        log.exception("cross-check run %s failed", run.pk)
        return cross_check_run_close(run.pk, failed=str(e)[:500])
    run = cross_check_run_close(run.pk)
    log.info("cross-check run %s: %.2f s", run.pk, time.monotonic() - start)
    return run


def cross_check_case_now(*, case: DibaoCase, by: User | None, trigger: str) -> CrossCheckRun:
    """A case's own check, in the caller's transaction (one household: a dozen indexed
    statements) — the investigation's: the run, the authorisation it records and the step that
    allowed it commit together, so the proposal check can rely on it. A failure of the check
    never undoes the investigation: it is recorded as a failed run and retried by Celery."""
    run = cross_check_run_create(
        scope=Scope.CASES, cases=[case], by=None, trigger=trigger, with_job=False
    )
    if by is not None:
        CrossCheckRun.objects.filter(pk=run.pk).update(started_by=by)
    try:
        with transaction.atomic():
            for county_id in cross_check_run_begin(run.pk):
                cross_check_district(run.pk, county_id)
    except Exception as e:  # pragma: no cover - logged, retried
        log.exception("cross-check of case %s failed; retried by Celery", case.pk)
        cross_check_run_close(run.pk, failed=str(e)[:500])
        from . import tasks

        retry = cross_check_run_create(scope=Scope.CASES, cases=[case], by=None, trigger=trigger)
        transaction.on_commit(lambda: tasks.cross_check_run.delay(retry.pk))
        return run
    return cross_check_run_close(run.pk)


# ----------------------------------------------------------------------------- findings


def _begin(finding: Finding, action: str, by: User) -> Finding:
    locked = FINDING.lock(finding, by)
    FINDING.check(locked, action, by)
    return locked


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    return reason


@transaction.atomic
def finding_confirm(
    *, finding: Finding, by: User, reason: str = "", open_review: bool = False
) -> Finding:
    """The data is right. The caseworker updates the declaration (a pending application) or, for
    an active case, opens a review of the reported-change kind here, in this transaction."""
    finding = _begin(finding, "confirm", by)
    review = None
    if open_review:
        case = finding.case
        if case is None or case.status not in (S.ACTIVE, S.CONFIRMED):
            raise ValidationError(
                {"open_review": [_("A review can be opened only for an active case.")]}
            )
        review = dibao_services.review_open(
            case=case,
            kind=CaseReview.Kind.REPORTED_CHANGE,
            reason=_("Cross-check finding %(f)s: %(rule)s")
            % {"f": finding, "rule": finding.rule.label},
            by=by,
        )
    return FINDING.move(
        finding,
        "confirm",
        by,
        reason.strip() or _("Confirmed"),
        resolved_by=by,
        resolved_at=timezone.now(),
        resolution_reason=reason.strip(),
        review=review,
    )


@transaction.atomic
def finding_dismiss(*, finding: Finding, by: User, reason: str) -> Finding:
    reason = _reason(reason)
    finding = _begin(finding, "dismiss", by)
    return FINDING.move(
        finding,
        "dismiss",
        by,
        reason,
        resolved_by=by,
        resolved_at=timezone.now(),
        resolution_reason=reason,
    )


@transaction.atomic
def finding_waive(*, finding: Finding, by: User, reason: str) -> Finding:
    reason = _reason(reason)
    finding = _begin(finding, "waive", by)
    return FINDING.move(
        finding,
        "waive",
        by,
        reason,
        resolved_by=by,
        resolved_at=timezone.now(),
        resolution_reason=reason,
    )


RESOLVE = {"confirm": finding_confirm, "dismiss": finding_dismiss, "waive": finding_waive}


def snapshot_ids_label(run: CrossCheckRun) -> dict[str, DatasetSnapshot]:
    """The run's snapshots by kind (for its page and report)."""
    rows = DatasetSnapshot.objects.in_bulk([int(v) for v in run.snapshot_ids.values()])
    return {k: rows[int(v)] for k, v in run.snapshot_ids.items() if int(v) in rows}
