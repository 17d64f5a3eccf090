"""Demo data of verification (the seed_demo_verification command, after seed_demo_linkage): one
merged snapshot per dataset kind, a cross-check of the open cases with a couple of findings
resolved, the poverty scores of the active dibao households and one sampling-audit plan of
蓬江区 drawn and partly recorded — so `make run` shows the feature.

The snapshots are written directly (bulk_create of the record rows, the file a small generated
CSV with its real SHA-256, its history rows upload → validate → approve → merge); everything after
that goes through the parts' services, as a user would. Each step is idempotent on its own: run
twice, nothing is duplicated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from assistance.models import DibaoCase
from core import exports
from core.models import Region, User
from core.roles import Role
from households.idnumber import check_character
from households.models import Person

from . import kinds as K
from .checks.services import ACTIVE, PENDING
from .models import (
    RECORD_MODELS,
    AuditPlan,
    AuditSample,
    CrossCheckRun,
    DatasetSnapshot,
    Finding,
    HouseholdScore,
    SnapshotTransition,
)

PREFIX = "demo-"  # the original_name of the demo's snapshots: demo-<kind>.csv
PLAN_NAME = "蓬江区 演示抽查"
PLAN_SEED = 20261
NOISE = 150  # rows per kind whose ID number is nobody's in the register
OPEN = (*PENDING, *ACTIVE)


# ----------------------------------------------------------------------------- records


def _noise_ids(rng: random.Random, taken: set[str], n: int) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
        first17 = f"440704{birth:%Y%m%d}{rng.randrange(1000):03d}"  # 江海区: not the demo's
        number = first17 + check_character(first17)
        if number not in taken:
            taken.add(number)
            out.append(number)
    return out


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def _rows_by_kind(
    rng: random.Random, targets: list[tuple[str, str]], everyone: list[tuple[str, str]], on: dt.date
) -> dict[str, list[dict[str, Any]]]:
    """Per kind the records: a few matching persons of open cases (most below the limits, a few
    above), the rest noise. Values only; the caller adds snapshot and row numbers."""
    taken = {i for i, _ in everyone}
    n = len(targets)
    picked = rng.sample(targets, n)  # one shuffled order, sliced per purpose

    def part(start: float, share: float, minimum: int = 1) -> list[tuple[str, str]]:
        a = int(n * start)
        return picked[a : a + max(minimum, int(n * share))] if n else []

    def noise(make: Any, count: int = NOISE) -> list[dict[str, Any]]:
        return [make(i, "") for i in _noise_ids(rng, taken, count)]

    year = on.year - 1
    out: dict[str, list[dict[str, Any]]] = {}
    out["bank_deposit"] = (
        [
            {
                "id_number": i,
                "name": nm,
                "bank": "江门农商银行",
                "balance": _amount(rng, 90_000, 180_000),
            }
            for i, nm in part(0.00, 0.03)
        ]
        + [
            {"id_number": i, "name": nm, "bank": "邮储银行", "balance": _amount(rng, 200, 6_000)}
            for i, nm in part(0.10, 0.15)
        ]
        + noise(
            lambda i, nm: {
                "id_number": i,
                "name": nm,
                "bank": "工商银行",
                "balance": _amount(rng, 1_000, 300_000),
            }
        )
    )
    out["securities"] = [
        {
            "id_number": i,
            "name": nm,
            "institution": "广发证券",
            "market_value": _amount(rng, 60_000, 90_000),
        }
        for i, nm in part(0.03, 0.005)
    ] + noise(
        lambda i, nm: {
            "id_number": i,
            "name": nm,
            "institution": "招商证券",
            "market_value": _amount(rng, 500, 80_000),
        }
    )
    vehicles = part(0.04, 0.004, 4)
    out["motor_vehicle"] = [
        {
            "id_number": i,
            "name": nm,
            "plate": f"粤J{rng.randrange(10000, 99999)}",
            "vehicle_type": "二轮摩托车" if k == len(vehicles) - 1 else "小型普通客车",
            "registered_on": on - dt.timedelta(days=rng.randrange(300, 3000)),
        }
        for k, (i, nm) in enumerate(vehicles)
    ] + noise(
        lambda i, nm: {
            "id_number": i,
            "name": nm,
            "plate": f"粤J{rng.randrange(10000, 99999)}",
            "vehicle_type": "小型普通客车",
            "registered_on": on - dt.timedelta(days=rng.randrange(300, 3000)),
        }
    )
    homes = part(0.05, 0.10)
    second = part(0.05, 0.003, 3)  # the first of those with a home get a second one
    shop = part(0.16, 0.002, 1)
    out["housing"] = (
        [
            {
                "id_number": i,
                "name": nm,
                "property_address": f"蓬江区白沙街道{k + 1}号",
                "use": "住宅",
                "area": _amount(rng, 40, 90),
            }
            for k, (i, nm) in enumerate(homes)
        ]
        + [
            {
                "id_number": i,
                "name": nm,
                "property_address": f"蓬江区潮连街道{k + 1}号",
                "use": "住宅",
                "area": _amount(rng, 60, 120),
            }
            for k, (i, nm) in enumerate(second)
        ]
        + [
            {
                "id_number": i,
                "name": nm,
                "property_address": f"蓬江区港口路{k + 1}号",
                "use": "商铺",
                "area": _amount(rng, 20, 60),
            }
            for k, (i, nm) in enumerate(shop)
        ]
        + noise(
            lambda i, nm: {
                "id_number": i,
                "name": nm,
                "property_address": "江海区东海路1号",
                "use": "住宅",
                "area": _amount(rng, 50, 140),
            }
        )
    )
    high = part(0.20, 0.02)
    low = part(0.22, 0.03)
    out["employment"] = (
        [
            {
                "id_number": i,
                "name": nm,
                "employer": "江门某制造有限公司",
                "monthly_salary": _amount(rng, 4_000, 6_500),
            }
            for i, nm in high
        ]
        + [
            {
                "id_number": i,
                "name": nm,
                "employer": "白沙物业服务中心",
                "monthly_salary": _amount(rng, 300, 800),
            }
            for i, nm in low
        ]
        + noise(
            lambda i, nm: {
                "id_number": i,
                "name": nm,
                "employer": "江海区某公司",
                "monthly_salary": _amount(rng, 2_500, 9_000),
            }
        )
    )
    out["social_insurance"] = [
        {
            "id_number": r["id_number"],
            "name": r["name"],
            "insurance": "职工基本养老保险",
            "monthly_contribution": (r["monthly_salary"] * Decimal("0.08")).quantize(
                Decimal("0.01")
            ),
        }
        for r in out["employment"][: len(high) + len(low)]
    ] + noise(
        lambda i, nm: {
            "id_number": i,
            "name": nm,
            "insurance": "城乡居民养老保险",
            "monthly_contribution": _amount(rng, 10, 40),
        }
    )
    out["provident_fund"] = [
        {
            "id_number": i,
            "name": nm,
            "monthly_contribution": Decimal("1320.00"),
            "balance": _amount(rng, 8_000, 40_000),
        }
        for i, nm in high[:1]
    ] + noise(
        lambda i, nm: {
            "id_number": i,
            "name": nm,
            "monthly_contribution": _amount(rng, 300, 1_500),
            "balance": _amount(rng, 1_000, 90_000),
        }
    )
    out["tax"] = [
        {"id_number": i, "name": nm, "tax_year": str(year), "tax_paid": _amount(rng, 300, 2_000)}
        for i, nm in high[1:2]
    ] + noise(
        lambda i, nm: {
            "id_number": i,
            "name": nm,
            "tax_year": str(year),
            "tax_paid": _amount(rng, 100, 9_000),
        }
    )
    firms = part(0.26, 0.004, 4)
    out["business"] = [
        {
            "id_number": i,
            "name": nm,
            "registration_no": f"92440703MA{rng.randrange(10**7, 10**8)}",
            "business_name": f"蓬江区{nm or '某'}小吃店",
            "employees": 3 if k < 2 else 0,  # two with employees, two husband-and-wife stalls
        }
        for k, (i, nm) in enumerate(firms)
    ] + noise(
        lambda i, nm: {
            "id_number": i,
            "name": nm,
            "registration_no": f"92440704MA{rng.randrange(10**7, 10**8)}",
            "business_name": "江海区某商行",
            "employees": rng.randrange(0, 8),
        }
    )
    out["agricultural_machinery"] = [
        {
            "id_number": i,
            "name": nm,
            "machine_type": "拖拉机" if k == 0 else "微耕机",
            "value": Decimal("68000.00") if k == 0 else _amount(rng, 1_500, 4_000),
        }
        for k, (i, nm) in enumerate(part(0.30, 0.003, 3))
    ] + noise(
        lambda i, nm: {
            "id_number": i,
            "name": nm,
            "machine_type": "收割机",
            "value": _amount(rng, 5_000, 120_000),
        }
    )
    out["agricultural_subsidy"] = [
        {
            "id_number": i,
            "name": nm,
            "subsidy_type": "耕地地力保护补贴",
            "amount": Decimal("12000.00") if k == 0 else _amount(rng, 100, 600),
        }
        for k, (i, nm) in enumerate(part(0.32, 0.01, 3))
    ] + noise(
        lambda i, nm: {
            "id_number": i,
            "name": nm,
            "subsidy_type": "种粮补贴",
            "amount": _amount(rng, 100, 3_000),
        }
    )
    # The public-security register knows everybody but a few persons of open cases.
    absent = {i for i, _ in part(0.40, 0.002, 2)}
    out["household_registration"] = [
        {"id_number": i, "name": nm, "address": "江门市蓬江区", "hukou_type": "非农业"}
        for i, nm in everyone
        if i not in absent
    ] + noise(
        lambda i, nm: {"id_number": i, "name": nm, "address": "江门市江海区", "hukou_type": "农业"},
        50,
    )
    return out


def _csv(kind: K.Kind, rows: list[dict[str, Any]]) -> tuple[bytes, dict[str, str]]:
    """The file the department "sent": the kind's Chinese headers, one line per record."""
    with_values = [f for f in kind.fields]
    headers = [str(f.label) for f in with_values]
    body = exports.write_file(
        (["" if r.get(f.name) is None else r.get(f.name) for f in with_values] for r in rows),
        headers=headers,
        fmt="csv",
    )
    return body, {h: f.name for h, f in zip(headers, with_values, strict=True)}


