import pytest
from django.core.management import call_command

from assistance.demo import PLAN, seed_demo_cases
from assistance.models import DibaoCase
from assistance.oversight.inbox import inbox_counts
from core.models import Region, User

from ..factories import VillageFactory, household_with_members, region

pytestmark = pytest.mark.django_db


def test_demo_cases_at_every_stage_once(settings):
    settings.DEMO_MODE = True  # demo users exist only in demo mode
    call_command("demo_users")
    baisha_village = Region.objects.get(code="440703002001")
    taicheng_village = VillageFactory(
        parent=region("440781001"), code="440781001001", kind=Region.Kind.COMMUNITY
    )
    per_town = sum(n for _, n in PLAN)
    for village in (baisha_village, taicheng_village):
        for _ in range(per_town):
            household_with_members(village, members=2)

    assert seed_demo_cases() == 2 * per_town
    counts = dict.fromkeys(DibaoCase.Status.values, 0)
    for status in DibaoCase.objects.values_list("status", flat=True):
        counts[status] += 1
    assert {s: counts[s] for s, _ in PLAN} == {s: 2 * n for s, n in PLAN}
    # A notice that ended is waiting for each district reviewer; one is still running.
    assert inbox_counts(User.objects.get(username="ca_pengjiang"))["confirm"] == 1
    assert seed_demo_cases() == 0
