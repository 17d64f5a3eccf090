"""Classification (domain.md §7): the boundaries of every condition, set-based recompute,
recompute on member change, overrides, history, and the preview of new rule parameters."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from assistance.models import DibaoCase
from households.models import Membership, Person
from poverty import signals
from poverty.classification import (
    Change,
    RuleParams,
    classification_override,
    classification_preview,
    classification_recompute,
    classification_release,
)
from poverty.models import ClassificationRule, HouseholdClassification
from poverty.tasks import classify_all

from ..factories import region
from .conftest import TODAY, dibao_household, household_of, make_dibao

pytestmark = pytest.mark.django_db
KEY, SAFETY = "key_target", "safety_net"


def site_text(msgid: str, **params) -> str:  # type: ignore[no-untyped-def]
    """What the reasons say: in the site's language, whatever the test's."""
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(msgid)
    return text % params if params else text


def current(household):  # type: ignore[no-untyped-def]
    return HouseholdClassification.objects.get(household=household, current=True)


def classify(village, by, **member):  # type: ignore[no-untyped-def]
    """One dibao household whose head is 70 (never counts) and one member as given."""
    h = dibao_household(village, by, {"age": 70}, member)
    classification_recompute(household_ids=[h.pk], on=TODAY, by=None)
    return current(h)


@pytest.mark.parametrize(("age", "expected"), [(15, SAFETY), (16, KEY), (59, KEY), (60, SAFETY)])
def test_age_bounds(village_a, cw_baisha, age, expected):
    # Capacity assessed as full, so only the age decides (the default is none below 16, from 60).
    row = classify(village_a, cw_baisha, age=age, labour_capacity_assessed="full")
    assert row.klass == expected == row.rule_class


@pytest.mark.parametrize(
    ("capacity", "expected"), [("full", KEY), ("partial", KEY), ("none", SAFETY), ("", KEY)]
)
def test_labour_capacity(village_a, cw_baisha, capacity, expected):
    # "" = not assessed: the default for a 40-year-old without disability is full.
    assert (
        classify(village_a, cw_baisha, age=40, labour_capacity_assessed=capacity).klass == expected
    )


@pytest.mark.parametrize(("willing", "expected"), [(True, KEY), (False, SAFETY)])
def test_willingness(village_a, cw_baisha, willing, expected):
    assert classify(village_a, cw_baisha, age=40, willing_to_accept_help=willing).klass == expected


def test_students(village_a, cw_baisha):
    # A student's default capacity is none; assessed as full the rule's students flag decides.
    assert classify(village_a, cw_baisha, age=20, in_school=True).klass == SAFETY
    row = classify(village_a, cw_baisha, age=20, in_school=True, labour_capacity_assessed="full")
    assert row.klass == SAFETY
    assert row.reasons[1].endswith(" → " + site_text("students do not count"))
    ClassificationRule.objects.update(students_count=True)
    classification_recompute(household_ids=[row.household_id], on=TODAY, by=None)
    assert current(row.household).klass == KEY


def test_severe_disability_defaults_to_no_capacity(village_a, cw_baisha):
    row = classify(village_a, cw_baisha, age=40, disability_category="physical", disability_grade=2)
    assert row.klass == SAFETY
    row = classify(village_a, cw_baisha, age=40, disability_category="physical", disability_grade=3)
    assert row.klass == KEY


def test_reasons_inputs_and_rule_version(village_a, cw_baisha):
    h = dibao_household(
        village_a, cw_baisha, {"age": 50, "name": "王永"}, {"age": 65, "name": "李梅"}
    )
    changes = classification_recompute(household_ids=[h.pk], on=TODAY, by=cw_baisha)
    assert changes == [Change(h.pk, None, KEY)]
    row = current(h)
    rule = ClassificationRule.objects.in_force(TODAY).get()
    assert row.rule == rule and row.computed_on == TODAY and row.by == cw_baisha
    t = site_text
    assert row.reasons == [
        f"王永, 50, {t('full capacity')}, {t('willing')} → {t('key target')}",
        f"李梅, 65, {t('no labour capacity')}, {t('willing')} → {t('not aged %(min)s–%(max)s', min=16, max=59)}",
    ]
    assert [(i["name"], i["age"], i["capacity"], i["counts"]) for i in row.inputs] == [
        ("王永", 50, "full", True),
        ("李梅", 65, "none", False),
    ]


def test_only_dibao_households_are_classified(village_a, cw_baisha):
    dibao = dibao_household(village_a, cw_baisha, {"age": 40})
    other = household_of(village_a, {"age": 40})
    refused = household_of(village_a, {"age": 40})
    make_dibao(refused, cw_baisha, status=DibaoCase.Status.REFUSED)
    classification_recompute(on=TODAY, by=None)
    assert set(HouseholdClassification.objects.values_list("household_id", flat=True)) == {dibao.pk}
    # Leaving dibao closes the classification (not reported as a change).
    DibaoCase.objects.filter(household=dibao).update(status=DibaoCase.Status.TERMINATED)
    assert classification_recompute(on=TODAY, by=None) == []
    assert not HouseholdClassification.objects.filter(current=True).exists()
    assert other and refused


def test_recompute_is_set_based_and_idempotent(village_a, village_b, cw_baisha):
    households = [
        dibao_household(v, cw_baisha, {"age": 30 + i})
        for i, v in enumerate([village_a, village_b] * 4)
    ]
    with CaptureQueriesContext(connection) as ctx:
        changes = classification_recompute(on=TODAY, by=None)
    assert len(changes) == len(households)
    # The subjects go to a temporary table first (planner statistics), then one statement.
    writes = [
        q
        for q in ctx.captured_queries
        if ("INSERT" in q["sql"] or "UPDATE" in q["sql"])
        and not q["sql"].startswith("INSERT INTO poverty_subjects_tmp")
    ]
    assert len(writes) == 1  # one statement, whatever the number of households
    assert len(ctx.captured_queries) <= 11
    before = HouseholdClassification.objects.count()
    assert classification_recompute(on=TODAY, by=None) == []
    assert HouseholdClassification.objects.count() == before  # nothing changed, nothing written


def test_history_is_kept_and_only_current_flips(village_a, cw_baisha):
    h = dibao_household(village_a, cw_baisha, {"age": 40})
    classification_recompute(household_ids=[h.pk], on=TODAY, by=None)
    first = current(h)
    Person.objects.filter(memberships__household=h).update(willing_to_accept_help=False)
    with signals_caught() as got:
        changes = classification_recompute(household_ids=[h.pk], on=TODAY, by=None)
    assert changes == [Change(h.pk, KEY, SAFETY)]
    assert got == [[Change(h.pk, KEY, SAFETY)]]
    rows = list(HouseholdClassification.objects.filter(household=h).order_by("id"))
    assert [(r.klass, r.current) for r in rows] == [(KEY, False), (SAFETY, True)]
    assert rows[0].inputs == first.inputs and rows[0].reasons == first.reasons  # untouched


class signals_caught:
    def __enter__(self):  # type: ignore[no-untyped-def]
        self.got: list = []
        signals.classification_changed.connect(self._got, dispatch_uid="test-cls")
        return self.got

    def __exit__(self, *exc):  # type: ignore[no-untyped-def]
        signals.classification_changed.disconnect(dispatch_uid="test-cls")

    def _got(self, sender, changes, by, **kw):  # type: ignore[no-untyped-def]
        self.got.append(changes)


def test_member_changes_recompute_their_household(
    village_a, cw_baisha, django_capture_on_commit_callbacks
):
    h = dibao_household(village_a, cw_baisha, {"age": 70})
    classification_recompute(on=TODAY, by=None)
    assert current(h).klass == SAFETY
    other = dibao_household(village_a, cw_baisha, {"age": 70})
    classification_recompute(household_ids=[other.pk], on=TODAY, by=None)
    with django_capture_on_commit_callbacks(execute=True):
        from .conftest import add_member

        son = add_member(h, 30)  # a working-age member joins
    assert current(h).klass == KEY
    with django_capture_on_commit_callbacks(execute=True):
        son.willing_to_accept_help = False
        son.save()
    assert current(h).klass == SAFETY
    with django_capture_on_commit_callbacks(execute=True):
        son.willing_to_accept_help = True
        son.save()
    assert current(h).klass == KEY
    with django_capture_on_commit_callbacks(execute=True):
        Membership.objects.filter(person=son).update(end_date=TODAY)  # no signal: bulk update
        m = Membership.objects.get(person=son)
        m.end_reason = "迁出"
        m.save()
    assert current(h).klass == SAFETY
    # Only the household touched was recomputed.
    assert HouseholdClassification.objects.filter(household=other).count() == 1


def test_an_override_stands_until_released(village_a, cw_baisha, ca_pengjiang):
    h = dibao_household(village_a, cw_baisha, {"age": 40})
    classification_recompute(household_ids=[h.pk], on=TODAY, by=None)
    with signals_caught() as got:
        row = classification_override(
            household=h, klass=SAFETY, reason="长期患病，实际无法务工", by=ca_pengjiang
        )
    assert got == [[Change(h.pk, KEY, SAFETY)]]
    assert (row.klass, row.rule_class, row.overridden, row.override_by) == (
        SAFETY,
        KEY,
        True,
        ca_pengjiang,
    )
    # The rule now says safety net too, then key target again: the override's class stays,
    # the rule's verdict is recorded.
    Person.objects.filter(memberships__household=h).update(willing_to_accept_help=False)
    assert classification_recompute(household_ids=[h.pk], on=TODAY, by=None) == []
    row = current(h)
    assert (row.klass, row.rule_class, row.overridden, row.override_reason) == (
        SAFETY,
        SAFETY,
        True,
        "长期患病，实际无法务工",
    )
    Person.objects.filter(memberships__household=h).update(willing_to_accept_help=True)
    assert classification_recompute(household_ids=[h.pk], on=TODAY, by=None) == []
    assert (current(h).klass, current(h).rule_class) == (SAFETY, KEY)
    released = classification_release(household=h, by=ca_pengjiang)
    assert (released.klass, released.overridden) == (KEY, False)
    assert HouseholdClassification.objects.filter(household=h).count() == 5


def test_override_needs_a_district_reviewer_of_the_area_and_a_reason(
    village_a, cw_baisha, ca_taishan, ca_pengjiang
):
    h = dibao_household(village_a, cw_baisha, {"age": 40})
    classification_recompute(household_ids=[h.pk], on=TODAY, by=None)
    for user in (cw_baisha, ca_taishan):
        with pytest.raises(PermissionDenied):
            classification_override(household=h, klass=SAFETY, reason="x", by=user)
    with pytest.raises(ValidationError) as e:
        classification_override(household=h, klass="other", reason=" ", by=ca_pengjiang)
    assert set(e.value.message_dict) == {"klass", "reason"}
    assert HouseholdClassification.objects.filter(household=h).count() == 1


def test_the_nightly_task_classifies_everyone(village_a, cw_baisha):
    h = dibao_household(village_a, cw_baisha, {"age": 40})
    assert classify_all.run() == {"changed": 1}
    assert current(h).klass == KEY
    assert classify_all.run() == {"changed": 0}


def test_a_birthday_moves_a_household_on_the_night_it_happens(village_a, cw_baisha):
    h = dibao_household(village_a, cw_baisha, {"age": 59, "labour_capacity_assessed": "full"})
    classification_recompute(on=TODAY, by=None)
    assert current(h).klass == KEY
    assert classification_recompute(on=TODAY + dt.timedelta(days=366), by=None) == [
        Change(h.pk, KEY, SAFETY)
    ]


# --------------------------------------------------------------------------- preview


@pytest.fixture
def world(village_a, village_taicheng, cw_baisha, cw_taicheng):  # type: ignore[no-untyped-def]
    return {
        "pj_45": dibao_household(village_a, cw_baisha, {"age": 45}),
        "pj_30": dibao_household(village_a, cw_baisha, {"age": 30}),
        "pj_62": dibao_household(
            village_a, cw_baisha, {"age": 62, "labour_capacity_assessed": "partial"}
        ),
        "ts_45": dibao_household(village_taicheng, cw_taicheng, {"age": 45}),
        "not_dibao": household_of(village_a, {"age": 45}),
    }


def test_preview_counts_per_district_without_writing(world, data_admin):
    proposed = RuleParams(
        min_age=18, max_age=40, capacities=("full", "partial"), students_count=False
    )
    with CaptureQueriesContext(connection) as ctx:
        rows = classification_preview(user=data_admin, proposed=proposed, on=TODAY)
    assert not [
        q
        for q in ctx.captured_queries
        if ("INSERT" in q["sql"] or "UPDATE" in q["sql"])
        and not q["sql"].startswith("INSERT INTO poverty_subjects_tmp")
    ]
    by_county = {r.county: r for r in rows}
    pj, ts = by_county["蓬江区"], by_county["台山市"]
    assert (pj.households, pj.key_now, pj.key_then, pj.to_key_target, pj.to_safety_net) == (
        3,
        2,
        1,
        0,
        1,
    )
    assert (ts.households, ts.to_safety_net, ts.changing) == (1, 1, 1)
    assert not HouseholdClassification.objects.exists()
    wider = RuleParams(min_age=16, max_age=64, capacities=("full", "partial"), students_count=False)
    pj = {r.county: r for r in classification_preview(user=data_admin, proposed=wider, on=TODAY)}[
        "蓬江区"
    ]
    assert (pj.to_key_target, pj.to_safety_net) == (1, 0)


def test_preview_is_scoped(world, ca_pengjiang):
    proposed = RuleParams(min_age=18, max_age=40, capacities=("full",), students_count=False)
    rows = classification_preview(user=ca_pengjiang, proposed=proposed, on=TODAY)
    assert [r.county for r in rows] == ["蓬江区"]
    assert region("440703").pk == rows[0].county_id


def test_nothing_to_classify(village_a, cw_baisha):
    assert classification_recompute(household_ids=[], on=TODAY, by=None) == []
    from poverty import hooks

    empty = lambda: DibaoCase.objects.none().values("household_id")  # noqa: E731
    saved = list(hooks.subject_sources)
    hooks.subject_sources[:] = [empty]
    try:
        assert classification_recompute(on=TODAY, by=None) == []
    finally:
        hooks.subject_sources[:] = saved
    hooks.subject_sources.clear()
    try:
        assert classification_recompute(on=TODAY, by=None) == []  # no source: touch nothing
    finally:
        hooks.subject_sources[:] = saved


def test_a_failing_recompute_never_fails_the_member_edit(
    village_a, cw_baisha, django_capture_on_commit_callbacks, caplog
):
    h = dibao_household(village_a, cw_baisha, {"age": 40})
    ClassificationRule.objects.all().delete()  # no rule in force: the recompute fails
    with django_capture_on_commit_callbacks(execute=True):
        from .conftest import add_member

        add_member(h, 30)
    assert "recomputing the classification" in caplog.text
    assert not HouseholdClassification.objects.exists()