def _data_admins() -> tuple[User | None, User | None]:
    admins = list(
        User.objects.filter(
            role=Role.DATA_ADMIN, is_active=True, region__level=Region.Level.CITY
        ).order_by("username")
    )
    if not admins:
        return None, None
    return admins[0], (admins[1] if len(admins) > 1 else None)


def seed_snapshots(*, on: dt.date) -> int:
    """One merged snapshot per kind not yet seeded. Returns the snapshots created."""
    uploader, approver = _data_admins()
    if uploader is None:
        return 0
    have = set(
        DatasetSnapshot.objects.filter(original_name__startswith=PREFIX).values_list(
            "kind", flat=True
        )
    )
    missing = [k for k in K.KINDS.values() if k.code not in have]
    if not missing:
        return 0
    everyone = list(Person.objects.order_by("pk").values_list("id_number", "name"))
    targets = list(
        Person.objects.filter(
            memberships__end_date__isnull=True,
            memberships__household__dibao_cases__status__in=OPEN,
        )
        .distinct()
        .order_by("pk")
        .values_list("id_number", "name")
    )
    rows = _rows_by_kind(random.Random(2026), targets, everyone, on)
    as_of = on - dt.timedelta(days=14)
    now = timezone.now()
    created = 0
    for kind in missing:
        with transaction.atomic():
            data, columns = _csv(kind, rows[kind.code])
            snapshot = DatasetSnapshot(
                kind=kind.code,
                department=str(kind.department),
                as_of=as_of,
                file_format="csv",
                original_name=f"{PREFIX}{kind.code}.csv",
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                encoding="utf-8",
                columns=columns,
                status=DatasetSnapshot.Status.MERGED,
                rows_total=len(rows[kind.code]),
                rows_valid=len(rows[kind.code]),
                uploaded_by=uploader,
                validated_at=now,
                decided_by=approver,
                decided_at=now,
                merged_at=now,
                message="演示数据",
            )
            snapshot.file.save(f"{kind.code}.csv", ContentFile(data), save=False)
            snapshot.save()
            # A newer demo snapshot of a kind supersedes nothing real: only older ones.
            DatasetSnapshot.objects.filter(
                kind=kind.code,
                status=DatasetSnapshot.Status.MERGED,
                superseded_by__isnull=True,
                as_of__lt=as_of,
            ).exclude(pk=snapshot.pk).update(superseded_by=snapshot)
            St = DatasetSnapshot.Status
            SnapshotTransition.objects.bulk_create(
                [
                    SnapshotTransition(
                        snapshot=snapshot,
                        action="upload",
                        from_status="",
                        to_status=St.UPLOADED,
                        by=uploader,
                    ),
                    SnapshotTransition(
                        snapshot=snapshot,
                        action="start_validation",
                        from_status=St.UPLOADED,
                        to_status=St.VALIDATING,
                    ),
                    SnapshotTransition(
                        snapshot=snapshot,
                        action="validate",
                        from_status=St.VALIDATING,
                        to_status=St.VALIDATED,
                    ),
                    SnapshotTransition(
                        snapshot=snapshot,
                        action="approve",
                        from_status=St.VALIDATED,
                        to_status=St.APPROVED,
                        by=approver,
                        reason="演示数据" if approver else "演示数据（仅一名数据管理员：系统批准）",
                    ),
                    SnapshotTransition(
                        snapshot=snapshot,
                        action="merge",
                        from_status=St.APPROVED,
                        to_status=St.MERGED,
                    ),
                ]
            )
            model = RECORD_MODELS[kind.code]
            model._default_manager.bulk_create(
                [
                    model(snapshot=snapshot, row_no=n + 2, **r)
                    for n, r in enumerate(rows[kind.code])
                ],
                batch_size=5000,
            )
        created += 1
    return created


