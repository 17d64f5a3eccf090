"""seed_demo_verification: the demo register's snapshots, findings, scores and audit plan — once.

Built the way `make run` builds the demo (seed_demo, demo_users, seed_demo_cases), small, on a
frozen day (2026-11-10, Shanghai)."""

import datetime as dt
import hashlib
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from verification import kinds as K
from verification.datasets.selectors import current_snapshots
from verification.demo import PLAN_NAME, PREFIX, seed_demo_verification
from verification.models import (
    RECORD_MODELS,
    AuditPlan,
    AuditSample,
    CrossCheckRun,
    DatasetSnapshot,
    Finding,
    HouseholdScore,
    SnapshotTransition,
)

NOW = dt.datetime(2026, 11, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def demo_register(db, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    settings.MEDIA_ROOT = str(tmp_path)
    with time_machine.travel(NOW, tick=False):
        out = StringIO()
        call_command("seed_demo", "--households", "2000", stdout=out)
        call_command("demo_users", stdout=out)
        call_command("seed_demo_cases", stdout=out)
        yield


def _counts() -> dict[str, int]:
    return {
        "snapshots": DatasetSnapshot.objects.count(),
        "records": sum(m.objects.count() for m in RECORD_MODELS.values()),
        "history": SnapshotTransition.objects.count(),
        "runs": CrossCheckRun.objects.count(),
        "findings": Finding.objects.count(),
        "scores": HouseholdScore.objects.count(),
        "plans": AuditPlan.objects.count(),
        "samples": AuditSample.objects.count(),
    }


def test_demo_verification_runs_twice_without_duplicating(demo_register):
    with time_machine.travel(NOW, tick=False):
        first = seed_demo_verification()
        after_first = _counts()
        call_command("seed_demo_verification", stdout=StringIO())
        assert _counts() == after_first
    assert first["snapshots"] == len(K.KINDS)
    # One merged snapshot per kind, current, its file's checksum the real one.
    current = current_snapshots()
    assert set(current) == set(K.KINDS)
    for snap in current.values():
        assert snap.original_name.startswith(PREFIX)
        assert snap.status == DatasetSnapshot.Status.MERGED
        assert snap.uploaded_by.username == "data_admin"
        assert RECORD_MODELS[snap.kind].objects.filter(snapshot=snap).count() == snap.rows_total
        with snap.file.open("rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == snap.sha256
    # Findings exist; one dismissed with a reason, one confirmed.
    assert Finding.objects.filter(state__in=Finding.UNRESOLVED).exists()
    dismissed = Finding.objects.get(state=Finding.State.DISMISSED)
    assert dismissed.resolution_reason and dismissed.resolved_by.username == "cw_baisha"
    assert Finding.objects.filter(state=Finding.State.CONFIRMED).count() == 1
    # The active dibao households are scored.
    assert HouseholdScore.objects.exists()
    # One plan of 蓬江区, drawn with its seed, assigned to the demo auditor, results recorded.
    plan = AuditPlan.objects.get(name=PLAN_NAME)
    assert plan.region.code == "440703" and plan.drawn_at is not None
    assert list(plan.auditors.values_list("username", flat=True)) == ["auditor"]
    assert plan.samples.exclude(result=AuditSample.Result.PENDING).exists()
