"""Return-to-poverty monitoring (防返贫, domain.md §7): the monthly run and closing a case.

Each rule in force (transitions.models.MonitoringRule, policy data) is one INSERT … SELECT over
the register and the latest datasets, with the history rows of the cases it opens in the same
statement. Idempotent: a household with an open case for the rule gets no second one (and an
event — a disaster, a sudden serious illness — never opens two, even after the first is
closed); the partial unique indexes make that hold when two runs race, too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models import Programme
from assistance.programmes.workflow import TemporaryCause
from core.calendar import add_working_days
from core.models import User
from poverty.models import PovertyLine, PovertyRecord
from transitions.models import MonitoringCase, MonitoringRule
from verification.datasets.selectors import current_snapshots

from .workflow import MONITORING

K = MonitoringRule.Kind
EXITED = PovertyRecord.Status.EXIT_CONFIRMED
INCOME_KIND = "employment"  # the dataset the income rule reads (monthly wages)

# The cases a rule opens (`hit`: household_id, trigger, detail) and their history rows.
_INSERT = """
, new AS (
    INSERT INTO transitions_monitoringcase
        (household_id, village_id, rule, trigger, detail, status, opened_on, due_on,
         outcome, reason, version)
    SELECT h.id, h.village_id, %(rule)s, hit.trigger, hit.detail, 'open', %(on)s, %(due)s,
           '', '', 0
    FROM hit JOIN households_household h ON h.id = hit.household_id
    WHERE NOT EXISTS (
        SELECT 1 FROM transitions_monitoringcase m
        WHERE m.household_id = h.id AND m.rule = %(rule)s AND m.status = 'open'
    )
    ON CONFLICT DO NOTHING
    RETURNING id
)
INSERT INTO transitions_monitoringcasetransition
    (case_id, action, from_status, to_status, by_id, at, reason)
SELECT id, 'open', '', 'open', NULL, %(at)s, %(why)s FROM new
"""

# Exited households whose members' wages (the current employment dataset, × 12) per member are
# below the monitoring line (the rule's multiple × the poverty line in force).
_INCOME = """
WITH members AS (
    SELECT m.household_id, p.id_number
    FROM households_membership m
    JOIN households_person p ON p.id = m.person_id
    JOIN poverty_povertyrecord r ON r.household_id = m.household_id AND r.status = %(exited)s
    WHERE m.end_date IS NULL
), income AS (
    SELECT mb.household_id, count(DISTINCT mb.id_number) AS persons,
           coalesce(sum(e.monthly_salary), 0) * 12 AS yearly
    FROM members mb
    LEFT JOIN verification_record_employment e
           ON e.snapshot_id = %(snapshot)s AND e.id_number = mb.id_number
    GROUP BY mb.household_id
), hit AS (
    SELECT household_id, ''::text AS trigger,
           jsonb_build_object('per_capita_income', round(yearly / persons, 2)::text,
                              'line', %(line)s::text, 'snapshot', %(snapshot)s) AS detail
    FROM income
    WHERE persons > 0 AND yearly / persons < %(line)s
)"""

# Compliant out-of-pocket medical costs of the medical-aid applications in the look-back
# window, summed per household, above the threshold (one for exited households, one for others).
_MEDICAL = """
WITH cost AS (
    SELECT household_id, sum((details->>'compliant_out_of_pocket')::numeric) AS total
    FROM assistance_programmecase
    WHERE programme = %(medical)s AND status <> 'refused'
      AND applied_on > %(since)s AND applied_on <= %(on)s
      AND details->>'compliant_out_of_pocket' ~ '^[0-9]+(\\.[0-9]+)?$'
    GROUP BY household_id
), hit AS (
    SELECT c.household_id, ''::text AS trigger,
           jsonb_build_object('out_of_pocket', c.total::text, 'exited', r.id IS NOT NULL,
                              'threshold', CASE WHEN r.id IS NOT NULL THEN %(exited_t)s
                                                ELSE %(other_t)s END::text) AS detail
    FROM cost c
    LEFT JOIN poverty_povertyrecord r ON r.household_id = c.household_id AND r.status = %(exited)s
    WHERE c.total > CASE WHEN r.id IS NOT NULL THEN %(exited_t)s ELSE %(other_t)s END
)"""

# A disaster-aid application, or temporary assistance for a sudden serious illness, whose event
# (or application) falls in the look-back window: one case per event.
_HARDSHIP = """
WITH hit AS (
    SELECT DISTINCT ON (household_id) household_id, 'programme:' || id AS trigger,
           jsonb_build_object('programme', programme, 'cause', cause,
                              'event_date', coalesce(event_date, applied_on)::text,
                              'programme_case', id) AS detail
    FROM assistance_programmecase pc
    WHERE (programme = %(disaster)s OR (programme = %(temporary)s AND cause = %(illness)s))
      AND status <> 'refused'
      AND coalesce(event_date, applied_on) > %(since)s
      AND coalesce(event_date, applied_on) <= %(on)s
      AND NOT EXISTS (
          SELECT 1 FROM transitions_monitoringcase m
          WHERE m.household_id = pc.household_id AND m.rule = %(rule)s
            AND m.trigger = 'programme:' || pc.id
      )
    ORDER BY household_id, coalesce(event_date, applied_on), id
)"""


def _with_insert(hits: str) -> str:
    """A rule's statement: its `hit` CTE, then the cases' and their history's INSERT."""
    return "".join((hits, _INSERT))