# ----------------------------------------------------------------------------- checks


def seed_checks(*, on: dt.date, by: User | None = None) -> int:
    """A cross-check of the active cases and one of the pending applications (synchronously,
    through the checks part's services), once. Returns the findings open afterwards."""
    from .checks.services import cross_check_run_create, cross_check_run_execute

    Scope = CrossCheckRun.Scope
    if not CrossCheckRun.objects.filter(scope__in=(Scope.ACTIVE, Scope.PENDING)).exists():
        city = Region.objects.filter(level=Region.Level.CITY).first()
        if city is None:
            return 0
        for scope in (Scope.ACTIVE, Scope.PENDING):
            run = cross_check_run_create(
                scope=scope, region=city, by=by, on=on, trigger=CrossCheckRun.Trigger.MANUAL
            )
            cross_check_run_execute(run)
    return Finding.objects.filter(state__in=Finding.UNRESOLVED).count()


def seed_resolutions() -> int:
    """One finding of 白沙街道 dismissed with a reason, one confirmed (by its caseworker)."""
    from .checks.services import finding_confirm, finding_dismiss

    if Finding.objects.exclude(state__in=Finding.UNRESOLVED).exists():
        return 0
    caseworker = User.objects.filter(username="cw_baisha", is_active=True).first()
    town = caseworker.region if caseworker is not None else None
    if caseworker is None or town is None:
        return 0
    found = list(
        Finding.objects.filter(
            state__in=Finding.UNRESOLVED, village__path__startswith=town.path
        ).order_by("id")[:2]
    )
    done = 0
    if found:
        finding_dismiss(
            finding=found[0],
            by=caseworker,
            reason="演示：入户核实，该记录为同名同号错录，部门已更正",
        )
        done += 1
    if len(found) > 1:
        finding_confirm(finding=found[1], by=caseworker, reason="演示：经核实属实，已更新申报")
        done += 1
    return done


