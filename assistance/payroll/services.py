"""Monthly dibao payroll: build (set-based, idempotent), approve (locks it), bank-file export.

One line per paid case and month. A case is paid for month M when its payments have started
(`payment_start_month <= M`), it is confirmed, active or under review (or suspended/terminated
with a `payment_stop_month` after M), and the benefit ledger has an award in force for M (the
latest `BenefitAward` with `effective_month <= M`, total > 0). The line carries the award's base
and supplements, the month's price subsidy (`price_subsidy_pct` % of the standard in force for the
county and the household's hukou, × the award's members, when M's CPI is above
`price_trigger_pct`) and the monthly total rounded once by `policy.monthly_total`.

The build is a handful of queries whatever the number of cases: one SELECT of the candidates
(latest award by a LATERAL lookup on the award index), the amounts computed in Python with the
policy functions, the lines COPYed into a temporary table, then one DELETE (cases no longer paid),
one UPDATE (amounts or payee changed) and one INSERT … ON CONFLICT DO NOTHING (new cases) against
the payroll's lines, all in one transaction with the payroll row locked. An approved payroll is
locked: building it again is refused and nothing changes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql

from assistance import notify
from assistance.dibao.workflow import DIBAO
from assistance.models import BenefitAward, DibaoCase, Payroll, PayrollLine
from assistance.payroll import selectors as payroll_selectors
from assistance.payroll.workflow import PAYROLL
from assistance.permissions import APPROVE_PAYROLL, BUILD_PAYROLL
from assistance.policy import selectors as policy_data
from assistance.policy.rules import monthly_total
from core import exports
from core.job_progress import job_progress_writer  # noqa: F401  (tasks use it from here)
from core.models import Job, Region, User
from core.money import HUNDRED, ZERO, fen
from core.months import month_start
from core.services import require_perm, require_region
from households.models import Household, Membership, Person

log = logging.getLogger(__name__)

S = DibaoCase.Status
JOB_KIND = payroll_selectors.JOB_KIND
PAID_STATUSES = (S.CONFIRMED, S.ACTIVE, S.UNDER_REVIEW)
STOPPED_STATUSES = (S.SUSPENDED, S.TERMINATED)
# The bank file's columns: a fixed interface with the bank, Chinese whatever the UI language.
BANK_FILE_HEADERS = ["序号", "案件编号", "收款人姓名", "开户银行", "银行账号", "金额（元）"]
CONTENT_TYPES = exports.CONTENT_TYPES
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class BuildResult:
    payroll: Payroll
    added: int
    updated: int
    removed: int
    unchanged: int
    elsewhere: int  # paid this month by another district's payroll (household moved): skipped

    def as_json(self) -> dict:
        return {
            "payroll": self.payroll.pk,
            "lines": self.payroll.line_count,
            "total": str(self.payroll.total),
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "elsewhere": self.elsewhere,
        }


def _check_county(county: Region) -> None:
    if county.level != Region.Level.COUNTY:
        raise ValidationError({"county": [_("A payroll is built for a district.")]})


def _locked_message(payroll: Payroll) -> str:
    return _(
        "The payroll of %(county)s for %(month)s was approved on %(at)s and is locked: "
        "it cannot be built again."
    ) % {
        "county": payroll.county.name,
        "month": payroll.month.strftime("%Y-%m"),
        "at": timezone.localtime(payroll.approved_at).strftime("%Y-%m-%d %H:%M")
        if payroll.approved_at
        else "?",
    }


# ----------------------------------------------------------------------------- jobs and progress


def payroll_build_start(*, county: Region, month: dt.date, by: User) -> Job:
    """Check, create the Job and the payroll row (shown as "building"), and enqueue the build
    after commit. Refuses at once for a locked (approved) payroll."""
    from assistance.payroll.tasks import build_payroll  # tasks import this module

    require_perm(by, BUILD_PAYROLL)
    require_region(by, county)
    _check_county(county)
    month = month_start(month)
    with transaction.atomic():
        payroll, _created = Payroll.objects.get_or_create(
            county=county, month=month, defaults={"status": Payroll.Status.BUILDING}
        )
        payroll = Payroll.objects.select_for_update().select_related("county").get(pk=payroll.pk)
        if payroll.status == Payroll.Status.APPROVED:
            raise ValidationError(_locked_message(payroll), code="locked")
        PAYROLL.check(payroll, "build", by)  # level and scope, before a job is queued
        job = Job.objects.create(
            kind=JOB_KIND,
            region=county,
            created_by=by,
            progress_total=4,
            result={"payroll": payroll.pk, "month": month.isoformat()},
        )
        payroll.job = job
        payroll.save(update_fields=["job"])
        args = (job.pk, county.pk, month.isoformat(), by.pk)
        transaction.on_commit(lambda: build_payroll.delay(*args))
    return job


# ----------------------------------------------------------------------------- the build


def _candidates_sql() -> sql.Composed:
    """The cases paid in a month with their award in force and payee. Written for hash joins
    (the villages as an array, the latest award per case by DISTINCT ON): at 100,000 cases,
    nested loops of index probes were twice as slow."""
    t = {
        "case": DibaoCase._meta.db_table,
        "household": Household._meta.db_table,
        "award": BenefitAward._meta.db_table,
        "membership": Membership._meta.db_table,
        "person": Person._meta.db_table,
    }
    return sql.SQL(
        """
        SELECT c.id, a.id, a.base_amount, a.supplement_amount, a.members, h.hukou_type,
               COALESCE(p.name, ''), COALESCE(p.bank_name, ''), COALESCE(p.bank_account, '')
        FROM {case} c
        JOIN {household} h ON h.id = c.household_id
        JOIN (
            SELECT DISTINCT ON (aw.case_id)
                   aw.case_id, aw.id, aw.base_amount, aw.supplement_amount, aw.members, aw.total
            FROM {award} aw
            WHERE aw.effective_month <= %(month)s
            ORDER BY aw.case_id, aw.effective_month DESC, aw.id DESC
        ) a ON a.case_id = c.id
        LEFT JOIN {person} p ON p.id = COALESCE(
            c.single_person_id,
            c.applicant_id,
            (SELECT m.person_id FROM {membership} m
             WHERE m.household_id = h.id AND m.relation = 'head' AND m.end_date IS NULL
             LIMIT 1)
        )
        WHERE h.village_id = ANY(%(villages)s)
          AND c.payment_start_month IS NOT NULL
          AND c.payment_start_month <= %(month)s
          AND (
            (c.status = ANY(%(paid)s)
             AND (c.payment_stop_month IS NULL OR c.payment_stop_month > %(month)s))
            OR (c.status = ANY(%(stopped)s) AND c.payment_stop_month > %(month)s)
          )
          AND a.total > 0
        ORDER BY c.id
        """
    ).format(**{k: sql.Identifier(v) for k, v in t.items()})


STAGE_COLUMNS = (
    "case_id",
    "award_id",
    "payee_name",
    "bank_name",
    "bank_account",
    "members",
    "base_amount",
    "supplement_amount",
    "price_subsidy",
    "total",
)


def _price_subsidy_rule(county: Region, month: dt.date) -> Callable[[str, int], Decimal]:
    """(hukou, members) → the month's price subsidy; zero unless the month's CPI is above the
    trigger. The standard is read only when the subsidy applies."""
    cpi = policy_data.cpi_on(month)
    trigger = policy_data.parameter("price_trigger_pct", month)
    if cpi is None or cpi <= trigger:
        return lambda hukou, members: ZERO
    pct = policy_data.parameter("price_subsidy_pct", month)
    standard = policy_data.standard_on(county, month)
    cache: dict[tuple[str, int], Decimal] = {}

    def subsidy(hukou: str, members: int) -> Decimal:
        key = (hukou, members)
        if key not in cache:
            # The same expression as policy.compute_benefit's price subsidy.
            cache[key] = fen(standard.amount_for(hukou) * pct / HUNDRED * Decimal(members))
        return cache[key]

    return subsidy


_COPY_TEXT = str.maketrans({"\\": "\\\\", "\t": " ", "\n": " ", "\r": " "})


def _line_text(v: str) -> str:
    """A string for COPY's text format (backslash doubled; tabs and line breaks → spaces)."""
    return v.translate(_COPY_TEXT)


