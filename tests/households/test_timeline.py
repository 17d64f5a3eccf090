"""A household's timeline shows a person's changes only while they were a member, and only
changes within the viewer's area (issue 6 defect 4)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from households import selectors, services
from households.models import Relation

from ..conftest import login

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 10):  # type: ignore[no-untyped-def]
    return time_machine.travel(dt.datetime(2026, 3, day, hour, tzinfo=TZ), tick=False)


@pytest.fixture
def moved(household_a, household_taicheng, cw_baisha, cw_taicheng, data_admin):  # type: ignore[no-untyped-def]
    """A child of 白沙's household_a: phone changed while a member, then leaves, joins a 台城
    household, and 台城's caseworker changes their phone and bank account."""
    member = household_a.memberships.exclude(relation=Relation.HEAD).first()
    person = member.person
    with at(2):
        services.person_update(person=person, by=cw_baisha, phone="13700000001", reason="在户时")
    with at(3):
        services.member_remove(membership=member, reason="迁往台山", by=cw_baisha)
    with at(4):
        services.member_add(
            household=household_taicheng, relation=Relation.CHILD, person=person, by=data_admin
        )
    with at(5):
        services.person_update(
            person=person, by=cw_taicheng, phone="13999999999", bank_account="6222000011112222",
            reason="台山更新",
        )  # fmt: skip
    return person


def test_changes_after_leaving_are_not_in_the_former_household_timeline(
    client, household_a, moved, cw_baisha
):
    with at(6):
        html = login(client, cw_baisha).get(reverse("households:detail", args=[household_a.pk]))
    text = html.content.decode()
    assert "在户时" in text and "13700000001" in text  # made while a member: shown
    assert "台山更新" not in text and "13999999999" not in text and "2222" not in text
    assert "cw_taicheng" not in text


@pytest.mark.parametrize("viewer", ["cw_baisha", "data_admin"])
def test_timeline_selector_keeps_only_the_membership_window(household_a, moved, viewer, request):
    user = request.getfixturevalue(viewer)
    entries = selectors.household_timeline(household_a, user=user)
    person_entries = [e for e in entries if e.kind == "person" and e.subject == moved.name]
    reasons = {e.reason for e in person_entries}
    assert "在户时" in reasons
    assert "台山更新" not in reasons and "Joined household" not in reasons
    assert all(e.at < dt.datetime(2026, 3, 4, tzinfo=TZ) for e in person_entries)


def test_the_new_household_sees_the_changes_made_since_joining(
    household_taicheng, moved, cw_taicheng
):
    entries = selectors.household_timeline(household_taicheng, user=cw_taicheng)
    reasons = {e.reason for e in entries if e.kind == "person" and e.subject == moved.name}
    assert "台山更新" in reasons and "在户时" not in reasons
