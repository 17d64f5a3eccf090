"""Classification of dibao households (domain.md §7): a household with a member aged
min_age–max_age (policy data: poverty.ClassificationRule) whose labour capacity is counted and who
is willing to accept help is a **key assistance target**; otherwise a **safety-net** household.

Set-based: one SQL statement classifies any number of households (the nightly run: all of them)
— the members' ages, labour capacities (the default of households.models.Person.
default_labour_capacity, spelt in SQL), the reasons in words, the new history rows and the
closing of the rows they replace. Never a loop per household.

History: a household's rows are never updated in place except `current`; a new row is written
when what the rule says, the rule version or the inputs change. An override (a reviewer's, with a
reason) stands until the next override or its release: a recompute keeps its class and records
what the rule now says (`rule_class`).

Which households: the union of the sources registered in poverty.hooks (the dibao households;
transitions registers assistance's). A household that leaves every source has its current row
closed (no longer classified); that is not reported as a change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.models import Region, User
from core.scope import region_in_scope, scope_queryset
from households.ages import age_bands
from households.models import DisabilityCategory, Household, LabourCapacity
from poverty import hooks, signals
from poverty.models import ClassificationRule, HouseholdClass, HouseholdClassification
from poverty.permissions import OVERRIDE_CLASSIFICATION

K = HouseholdClass
TABLE = HouseholdClassification._meta.db_table


@dataclass(frozen=True)
class Change:
    household_id: int
    old: str | None  # None: the household had no classification yet
    new: str


@dataclass(frozen=True)
class RuleParams:
    min_age: int
    max_age: int
    capacities: tuple[str, ...]
    students_count: bool

    @classmethod
    def of(cls, rule: ClassificationRule) -> RuleParams:
        return cls(rule.min_age, rule.max_age, tuple(rule.capacities), rule.students_count)


def rule_in_force(on: dt.date) -> ClassificationRule:
    rule = ClassificationRule.objects.in_force(on).order_by("-valid_from").first()
    if rule is None:
        raise ValidationError(
            _("No classification rule is in force on %(d)s.") % {"d": on.isoformat()},
            code="no_rule",
        )
    return rule  # type: ignore[no-any-return]


def subjects(household_ids: list[int] | None = None) -> QuerySet[Household] | None:
    """The households to classify (the registered sources' union), or None when no source is
    registered (nothing is known about who is a dibao household: touch nothing)."""
    if not hooks.subject_sources:
        return None
    q = Q(pk__in=[])
    for source in hooks.subject_sources:
        q |= Q(pk__in=source())
    qs = Household.objects.filter(q)
    if household_ids is not None:
        qs = qs.filter(pk__in=household_ids)
    return qs


# ----------------------------------------------------------------------------- the SQL


def _facts_sql(
    subject_sql: str, rules: dict[str, RuleParams], on: dt.date
) -> tuple[str, dict[str, Any]]:
    """CTEs `subj` (the households) and `facts` (one row per active member: age on %(on)s,
    labour capacity, and for each named rule whether the member counts, `q_<name>`, and for the
    first rule the reason in words)."""
    p: dict[str, Any] = {}
    counts = []
    for name, r in rules.items():
        p |= {
            f"{name}_min": r.min_age,
            f"{name}_max": r.max_age,
            f"{name}_caps": list(r.capacities),
            f"{name}_students": r.students_count,
        }
        counts.append(
            f"""(b.age BETWEEN %({name}_min)s AND %({name}_max)s
                 AND b.capacity = ANY(%({name}_caps)s::varchar[])
                 AND b.willing AND (%({name}_students)s OR NOT b.in_school)) AS q_{name}"""
        )
    first = next(iter(rules))
    sql = f"""
    subj AS (SELECT id FROM poverty_subjects_tmp),
    base0 AS (
        SELECT m.household_id, p.id AS person_id, p.name, p.in_school,
               p.willing_to_accept_help AS willing,
               EXTRACT(YEAR FROM age(%(on)s::date, p.birth_date))::int AS age,
               p.labour_capacity_assessed AS assessed,
               (p.disability_grade <= 2 OR (p.disability_grade = 3
                    AND p.disability_category IN (%(intellectual)s, %(mental)s))) AS severe
        FROM subj s JOIN households_membership m ON m.household_id = s.id
        JOIN households_person p ON p.id = m.person_id
        WHERE m.end_date IS NULL AND m.start_date <= %(on)s
    ),
    base AS (
        SELECT b.*, COALESCE(NULLIF(b.assessed, ''), CASE
                   WHEN b.age < %(working_from)s OR b.age >= %(elderly_from)s OR b.in_school
                        OR COALESCE(b.severe, false) THEN %(none)s
                   ELSE %(full)s END) AS capacity
        FROM base0 b
    ),
    facts AS (
        SELECT b.*, {", ".join(counts)} FROM base b
    ),
    said AS (
        SELECT f.*, concat_ws(', ', f.name, f.age::text,
                   CASE f.capacity WHEN %(full)s THEN %(l_full)s WHEN %(partial)s
                        THEN %(l_partial)s ELSE %(l_none)s END,
                   CASE WHEN f.willing THEN %(l_willing)s ELSE %(l_unwilling)s END,
                   CASE WHEN f.in_school THEN %(l_student)s END)
               || ' → ' || CASE
                   WHEN f.q_{first} THEN %(l_key)s
                   WHEN f.age NOT BETWEEN %({first}_min)s AND %({first}_max)s THEN %(l_age)s
                   WHEN NOT f.capacity = ANY(%({first}_caps)s::varchar[]) THEN %(l_capacity)s
                   WHEN NOT f.willing THEN %(l_not_willing)s
                   ELSE %(l_in_school)s END AS reason
        FROM facts f
    )"""  # noqa: S608 - the names are ours, the subject SQL is Django's, values are parameters
    bands = age_bands(on)
    first_rule = rules[first]
    p |= {
        "on": on,
        "intellectual": DisabilityCategory.INTELLECTUAL.value,
        "mental": DisabilityCategory.MENTAL.value,
        "working_from": bands.working_from,
        "elderly_from": bands.elderly_from,
        "none": LabourCapacity.NONE.value,
        "full": LabourCapacity.FULL.value,
        "partial": LabourCapacity.PARTIAL.value,
        "l_full": _("full capacity"),
        "l_partial": _("partial capacity"),
        "l_none": _("no labour capacity"),
        "l_willing": _("willing"),
        "l_unwilling": _("unwilling"),
        "l_student": _("full-time student"),
        "l_key": _("key target"),
        "l_age": _("not aged %(min)s–%(max)s")
        % {"min": first_rule.min_age, "max": first_rule.max_age},
        "l_capacity": _("labour capacity not counted"),
        "l_not_willing": _("not willing to accept help"),
        "l_in_school": _("students do not count"),
    }
    return sql, p


def _subject_sql(qs: QuerySet[Household]) -> tuple[str, dict[str, Any]]:
    """The queryset's SQL with named parameters (so it can sit in a statement using them)."""
    try:
        sql, params = qs.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:  # e.g. no id asked for, or every source is .none()
        return "SELECT NULL::bigint AS id WHERE false", {}
    named = {f"s{i}": v for i, v in enumerate(params)}
    sql = sql.replace("%%", "\0")  # a literal % in the source's SQL, kept
    parts = sql.split("%s")
    out = parts[0] + "".join(f"%(s{i})s" + part for i, part in enumerate(parts[1:]))
    return out.replace("\0", "%%"), named


# pg_advisory_xact_lock key of the recompute ("PVCL").
ADVISORY_LOCK = 0x5056434C


def _load_subjects(cur: Any, subject_sql: str, params: dict[str, Any]) -> None:
    """The households first, in a temporary table with statistics (`subj` reads it): the
    planner then joins 300,000 households by hash instead of probing an index per member on a
    guess of 200 rows, and "no longer a subject" is an anti-join that does not depend on
    work_mem. Call inside a transaction (the table goes at commit)."""
    cur.execute("DROP TABLE IF EXISTS poverty_subjects_tmp")
    cur.execute(
        "CREATE TEMPORARY TABLE poverty_subjects_tmp (id bigint PRIMARY KEY) ON COMMIT DROP"
    )
    cur.execute(
        f"INSERT INTO poverty_subjects_tmp SELECT DISTINCT id FROM ({subject_sql}) x",  # noqa: S608
        params,
    )
    cur.execute("ANALYZE poverty_subjects_tmp")
    # One long statement: JIT compilation costs more than it saves here.
    cur.execute("SET LOCAL jit = off")


# ----------------------------------------------------------------------------- recompute


@transaction.atomic
def classification_recompute(
    *, household_ids: list[int] | None = None, on: dt.date | None = None, by: User | None
) -> list[Change]:
    """Classify the dibao households (`household_ids`, or all) by the rule in force on `on`:
    one statement. Returns the households whose class in force changed and sends
    `classification_changed` when there are any."""
    on = on or timezone.localdate()
    qs = subjects(household_ids)
    if qs is None:
        return []
    rule = rule_in_force(on)
    subject_sql, sp = _subject_sql(qs)
    # The reasons are stored in the site's language (Chinese first), whoever's request it is.
    with translation.override(settings.LANGUAGE_CODE):
        facts, p = _facts_sql(subject_sql, {"r": RuleParams.of(rule)}, on)
        no_members = _("no active members → safety net")
    p |= sp | {
        "on": on,
        "rule": rule.pk,
        "now": timezone.now(),
        "by": by.pk if by is not None else None,
        "key": K.KEY_TARGET.value,
        "safety": K.SAFETY_NET.value,
        "no_members": no_members,
        "ids": household_ids,
        "all": household_ids is None,
    }
    sql = f"""
    WITH {facts},
    hh AS (
        SELECT s.id AS household_id,
               CASE WHEN bool_or(f.q_r) THEN %(key)s ELSE %(safety)s END AS rule_class,
               COALESCE(jsonb_agg(jsonb_build_object(
                   'person', f.person_id, 'name', f.name, 'age', f.age,
                   'capacity', f.capacity, 'willing', f.willing, 'in_school', f.in_school,
                   'counts', f.q_r) ORDER BY f.person_id)
                   FILTER (WHERE f.person_id IS NOT NULL), '[]'::jsonb) AS inputs
        FROM subj s LEFT JOIN facts f ON f.household_id = s.id
        GROUP BY s.id
    ),
    -- No row locks on 300,000 current rows (each would be a heap write): recomputes are
    -- serialised by the advisory lock taken before this statement.
    cur AS (
        SELECT c.* FROM {TABLE} c JOIN subj s ON s.id = c.household_id
        WHERE c.current
    ),
    changed AS (
        SELECT hh.*, cur.id AS cur_id, cur.klass AS old_klass,
               COALESCE(cur.overridden, false) AS overridden, cur.override_by_id,
               COALESCE(cur.override_reason, '') AS override_reason,
               CASE WHEN cur.overridden THEN cur.klass ELSE hh.rule_class END AS new_klass
        FROM hh LEFT JOIN cur ON cur.household_id = hh.household_id
        WHERE cur.id IS NULL OR cur.rule_class <> hh.rule_class OR cur.rule_id <> %(rule)s
              OR cur.inputs <> hh.inputs
    ),
    -- The reasons in words only for the households that get a new row.
    rsn AS (
        SELECT f.household_id, array_agg(f.reason ORDER BY f.person_id) AS reasons
        FROM said f JOIN changed ch ON ch.household_id = f.household_id
        GROUP BY f.household_id
    ),
    closed AS (
        UPDATE {TABLE} t SET current = false FROM changed
        WHERE t.id = changed.cur_id
        RETURNING t.household_id
    ),
    -- Each new row is inserted only after the row it replaces was closed (it joins the
    -- UPDATE's output), so the one-current-row unique index never sees two.
    ins AS (
        INSERT INTO {TABLE} (household_id, klass, rule_class, rule_id, computed_on, inputs,
                             reasons, computed_at, overridden, override_by_id, override_reason,
                             current, by_id)
        SELECT ch.household_id, ch.new_klass, ch.rule_class, %(rule)s, %(on)s, ch.inputs,
               COALESCE(r.reasons, ARRAY[%(no_members)s]::text[]), %(now)s, ch.overridden,
               ch.override_by_id, ch.override_reason, true, %(by)s
        FROM changed ch LEFT JOIN closed cl ON cl.household_id = ch.household_id
        LEFT JOIN rsn r ON r.household_id = ch.household_id
        RETURNING household_id
    ),
    gone AS (
        UPDATE {TABLE} t SET current = false
        WHERE t.current AND (%(all)s OR t.household_id = ANY(%(ids)s::bigint[]))
          AND NOT EXISTS (SELECT 1 FROM subj s WHERE s.id = t.household_id)
        RETURNING t.household_id
    )
    SELECT household_id, old_klass, new_klass FROM changed
    WHERE old_klass IS DISTINCT FROM new_klass
    ORDER BY household_id
    """  # noqa: S608 - identifiers from model metadata, values are parameters
    with connection.cursor() as cur:
        # One recompute at a time (the nightly run, a member change's): waits, never clashes.
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        _load_subjects(cur, subject_sql, sp)
        cur.execute(sql, p)
        changes = [Change(h, old, new) for h, old, new in cur.fetchall()]
    if changes:
        signals.classification_changed.send(sender=Change, changes=changes, by=by)
    return changes


# ----------------------------------------------------------------------------- override


def _current(household: Household) -> HouseholdClassification:
    row = (
        HouseholdClassification.objects.select_for_update()
        .filter(household=household, current=True)
        .first()
    )
    if row is None:
        raise ValidationError(
            {"klass": [_("This household has no classification (it is not a dibao household).")]}
        )
    return row  # type: ignore[no-any-return]


def _may_override(household: Household, by: User) -> None:
    if not by.has_perm(OVERRIDE_CLASSIFICATION):
        raise PermissionDenied(_("Your role does not allow this action."))
    if not region_in_scope(by, household.village):
        raise PermissionDenied(_("This region is outside your area of responsibility."))
    if not by.is_superuser and (by.region is None or by.region.level != Region.Level.COUNTY):
        raise PermissionDenied(_("A reviewer of the district overrides a classification."))


def _replace(old: HouseholdClassification, **fields: Any) -> HouseholdClassification:
    HouseholdClassification.objects.filter(pk=old.pk).update(current=False)
    values = {
        f.name: getattr(old, f.name)
        for f in HouseholdClassification._meta.concrete_fields
        if f.name not in ("id",)
    }
    values |= {"computed_at": timezone.now(), "current": True} | fields
    return HouseholdClassification.objects.create(**values)


@transaction.atomic
def classification_override(
    *, household: Household, klass: str, reason: str, by: User
) -> HouseholdClassification:
    """A civil-affairs or poverty-office reviewer of the district sets the household's class,
    with a reason; it stands until the next override or its release."""
    household = Household.objects.select_related("village").get(pk=household.pk)
    _may_override(household, by)
    errors: dict[str, list[str]] = {}
    if klass not in K.values:
        errors["klass"] = [_("Choose the class.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason for the override.")]
    if errors:
        raise ValidationError(errors)
    old = _current(household)
    row = _replace(
        old, klass=klass, overridden=True, override_by=by, override_reason=reason.strip(), by=by
    )
    if old.klass != klass:
        signals.classification_changed.send(
            sender=Change, changes=[Change(household.pk, old.klass, klass)], by=by
        )
    return row


@transaction.atomic
def classification_release(*, household: Household, by: User) -> HouseholdClassification:
    """End the override: the class is what the rule says again."""
    household = Household.objects.select_related("village").get(pk=household.pk)
    _may_override(household, by)
    old = _current(household)
    if not old.overridden:
        raise ValidationError(
            {"klass": [_("The classification is not overridden.")]}, code="wrong_status"
        )
    row = _replace(
        old, klass=old.rule_class, overridden=False, override_by=None, override_reason="", by=by
    )
    if old.klass != row.klass:
        signals.classification_changed.send(
            sender=Change, changes=[Change(household.pk, old.klass, row.klass)], by=by
        )
    return row


# ----------------------------------------------------------------------------- reads


def classification_current(*, user: User, household: Household) -> HouseholdClassification | None:
    if not region_in_scope(user, household.village):
        return None
    return (
        HouseholdClassification.objects.filter(household=household, current=True)
        .select_related("override_by", "rule")
        .first()
    )


@dataclass(frozen=True)
class PreviewRow:
    county_id: int | None
    county: str
    households: int
    key_now: int
    key_then: int
    to_key_target: int
    to_safety_net: int

    @property
    def changing(self) -> int:
        return self.to_key_target + self.to_safety_net


def classification_preview(
    *, user: User, proposed: RuleParams, on: dt.date | None = None
) -> list[PreviewRow]:
    """How many of the user's dibao households would change class, per district, if the rule's
    parameters were `proposed` (against the rule in force on `on`): one read-only statement.
    It compares what the two rules say; overrides, which a rule change does not touch, aside."""
    on = on or timezone.localdate()
    qs = subjects()
    if qs is None:
        return []
    qs = scope_queryset(qs, user, region_field="village")
    rule = rule_in_force(on)
    subject_sql, sp = _subject_sql(qs)
    facts, p = _facts_sql(subject_sql, {"now": RuleParams.of(rule), "then": proposed}, on)
    p |= sp | {"on": on, "county_len": Region.CODE_LENGTH[Region.Level.COUNTY]}
    sql = f"""
    WITH {facts},
    hh AS (
        SELECT s.id, COALESCE(bool_or(f.q_now), false) AS key_now,
               COALESCE(bool_or(f.q_then), false) AS key_then
        FROM subj s LEFT JOIN facts f ON f.household_id = s.id GROUP BY s.id
    )
    SELECT c.id, c.name, count(*),
           count(*) FILTER (WHERE hh.key_now), count(*) FILTER (WHERE hh.key_then),
           count(*) FILTER (WHERE hh.key_then AND NOT hh.key_now),
           count(*) FILTER (WHERE hh.key_now AND NOT hh.key_then)
    FROM hh JOIN households_household h ON h.id = hh.id
    JOIN core_region v ON v.id = h.village_id
    LEFT JOIN core_region c ON c.code = substr(v.code, 1, %(county_len)s)
    GROUP BY c.id, c.name, c.code ORDER BY c.code
    """  # noqa: S608
    with transaction.atomic(), connection.cursor() as cur:
        _load_subjects(cur, subject_sql, sp)
        cur.execute(sql, p)
        return [PreviewRow(*row) for row in cur.fetchall()]