@transaction.atomic
def payroll_build(
    *,
    county: Region,
    month: dt.date,
    by: User | None,
    job: Job | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build (or rebuild) the draft payroll of `county` for `month`; see the module docstring.

    `by` None is the system (the monthly beat job); a user needs `assistance.add_payroll` in the
    county. Re-running adds newly paid cases, updates lines whose amounts or payee changed and
    removes lines of cases no longer paid; an approved payroll is refused (nothing changes)."""
    if by is not None:
        require_perm(by, BUILD_PAYROLL)
        require_region(by, county)
    _check_county(county)
    month = month_start(month)
    say = progress or (lambda done, total, message: None)
    steps = 4

    payroll, _created = Payroll.objects.get_or_create(
        county=county, month=month, defaults={"status": Payroll.Status.BUILDING}
    )
    payroll = Payroll.objects.select_for_update().select_related("county").get(pk=payroll.pk)
    if payroll.status == Payroll.Status.APPROVED:
        raise ValidationError(_locked_message(payroll), code="locked")
    subsidy = _price_subsidy_rule(county, month)

    say(0, steps, _("Selecting the cases to pay"))
    villages = list(
        Region.objects.filter(path__startswith=county.path, level=Region.Level.VILLAGE).values_list(
            "id", flat=True
        )
    )
    with connection.cursor() as cur:
        cur.execute(
            _candidates_sql(),
            {
                "month": month,
                "villages": villages,
                "paid": list(PAID_STATUSES),
                "stopped": list(STOPPED_STATUSES),
            },
        )
        rows = cur.fetchall()

    say(1, steps, _("Computing %(n)s lines") % {"n": f"{len(rows):,}"})
    buf = []
    for case_id, award_id, base, supp, members, hukou, payee, bank, account in rows:
        ps = subsidy(hukou, members)
        total = monthly_total(base, supp, ps)
        buf.append(
            f"{case_id}\t{award_id}\t{_line_text(payee)}\t{_line_text(bank)}\t"
            f"{_line_text(account)}\t{members}\t{base}\t{supp}\t{ps}\t{total}\n"
        )

    say(2, steps, _("Writing the lines"))
    line_t = sql.Identifier(PayrollLine._meta.db_table)
    stage = sql.Identifier("payroll_stage")
    params: dict[str, Any] = {"payroll": payroll.pk, "month": month}
    changed_cols = sql.SQL(", ").join(sql.Identifier(c) for c in STAGE_COLUMNS[1:])
    with connection.cursor() as cur:
        cur.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(stage))
        cur.execute(
            sql.SQL(
                "CREATE TEMP TABLE {} (case_id integer PRIMARY KEY, award_id integer, "
                "payee_name text, bank_name text, bank_account text, members smallint, "
                "base_amount numeric(12,2), supplement_amount numeric(12,2), "
                "price_subsidy numeric(12,2), total numeric(12,2)) ON COMMIT DROP"
            ).format(stage)
        )
        with cur.cursor.copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(
                stage, sql.SQL(", ").join(sql.Identifier(c) for c in STAGE_COLUMNS)
            )
        ) as cp:
            for i in range(0, len(buf), 20_000):
                cp.write("".join(buf[i : i + 20_000]))
        del buf
        cur.execute(sql.SQL("ANALYZE {}").format(stage))
        # Cases no longer paid this month.
        cur.execute(
            sql.SQL(
                "DELETE FROM {line} l WHERE l.payroll_id = %(payroll)s "
                "AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE s.case_id = l.case_id)"
            ).format(line=line_t, stage=stage),
            params,
        )
        removed = cur.rowcount
        # Lines whose award, payee or amounts changed (a draft is never approved line by line).
        cur.execute(
            sql.SQL(
                "UPDATE {line} l SET ({cols}) = ({scols}) FROM {stage} s "
                "WHERE l.payroll_id = %(payroll)s AND l.case_id = s.case_id "
                "AND ({lcols}) IS DISTINCT FROM ({scols})"
            ).format(
                line=line_t,
                stage=stage,
                cols=changed_cols,
                scols=sql.SQL(", ").join(
                    sql.SQL("s.") + sql.Identifier(c) for c in STAGE_COLUMNS[1:]
                ),
                lcols=sql.SQL(", ").join(
                    sql.SQL("l.") + sql.Identifier(c) for c in STAGE_COLUMNS[1:]
                ),
            ),
            params,
        )
        updated = cur.rowcount
        # New cases. A line for the same case and month in another district's payroll (the
        # household moved) wins: the case is never paid twice for a month.
        cur.execute(
            sql.SQL(
                "INSERT INTO {line} (payroll_id, month, case_id, {cols}) "
                "SELECT %(payroll)s, %(month)s, s.case_id, {scols} FROM {stage} s "
                "WHERE NOT EXISTS (SELECT 1 FROM {line} l "
                "WHERE l.payroll_id = %(payroll)s AND l.case_id = s.case_id) "
                "ORDER BY s.case_id "
                "ON CONFLICT (case_id, month) DO NOTHING"
            ).format(
                line=line_t,
                stage=stage,
                cols=changed_cols,
                scols=sql.SQL(", ").join(
                    sql.SQL("s.") + sql.Identifier(c) for c in STAGE_COLUMNS[1:]
                ),
            ),
            params,
        )
        added = cur.rowcount
        cur.execute(
            sql.SQL(
                "SELECT count(*) FROM {stage} s JOIN {line} l "
                "ON l.case_id = s.case_id AND l.month = %(month)s AND l.payroll_id <> %(payroll)s"
            ).format(line=line_t, stage=stage),
            params,
        )
        elsewhere = cur.fetchone()[0]
        cur.execute(
            sql.SQL(
                "SELECT count(*), COALESCE(sum(total), 0) FROM {line} WHERE payroll_id = %(payroll)s"
            ).format(line=line_t),
            params,
        )
        line_count, total = cur.fetchone()

    say(3, steps, _("Totals"))
    action = "build" if by is not None else "build_scheduled"
    PAYROLL.check(payroll, action, by)
    extra: dict[str, Any] = {"job": job} if job is not None else {}
    PAYROLL.move(
        payroll,
        action,
        by,
        _("Built: %(n)s lines, %(total)s yuan") % {"n": line_count, "total": total},
        line_count=line_count,
        total=total,
        built_at=timezone.now(),
        built_by=by,
        **extra,
    )
    notify.payroll_event(payroll, action, by)
    unchanged = len(rows) - elsewhere - added - updated
    say(steps, steps, _("Done"))
    return BuildResult(payroll, added, updated, removed, unchanged, elsewhere)


# ----------------------------------------------------------------------------- approval


@transaction.atomic
def payroll_approve(*, payroll: Payroll, by: User) -> Payroll:
    """The district reviewer approves a draft payroll: locked from then on (who/when recorded).

    The payroll row is locked (select_for_update): a build running at the same time finishes
    first, and of two reviewers approving at once the second gets "already approved". Confirmed
    cases paid by it become active (one UPDATE and one INSERT of their transitions)."""
    require_perm(by, APPROVE_PAYROLL)
    locked = PAYROLL.lock(payroll, by)
    try:
        PAYROLL.check(locked, "approve", by)
    except ValidationError as e:
        if e.code != "wrong_status":
            raise
        _refuse_for_status(locked)
    if payroll_selectors.payroll_active_job(locked) is not None:
        # A rebuild queued or running may still change every line: approving now would lock
        # lines nobody has seen (the build waits for this lock, then is refused as locked).
        raise ValidationError(
            _(
                "The payroll is being built again (queued or running): approve it once the build "
                "has finished and you have checked its lines."
            ),
            code="building",
        )
    if locked.line_count == 0:
        raise ValidationError(_("The payroll has no lines: nothing to approve."), code="empty")
    PAYROLL.move(locked, "approve", by, approved_by=by, approved_at=timezone.now())
    notify.payroll_event(locked, "approve", by)
    _activate_paid_cases(locked, by)
    return locked


def _refuse_for_status(locked: Payroll) -> None:
    """Why a payroll that is not a finished draft cannot be approved, in the user's words."""
    if locked.status == Payroll.Status.APPROVED:
        raise ValidationError(
            _("This payroll was already approved by %(who)s.")
            % {"who": locked.approved_by.get_full_name() or locked.approved_by.username}
            if locked.approved_by
            else _("This payroll is already approved."),
            code="approved",
        )
    if (
        locked.status != Payroll.Status.DRAFT
        and locked.job
        and locked.job.status == Job.Status.FAILED
    ):
        raise ValidationError(
            _("The last build of this payroll failed (%(why)s): build it again, then approve it.")
            % {"why": locked.job.message},
            code="build_failed",
        )
    raise ValidationError(
        _("The payroll is still being built: approve it once the build has finished."),
        code="building",
    )


def _activate_paid_cases(payroll: Payroll, by: User) -> int:
    """Confirmed → active for the cases this approved payroll pays for the first time: the dibao
    declaration's "activate", set-based (one statement, one history row per case)."""
    return DIBAO.bulk_move(
        f"SELECT case_id FROM {PayrollLine._meta.db_table} WHERE payroll_id = %s",  # noqa: S608
        [payroll.pk],
        "activate",
        by=by,
        reason=_("Payments started: payroll %(month)s")
        % {"month": payroll.month.strftime("%Y-%m")},
    )


# ----------------------------------------------------------------------------- export


def payroll_bank_rows(payroll: Payroll) -> list[list[object]]:
    rows: list[list[object]] = []
    lines = (
        PayrollLine.objects.filter(payroll=payroll)
        .order_by("case_id")
        .values_list("case_id", "payee_name", "bank_name", "bank_account", "total")
    )
    for i, (case_id, payee, bank, account, total) in enumerate(
        lines.iterator(chunk_size=5000), start=1
    ):
        rows.append([i, f"DB{case_id:06d}", payee, bank, account, total])
    return rows


def payroll_export(payroll: Payroll, fmt: str) -> tuple[bytes, str, str]:
    """The bank file of an approved payroll: (content, content type, file name).

    Columns: row no., case no., payee, bank, account, amount (yuan, 2 decimals). csv is UTF-8 with
    a BOM (Excel), the account kept as text in xlsx (no 1.23E+18)."""
    if fmt not in CONTENT_TYPES:
        raise ValidationError({"format": [_("Choose xlsx or csv.")]})
    if payroll.status != Payroll.Status.APPROVED:
        raise ValidationError(
            _("Only an approved payroll can be exported as a bank file."), code="not_approved"
        )
    rows = payroll_bank_rows(payroll)
    name = f"payroll-{payroll.county.code}-{payroll.month:%Y-%m}.{fmt}"
    # Formula-safe (core.exports); the account stays text, the amount a 2-decimal number.
    cells = [[*r[:4], str(r[4]), Decimal(r[5]).quantize(Decimal("0.01"))] for r in rows]  # type: ignore[arg-type]
    body = exports.write_file(
        cells, headers=BANK_FILE_HEADERS, fmt=fmt, sheet_title=f"{payroll.month:%Y-%m}"
    )
    return body, CONTENT_TYPES[fmt], name