# ----------------------------------------------------------------------------- scores


def seed_scores(*, on: dt.date) -> int:
    from .scores.services import household_scores_compute

    if HouseholdScore.objects.exists():
        return 0
    ids = list(
        DibaoCase.objects.filter(status__in=ACTIVE)
        .values_list("household_id", flat=True)
        .distinct()
    )
    if not ids:
        return 0
    return household_scores_compute(household_ids=ids, on=on, by=None)


# ----------------------------------------------------------------------------- audits


def seed_audit(*, on: dt.date) -> AuditPlan | None:
    """One plan of 蓬江区 for the current half-year, drawn with a fixed seed, assigned to the
    demo auditor, with two results recorded (one conforming, one discrepancy)."""
    from .audits.services import audit_plan_create, audit_plan_draw, audit_sample_record

    plan = AuditPlan.objects.filter(name=PLAN_NAME).first()
    if plan is not None:
        return plan
    supervisor = (
        User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("username").first()
    )
    auditor = User.objects.filter(username="auditor", role=Role.AUDITOR, is_active=True).first()
    district = Region.objects.filter(code="440703").first()
    if supervisor is None or auditor is None or district is None:
        return None
    start = dt.date(on.year, 1, 1) if on.month <= 6 else dt.date(on.year, 7, 1)
    plan = audit_plan_create(
        name=PLAN_NAME,
        region=district,
        period_from=start,
        period_to=on,
        auditors=[auditor],
        by=supervisor,
        seed=PLAN_SEED,
    )
    try:
        plan = audit_plan_draw(plan=plan, by=supervisor)
    except ValidationError as e:  # a demo register too small to have recipients in 蓬江区
        if getattr(e, "code", None) != "empty_frame":
            raise
        return plan
    samples = list(AuditSample.objects.filter(plan=plan).select_related("stratum").order_by("id"))
    # One or two results recorded; at least one household is left for the auditor to examine.
    samples = samples[: max(1, min(2, len(samples) - 1))]
    R = AuditSample.Result
    if samples:
        audit_sample_record(sample=samples[0], result=R.CONFORMS, by=auditor, visited_on=on)
    if len(samples) > 1:
        frame = samples[1].stratum.frame
        kind = AuditSample.KINDS_BY_FRAME[frame][-1]  # type: ignore[index]  # "other"
        audit_sample_record(
            sample=samples[1],
            result=R.DISCREPANCY,
            discrepancy_kind=kind,
            details="演示：家庭实际居住人口与登记不符，请复核",
            by=auditor,
            visited_on=on,
        )
    return plan


def seed_demo_verification(*, by: User | None = None) -> dict[str, int]:
    """Idempotent, step by step. Returns what each step did (for the command's output)."""
    on = timezone.localdate()
    snapshots = seed_snapshots(on=on)
    findings = seed_checks(on=on, by=by)
    resolved = seed_resolutions()
    scores = seed_scores(on=on)
    plan = seed_audit(on=on)
    return {
        "snapshots": snapshots,
        "open_findings": findings,
        "resolved": resolved,
        "scores": scores,
        "sampled": AuditSample.objects.filter(plan=plan).count() if plan else 0,
    }