SQL = {
    K.INCOME: _with_insert(_INCOME),
    K.MEDICAL: _with_insert(_MEDICAL),
    K.HARDSHIP: _with_insert(_HARDSHIP),
}


def _params(rule: MonitoringRule, on: dt.date) -> dict[str, Any] | None:
    """The statement's parameters, or None when the rule cannot run (no data to run on)."""
    p: dict[str, Any] = {
        "rule": rule.kind,
        "on": on,
        "since": on - dt.timedelta(days=rule.lookback_days),
        "due": add_working_days(on, rule.deadline_working_days),
        "at": timezone.now(),
        "why": _("Monitoring rule: %(rule)s") % {"rule": rule.get_kind_display()},
        "exited": EXITED,
    }
    if rule.kind == K.INCOME:
        snapshot = current_snapshots().get(INCOME_KIND)
        line = PovertyLine.objects.in_force(on).order_by("-valid_from").first()
        if snapshot is None or line is None or rule.threshold is None:
            return None
        p["snapshot"] = snapshot.pk
        p["line"] = (rule.threshold * line.yuan_per_year).quantize(line.yuan_per_year)
    elif rule.kind == K.MEDICAL:
        if rule.threshold is None:
            return None
        p["medical"] = Programme.MEDICAL
        p["exited_t"] = rule.threshold
        p["other_t"] = rule.threshold_other if rule.threshold_other is not None else rule.threshold
    else:
        p["disaster"] = Programme.DISASTER
        p["temporary"] = Programme.TEMPORARY
        p["illness"] = TemporaryCause.SERIOUS_ILLNESS
    return p


def monitoring_run(*, on: dt.date | None = None) -> dict[str, int]:
    """Run every monitoring rule in force on `on` (today): {rule: cases opened}. One
    transaction and one statement per rule; safe to run again."""
    on = on or timezone.localdate()
    opened: dict[str, int] = {}
    for rule in MonitoringRule.objects.in_force(on).order_by("kind", "-valid_from"):
        if rule.kind in opened:
            continue
        params = _params(rule, on)
        if params is None:
            opened[rule.kind] = 0
            continue
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(SQL[K(rule.kind)], params)
            opened[rule.kind] = cur.rowcount
    return opened


@transaction.atomic
def monitoring_case_close(
    *,
    case: MonitoringCase,
    outcome: str,
    reason: str,
    by: User,
    version: int | None = None,
) -> MonitoringCase:
    """The caseworker's assessment: the case closed with its outcome and reason (history row:
    who, when, open → closed, why). `version`: the one the user saw (a stale page is refused)."""
    locked = MONITORING.lock(case, by)
    MONITORING.check(locked, "close", by)
    if version is not None and locked.version != version:
        raise ValidationError(
            _("Someone else has changed this case meanwhile; reload the page."),
            code="wrong_status",
        )
    errors = {}
    if outcome not in MonitoringCase.Outcome.values:
        errors["outcome"] = [_("Choose the outcome.")]
    if not reason.strip():
        errors["reason"] = [_("Give the reason.")]
    if errors:
        raise ValidationError(errors)
    return MONITORING.move(
        locked,
        "close",
        by,
        reason.strip(),
        outcome=outcome,
        reason=reason.strip(),
        closed_on=timezone.localdate(),
        closed_by=by,
        version=locked.version + 1,
    )
