"""The demo seeding (idempotent) and the layer rule: poverty never imports assistance."""

import re
from pathlib import Path

import pytest

from poverty.demo import seed_demo_poverty
from poverty.models import PovertyRecord, PovertyRecordTransition

from ..factories import UserFactory, region
from .conftest import TODAY, household_of

ROOT = Path(__file__).resolve().parents[2] / "poverty"


@pytest.mark.django_db
def test_demo_seeding_is_idempotent(village_a, settings):
    settings.DEMO_PASSWORD = "pw-Xianjie-1"
    UserFactory(username="po_pengjiang", role="poverty_office_reviewer", region=region("440703"))
    for _i in range(8):
        household_of(village_a, {"age": 45}, {"age": 12})
    assert seed_demo_poverty(today=TODAY) == 7
    statuses = sorted(PovertyRecord.objects.values_list("status", flat=True))
    assert set(statuses) == set(PovertyRecord.Status.values)
    rows = PovertyRecordTransition.objects.count()
    assert seed_demo_poverty(today=TODAY) == 0
    assert PovertyRecordTransition.objects.count() == rows


def test_poverty_never_imports_assistance_or_transitions():
    for path in ROOT.rglob("*.py"):
        source = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+(assistance|transitions)\b", source, re.M), path
