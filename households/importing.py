"""Household/person spreadsheet import: all or nothing, with a row-by-row error report.

In the browser the import runs as a background job (`household_import_start` saves the file and
enqueues `households.tasks.import_households`, which calls `household_import_run`); the page
polls the job's progress, then shows the counts or the row report (downloadable as xlsx).

    report = households_import(stream=open("户籍.xlsx", "rb"), filename="户籍.xlsx", by=user)

The file is streamed, whatever its size (households.tabular: csv decoded as detected, UTF-8 or
GB18030; calamine for xlsx/xls/ods), one row at a time: each row's cells are mapped and cleaned
by `households.resources.PersonResource` and the row is COPYed into a temporary staging table,
so memory does not grow with the file. The checks that need the whole file — rows of one
户编号 agreeing, one head per household, ID numbers repeated in the file or already registered,
villages known and in the importer's scope — are set-based queries on that table. Only a file
without errors is written: households, persons, memberships and their creation history rows
(naming the importing user, reason "spreadsheet import") by INSERT … SELECT from the staging
table, in batches of whole households for the progress bar, all in one transaction. The report
lists every bad row as (spreadsheet row, column, value, message), the header being row 1.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import exports
from core.job_progress import Progress, job_finish, job_progress_writer
from core.models import Job, Region, User
from core.scope import region_in_scope
from core.services import require_perm
from households.permissions import IMPORT_HOUSEHOLDS

from . import tabular
from .idnumber import parse_id_number
from .models import EmploymentStatus, Household, HouseholdImport, Membership, Person
from .resources import (
    COLUMNS,
    COLUMNS_BY_KEY,
    REQUIRED_KEYS,
    CellError,
    PersonResource,
    header_key,
    normalise_header,
)

logger = logging.getLogger(__name__)

# Sanity limits (settings, so a deployment can move them): far beyond a district's register.
MAX_ROWS: int = getattr(settings, "HOUSEHOLD_IMPORT_MAX_ROWS", 1_000_000)
MAX_BYTES: int = getattr(settings, "HOUSEHOLD_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
JOB_KIND = "households.import"
WRITE_BATCH = 10_000  # persons per round of INSERT … SELECT (one progress step)
PROGRESS_EVERY = 1_000  # rows checked between progress writes
MAX_REPORT_ERRORS = 50_000  # kept on the job (the page shows the first REPORT_PAGE)
MAX_ERRORS_HELD = 200_000  # held in memory while checking; beyond, only counted
REPORT_PAGE = 500
HOUSEHOLD_KEYS = tuple(c.key for c in COLUMNS if c.household_level and c.key != "household_key")
REQUIRED_PER_ROW = ("household_key", "relation", "name", "id_number")
PERSON_KEYS = tuple(c.key for c in COLUMNS if not c.household_level and c.key != "relation")

ROWS = "household_import_rows"  # the staging tables: temporary, this session and transaction only
GROUPS = "household_import_groups"


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row as the user sees it (header = 1); 0 = the file as a whole
    column: str  # the column header, "" when the message is about the row or the file
    message: str
    value: str = ""  # the cell as it was in the file ("" for row or file messages)


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0  # data rows read (blank rows not counted)
    households: int = 0  # written (0 unless ok)
    persons: int = 0
    encoding: str = ""  # how a csv was decoded
    dry_run: bool = False
    errors_total: int = 0  # errors found (more than `errors` holds for a hopeless file)
    _bad_rows: set[int] = field(default_factory=set, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors_total

    @property
    def bad_rows(self) -> list[int]:
        return sorted(self._bad_rows)

    def add(self, row: int, column: str, message: str, value: str = "") -> None:
        self.errors_total += 1
        self._bad_rows.add(row)
        if len(self.errors) < MAX_ERRORS_HELD:
            self.errors.append(RowError(row, column, str(message), value))

    def clear(self) -> None:
        self.errors.clear()
        self._bad_rows.clear()
        self.errors_total = 0

    def as_json(self) -> dict[str, Any]:
        """What the job keeps (Job.result) for its page and the downloadable report."""
        return {
            "ok": self.ok,
            "rows": self.rows,
            "households": self.households,
            "persons": self.persons,
            "encoding": self.encoding,
            "dry_run": self.dry_run,
            "bad_rows": len(self._bad_rows),
            "errors": [asdict(e) for e in self.errors[:MAX_REPORT_ERRORS]],
            "errors_total": self.errors_total,
        }


class FileError(Exception):
    """The file as a whole cannot be read."""


def _no_progress(done: int, total: int, message: str) -> None:
    return None


# ---------------------------------------------------------------------------------------------
# Reading the file: a stream of rows


ZIP, OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Sheet:
    """The header and the rows under it, read one at a time (blank rows included, so row i of
    `rows` is spreadsheet row i + 2); `height` is the rows expected, for the progress bar."""

    header: list[Any]
    rows: Iterator[list[Any]]
    height: int = 0
    encoding: str = ""


def _size(stream: IO[bytes]) -> int | None:
    try:
        here = stream.tell()
        size = stream.seek(0, io.SEEK_END)
        stream.seek(here)
        return size
    except (OSError, AttributeError, ValueError):
        return None


def open_sheet(stream: IO[bytes], filename: str = "") -> Sheet:
    """The first sheet of a workbook (xlsx, xls, ods) or a csv, streamed. FileError if the file
    as a whole cannot be read."""
    head = stream.read(8)
    stream.seek(0)
    size = _size(stream)
    if size is not None and size > MAX_BYTES:
        raise FileError(_too_large())
    name = filename.lower()
    if head.startswith(ZIP) or head.startswith(OLE):
        try:
            height, rows = tabular.workbook_rows(stream)
        except tabular.CellError as e:
            logger.info("unreadable workbook: %r", e)
            if head.startswith(OLE) or name.endswith((".xls", ".ods")):
                raise FileError(
                    _("The file could not be read as a spreadsheet (.xls or .ods).")
                ) from None
            raise FileError(_("The file could not be read as an Excel workbook (.xlsx).")) from None
        header = next(rows, None)
        if header is None:
            raise FileError(_("The file is empty."))
        return Sheet([_cell_display(c) for c in header], rows, max(0, height - 1))
    if name.endswith((".xlsx", ".xlsm")):
        raise FileError(_("The file is not a valid Excel workbook (.xlsx)."))
    if name.endswith((".xls", ".ods")):
        raise FileError(_("The file could not be read as a spreadsheet (.xls or .ods)."))
    if name and not name.endswith((".csv", ".txt")):
        raise FileError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    return _open_csv(stream)


def _open_csv(stream: IO[bytes]) -> Sheet:
    try:
        lines = tabular.count_lines(stream)
    except (OSError, ValueError):  # not seekable: no total for the progress bar
        lines = 0
    encoding, text = tabular.sniff_encoding(stream)
    rows = _decoded(tabular.csv_rows(text, encoding=encoding))
    header = next(rows, None)
    if header is None:
        raise FileError(_("The file is empty."))
    if not any(str(c).strip() for c in header):
        raise FileError(_("The first row must hold the column headers."))
    return Sheet(header, rows, max(0, lines - 1), GB18030 if encoding == GB18030 else encoding)


GB18030 = tabular.GB18030


def _decoded(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """The csv's rows, a byte sequence invalid in the detected encoding (or a broken quote)
    turned into a FileError about the file."""
    try:
        yield from rows
    except UnicodeDecodeError:
        raise FileError(
            _(
                "The file's text encoding could not be recognised. Save it from Excel as "
                "“CSV UTF-8 (逗号分隔)” or as an .xlsx workbook."
            )
        ) from None
    except csv.Error as e:
        raise FileError(_("The CSV file could not be read: %(e)s") % {"e": e}) from None


def _too_large() -> str:
    return _("The file is larger than %(mb)d MB; split it into several files.") % {
        "mb": MAX_BYTES // (1024 * 1024)
    }


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_display(value: Any) -> str:
    """A cell as the user typed it, for the report (Excel's whole floats without the .0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


# ---------------------------------------------------------------------------------------------
# The import


def households_import(
    *,
    by: User,
    stream: IO[bytes] | None = None,
    content: bytes | None = None,
    filename: str = "",
    dry_run: bool = False,
    progress: Progress = _no_progress,
) -> ImportReport:
    """Import a spreadsheet of persons grouped into households, from `stream` (or `content`).
    Nothing is written unless every row is good (and nothing at all when `dry_run`).
    `progress(done, total, message)` is told how far the check and the write have got (rows)."""
    require_perm(by, IMPORT_HOUSEHOLDS)
    report = ImportReport(dry_run=dry_run)
    if stream is None:
        stream = io.BytesIO(content or b"")
    progress(0, 0, _("Reading the file"))
    # One transaction: the staging tables live in it, and the write is all or nothing. A file
    # that is not written leaves by _Refused, rolling the staging tables back with the rest.
    try:
        with transaction.atomic():
            height, header_of = _stage(stream, filename, by=by, report=report, progress=progress)
            err = _reporter(report, header_of)
            _check_groups(err)
            _check_villages(by, err)
            _check_heads(err)
            _check_id_numbers(ROWS, err)
            _sort_errors(report, header_of)
            if report.errors_total:
                raise _Refused
            if dry_run:
                report.households = _count_households()
                report.persons = report.rows
                raise _Refused
            try:
                with transaction.atomic():
                    report.households = _make_groups()
                    _write(by=by, progress=progress, height=height, rows=report.rows)
            except IntegrityError:
                # Someone registered one of these persons since the check: nothing is written.
                logger.info("household import: write conflict", exc_info=True)
                report.households = 0
                _write_conflict(report, err)
                raise _Refused from None
            report.persons = report.rows
            _drop_staging()
    except _Refused:
        pass
    return report


class _Refused(Exception):
    """The file is not written (its report says why): roll back the staging tables."""


# -- pass 1: stream, clean, COPY -----------------------------------------------------------------

STAGING_COLUMNS = (
    ("row_no", "integer"),
    ("grp", "text"),
    ("village_code", "text"),
    ("address", "text"),
    ("hukou_type", "text"),
    ("relation", "text"),
    ("name", "text"),
    ("id_number", "text"),
    ("sex", "text"),
    ("birth_date", "date"),
    ("phone", "text"),
    ("disability_category", "text"),
    ("disability_grade", "smallint"),
    ("serious_illness_id", "bigint"),
    ("in_school", "boolean"),
    ("employment_status", "text"),
    ("bank_name", "text"),
    ("bank_account", "text"),
    ("bad", "text[]"),  # keys of the cells that could not be read (already reported)
    # The cells as typed, for the report of the whole-file checks.
    ("raw_village_code", "text"),
    ("raw_address", "text"),
    ("raw_hukou_type", "text"),
    ("raw_relation", "text"),
    ("raw_id_number", "text"),
)
RAW_KEYS = ("village_code", "address", "hukou_type", "relation", "id_number")


def _stage(
    stream: IO[bytes], filename: str, *, by: User, report: ImportReport, progress: Progress
) -> tuple[int, dict[str, str]]:
    """Read every row, clean its cells (errors into `report`) and COPY it into the staging
    table: (rows read, blank included; key → the file's header). _Refused, with the report
    saying why, if the file cannot be imported at all."""
    try:
        sheet = open_sheet(stream, filename)
    except FileError as e:
        report.add(0, "", str(e))
        raise _Refused from None
    report.encoding = sheet.encoding
    columns = _map_headers(sheet.header, report)
    if columns is None:
        raise _Refused
    header_of = {key: header for header, (key, _i) in columns.items()}
    resource = PersonResource(user=by)
    resource.preload()  # no query may run on this connection during the COPY below
    factor = 1 if report.dry_run else 2
    width = len(sheet.header)
    too_long: list[int] = []
    read = 0
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TEMPORARY TABLE {ROWS} ("
            + ", ".join(f"{n} {t}" for n, t in STAGING_COLUMNS)
            + ") ON COMMIT DROP"
        )
        names = ", ".join(n for n, _t in STAGING_COLUMNS)
        try:
            with cur.copy(f"COPY {ROWS} ({names}) FROM STDIN") as copy:
                for values in sheet.rows:
                    read += 1
                    number = read + 1
                    if read % PROGRESS_EVERY == 0:
                        total = max(sheet.height, read)
                        progress(read, total * factor, _checked(read, total))
                    if all(_is_blank(v) for v in values):
                        continue
                    if report.rows >= MAX_ROWS:
                        report.clear()
                        report.add(
                            0,
                            "",
                            _("The file has more than %(n)d rows; split it into several files.")
                            % {"n": MAX_ROWS},
                        )
                        raise _Refused
                    report.rows += 1
                    if len(values) > width and any(not _is_blank(c) for c in values[width:]):
                        too_long.append(number)
                    copy.write_row(_clean_row(number, values, columns, resource, report))
        except FileError as e:
            report.clear()
            report.add(0, "", str(e))
            raise _Refused from None
    if too_long:
        report.clear()
        report.add(
            0,
            "",
            _("Rows %(rows)s have more cells than there are column headers.")
            % {"rows": ", ".join(map(str, too_long[:20]))},
        )
        raise _Refused
    progress(read, read * factor, _checked(read, read))
    if not report.rows:
        report.add(0, "", _("The file has column headers but no data rows."))
        raise _Refused
    with connection.cursor() as cur:
        cur.execute(f"CREATE INDEX ON {ROWS} (grp, row_no)")
        cur.execute(f"CREATE INDEX ON {ROWS} (id_number)")
        cur.execute(f"ANALYZE {ROWS}")  # autovacuum never analyses temporary tables
    return read, header_of


def _checked(done: int, total: int) -> str:
    return _("Checked %(done)d of %(total)d rows") % {"done": done, "total": total}


def _clean_row(
    number: int,
    values: list[Any],
    columns: dict[str, tuple[str, int]],
    resource: PersonResource,
    report: ImportReport,
) -> tuple[Any, ...]:
    """One row's staging record; its bad cells reported (and NULL in the record)."""
    cleaned: dict[str, Any] = {}
    raw_cells: dict[str, Any] = {}
    bad: list[str] = []
    for header, (key, index) in columns.items():
        raw = values[index] if index < len(values) else None
        raw_cells[key] = raw
        try:
            cleaned[key] = resource.clean_cell(key, raw)
        except CellError as e:
            report.add(number, header, str(e), _cell_display(raw))
            cleaned[key] = None
            bad.append(key)
        if key in REQUIRED_PER_ROW and _is_blank(raw):
            report.add(number, header, _("This field is required."))
            bad.append(key)
    if not {"disability_category", "disability_grade"} & set(bad):
        category = cleaned.get("disability_category") or ""
        grade = cleaned.get("disability_grade")
        if bool(category) != (grade is not None):
            key = "disability_grade" if category else "disability_category"
            report.add(
                number,
                next((h for h, (k, _i) in columns.items() if k == key), COLUMNS_BY_KEY[key].header),
                _("Give both the disability category and the grade, or neither."),
                _cell_display(raw_cells.get(key)),
            )
    sex = birth = None
    number_text = cleaned.get("id_number") or None
    if number_text:
        facts = parse_id_number(number_text)
        number_text, sex, birth = facts.number, facts.sex, facts.birth_date
    illness = cleaned.get("serious_illness")

    def value(key: str) -> Any:
        v = cleaned.get(key)
        return None if v == "" else v

    return (
        number,
        value("household_key"),
        value("village_code"),
        value("address"),
        value("hukou_type"),
        value("relation"),
        value("name"),
        number_text,
        sex,
        birth,
        value("phone"),
        value("disability_category"),
        value("disability_grade"),
        illness.pk if illness is not None else None,
        value("in_school"),
        value("employment_status"),
        value("bank_name"),
        value("bank_account"),
        bad,
        *(_cell_display(raw_cells.get(k)) for k in RAW_KEYS),
    )


def _map_headers(headers: list[Any], report: ImportReport) -> dict[str, tuple[str, int]] | None:
    """file header → (field key, column index); None (with an error) if unusable."""
    columns: dict[str, tuple[str, int]] = {}
    seen: dict[str, str] = {}
    for i, raw in enumerate(headers):
        key = header_key(raw)
        if key is None:
            continue  # unknown columns (notes, 序号 …) are ignored
        header = normalise_header(raw)
        if key in seen:
            report.add(
                1,
                header,
                _("The column “%(a)s” repeats the column “%(b)s”.") % {"a": header, "b": seen[key]},
            )
            continue
        seen[key] = header
        columns[header] = (key, i)
    missing = [COLUMNS_BY_KEY[k].header for k in REQUIRED_KEYS if k not in seen]
    if missing:
        report.add(
            1,
            "",
            ngettext(
                "The required column %(cols)s is missing. The first row must hold the column "
                "headers; download the template to see them.",
                "The required columns %(cols)s are missing. The first row must hold the column "
                "headers; download the template to see them.",
                len(missing),
            )
            % {"cols": "、".join(missing)},
        )
    return None if report.errors_total else columns


# -- pass 2: the whole-file checks, set-based on the staging table --------------------------------


class _Err:
    """err(row, key, message, value): a report line under the file's own header for `key`."""

    def __init__(self, report: ImportReport, header_of: dict[str, str]) -> None:
        self.report, self.header_of = report, header_of

    def __call__(self, row: int, key: str, message: str, value: str = "") -> None:
        column = self.header_of.get(key, COLUMNS_BY_KEY[key].header) if key else ""
        self.report.add(row, column, message, value or "")


def _reporter(report: ImportReport, header_of: dict[str, str]) -> _Err:
    return _Err(report, header_of)


def _fetch(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _first_of(key: str) -> str:
    """Per household, its first row giving `key` (and that value)."""
    return (
        f"SELECT DISTINCT ON (grp) grp, row_no, {key} AS v FROM {ROWS} "  # noqa: S608
        f"WHERE grp IS NOT NULL AND {key} IS NOT NULL ORDER BY grp, row_no"
    )


def _check_groups(err: _Err) -> None:
    """Rows of one household agree on its columns; each column is given at least once."""
    differs = " UNION ALL ".join(
        f"SELECT s.row_no, '{k}', f.row_no, s.grp, s.raw_{k} FROM {ROWS} s "  # noqa: S608
        f"JOIN ({_first_of(k)}) f ON f.grp = s.grp WHERE s.{k} IS NOT NULL AND s.{k} <> f.v"
        for k in HOUSEHOLD_KEYS
    )
    for row, key, first, grp, raw in _fetch(differs + " ORDER BY 1"):
        err(
            row,
            key,
            _(
                "Differs from row %(row)d of the same household %(key)s; rows of one "
                "household must agree (or leave the cell empty)."
            )
            % {"row": first, "key": grp},
            raw,
        )
    given = ", ".join(
        f"bool_or({k} IS NOT NULL OR '{k}' = ANY(bad)) AS has_{k}" for k in HOUSEHOLD_KEYS
    )
    missing = " OR ".join(f"NOT has_{k}" for k in HOUSEHOLD_KEYS)
    sql = (
        f"SELECT * FROM (SELECT grp, min(row_no) AS first, {given} FROM {ROWS} "  # noqa: S608
        f"WHERE grp IS NOT NULL GROUP BY grp) g WHERE {missing} ORDER BY first"
    )
    for grp, first, *has in _fetch(sql):
        for key, given_ in zip(HOUSEHOLD_KEYS, has, strict=True):
            if not given_:
                err(
                    first,
                    key,
                    _("Required for household %(key)s (at least on its first row).") % {"key": grp},
                )


def _check_villages(by: User, err: _Err) -> None:
    """Each household's village exists, is a village and is in the importer's scope: one
    query for the distinct codes, one for the households of the bad ones."""
    sql = f"SELECT DISTINCT village_code FROM {ROWS} WHERE grp IS NOT NULL"  # noqa: S608
    codes = [c for (c,) in _fetch(sql + " AND village_code IS NOT NULL")]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    bad: dict[str, str] = {}
    for code in codes:
        region = found.get(code)
        if region is None:
            bad[code] = _("No village or community has the code %(code)s.") % {"code": code}
        elif region.level != Region.Level.VILLAGE:
            bad[code] = _(
                "%(code)s is the code of %(name)s, which is not a village or community."
            ) % {"code": code, "name": region.name}
        elif not region_in_scope(by, region):
            bad[code] = _("%(name)s (%(code)s) is outside your area of responsibility.") % {
                "name": region.name,
                "code": code,
            }
    if bad:
        sql = (
            f"SELECT f.row_no, f.v, s.raw_village_code FROM ({_first_of('village_code')}) f "  # noqa: S608
            f"JOIN {ROWS} s ON s.grp = f.grp AND s.row_no = f.row_no "
            "WHERE f.v = ANY(%s) ORDER BY f.row_no"
        )
        for row, code, raw in _fetch(sql, [list(bad)]):
            err(row, "village_code", bad[code], raw)


def _check_heads(err: _Err) -> None:
    """Exactly one head (户主) per household."""
    none = (
        f"SELECT grp, min(row_no), (array_agg(raw_relation ORDER BY row_no))[1] "  # noqa: S608
        f"FROM {ROWS} WHERE grp IS NOT NULL GROUP BY grp "
        "HAVING count(*) FILTER (WHERE relation = 'head') = 0 "
        "AND NOT bool_or('relation' = ANY(bad)) ORDER BY 2"
    )
    for grp, first, raw in _fetch(none):
        err(first, "relation", _("Household %(key)s has no head (户主).") % {"key": grp}, raw)
    extra = (
        "SELECT row_no, grp, first, raw_relation FROM (SELECT row_no, grp, raw_relation, "  # noqa: S608
        "first_value(row_no) OVER w AS first, row_number() OVER w AS n "
        f"FROM {ROWS} WHERE grp IS NOT NULL AND relation = 'head' "
        "WINDOW w AS (PARTITION BY grp ORDER BY row_no)) h WHERE n > 1 ORDER BY row_no"
    )
    for row, grp, first, raw in _fetch(extra):
        err(
            row,
            "relation",
            _("Household %(key)s already has a head in row %(row)d.") % {"key": grp, "row": first},
            raw,
        )


def _check_id_numbers(table: str, err: _Err) -> None:
    """An ID number once in the file, and not already registered."""
    repeated = (
        "SELECT row_no, grp, first, first_grp, raw_id_number FROM (SELECT row_no, grp, "  # noqa: S608
        "raw_id_number, first_value(row_no) OVER w AS first, first_value(grp) OVER w AS "
        f"first_grp, row_number() OVER w AS n FROM {table} "
        "WHERE grp IS NOT NULL AND id_number IS NOT NULL "
        "WINDOW w AS (PARTITION BY id_number ORDER BY row_no)) d WHERE n > 1 ORDER BY row_no"
    )
    for row, grp, first, first_grp, raw in _fetch(repeated):
        if grp == first_grp:
            msg = _("This ID number already appears in row %(row)d of the same household.")
        else:
            msg = _(
                "This person is already in household %(key)s (row %(row)d) of this file; "
                "a person can be an active member of only one household."
            )
        err(row, "id_number", msg % {"row": first, "key": first_grp}, raw)
    person, membership = Person._meta.db_table, Membership._meta.db_table
    registered = (
        "SELECT DISTINCT ON (s.id_number) s.row_no, p.id_number, s.raw_id_number, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {membership} m WHERE m.person_id = p.id AND m.end_date IS NULL) "
        f"FROM {table} s JOIN {person} p ON p.id_number = s.id_number "
        "WHERE s.grp IS NOT NULL ORDER BY s.id_number, s.row_no"
    )
    for row, number, raw, active in sorted(_fetch(registered)):
        if active:
            msg = _(
                "The person with ID number %(n)s is already an active member of a registered "
                "household; a person can be an active member of only one household."
            )
        else:
            msg = _(
                "A person with ID number %(n)s is already registered; add them to the household "
                "on the household's page instead."
            )
        err(row, "id_number", msg % {"n": number}, raw)


def _sort_errors(report: ImportReport, header_of: dict[str, str]) -> None:
    """Row by row, and within a row in the file's column order (header_of is in that order)."""
    order = {header: i for i, header in enumerate(header_of.values())}
    report.errors.sort(key=lambda e: (e.row, order.get(e.column, -1)))


# -- pass 3: the write, set-based from the staging table ----------------------------------------


def _count_households() -> int:
    return int(_fetch(f"SELECT count(DISTINCT grp) FROM {ROWS}")[0][0])  # noqa: S608


def _make_groups() -> int:
    """One record per household of the file, in file order, with its household's id drawn from
    the sequence now and its write batch (whole households, about WRITE_BATCH persons each)."""
    household = Household._meta.db_table
    region = Region._meta.db_table
    first = {
        k: f"(array_agg({k} ORDER BY row_no) FILTER (WHERE {k} IS NOT NULL))[1]"
        for k in HOUSEHOLD_KEYS
    }
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TEMPORARY TABLE {GROUPS} ON COMMIT DROP AS "  # noqa: S608
            "SELECT g.grp, g.first_row, g.n, r.id AS village_id, g.address, g.hukou_type, "
            f"nextval(pg_get_serial_sequence('{household}', 'id')) AS household_id, "
            "(sum(g.n) OVER (ORDER BY g.first_row) - g.n)::bigint / %s AS batch FROM ("
            "SELECT grp, min(row_no) AS first_row, count(*) AS n, "
            f"{first['village_code']} AS village_code, {first['address']} AS address, "
            f"{first['hukou_type']} AS hukou_type FROM {ROWS} GROUP BY grp ORDER BY 2) g "
            f"JOIN {region} r ON r.code = g.village_code ORDER BY g.first_row",
            [WRITE_BATCH],
        )
        cur.execute(f"CREATE INDEX ON {GROUPS} (batch, first_row)")
        cur.execute(f"CREATE UNIQUE INDEX ON {GROUPS} (grp)")
        cur.execute(f"ANALYZE {GROUPS}")
        cur.execute(f"SELECT count(*) FROM {GROUPS}")  # noqa: S608
        return int(cur.fetchone()[0])


def _history_columns(model: Any) -> list[str]:
    """The columns a model's creation history row copies from the row (simple_history's own
    columns, and the excluded ones, left out)."""
    history = model.history.model
    own = {f.column for f in model._meta.concrete_fields}
    return [f.column for f in history._meta.concrete_fields if f.column in own]


def _write(*, by: User, progress: Progress, height: int, rows: int) -> None:
    """Households, persons and memberships of a checked file with one creation history row
    each naming `by`: three statements (each an INSERT … SELECT feeding its history INSERT)
    per batch of whole households."""
    now = timezone.now()
    history = {"now": now, "reason": str(_("Spreadsheet import")), "user": by.pk}
    start = timezone.localdate()
    with connection.cursor() as cur:
        cur.execute(f"SELECT batch, sum(n) FROM {GROUPS} GROUP BY batch ORDER BY batch")  # noqa: S608
        batches = list(cur.fetchall())
    done = 0
    for batch, persons in batches:
        _write_batch(batch, history=history, start=start, by=by)
        done += int(persons)
        progress(
            height + done,
            2 * height,
            _("Written %(done)d of %(total)d rows") % {"done": done, "total": rows},
        )


def _inserting(model: Any, columns: list[str], select: str) -> str:
    """INSERT the SELECTed rows into `model`'s table and their history rows ("+") after."""
    table, history = model._meta.db_table, model.history.model._meta.db_table
    copied = _history_columns(model)
    return (
        f"WITH new AS (INSERT INTO {table} ({', '.join(columns)}) {select} "  # noqa: S608
        f"RETURNING {', '.join(copied)}) "
        f"INSERT INTO {history} ({', '.join(copied)}, history_date, history_change_reason, "
        f"history_type, history_user_id) SELECT {', '.join(copied)}, %(now)s, %(reason)s, '+', "
        "%(user)s FROM new"
    )


def _write_batch(batch: int, *, history: dict[str, Any], start: Any, by: User) -> None:
    params = {**history, "batch": batch, "start": start, "by": by.pk}
    households = _inserting(
        Household,
        ["id", "village_id", "address", "hukou_type", "created_at", "updated_at"],
        f"SELECT household_id, village_id, address, hukou_type, %(now)s, %(now)s FROM {GROUPS} "  # noqa: S608
        "WHERE batch = %(batch)s ORDER BY first_row",
    )
    persons = _inserting(
        Person,
        [
            "name",
            "id_number",
            "sex",
            "birth_date",
            "phone",
            "disability_category",
            "disability_grade",
            "labour_capacity_assessed",
            "labour_capacity_reason",
            "willing_to_accept_help",
            "in_school",
            "employment_status",
            "bank_name",
            "bank_account",
            "created_at",
            "updated_at",
            "region_id",
            "serious_illness_id",
        ],
        "SELECT s.name, s.id_number, s.sex, s.birth_date, coalesce(s.phone, ''), "  # noqa: S608
        "coalesce(s.disability_category, ''), s.disability_grade, '', '', true, "
        "coalesce(s.in_school, false), coalesce(s.employment_status, %(employment)s), "
        "coalesce(s.bank_name, ''), coalesce(s.bank_account, ''), %(now)s, %(now)s, "
        f"g.village_id, s.serious_illness_id FROM {GROUPS} g JOIN {ROWS} s ON s.grp = g.grp "
        "WHERE g.batch = %(batch)s ORDER BY g.first_row, s.row_no",
    )
    person = Person._meta.db_table
    memberships = _inserting(
        Membership,
        [
            "relation",
            "start_date",
            "end_date",
            "end_reason",
            "created_by_id",
            "household_id",
            "person_id",
        ],
        "SELECT s.relation, %(start)s, NULL, '', %(by)s, g.household_id, p.id "  # noqa: S608
        f"FROM {GROUPS} g JOIN {ROWS} s ON s.grp = g.grp "
        f"JOIN {person} p ON p.id_number = s.id_number "
        "WHERE g.batch = %(batch)s ORDER BY g.first_row, s.row_no",
    )
    params["employment"] = EmploymentStatus.NOT_APPLICABLE.value  # the model's default
    with connection.cursor() as cur:
        for sql in (households, persons, memberships):
            cur.execute(sql, params)


def _write_conflict(report: ImportReport, err: _Err) -> None:
    """The write hit a unique constraint (a person registered since the check, by someone else
    or a parallel import): say which rows, from the database as it is now."""
    sql = (
        "SELECT DISTINCT ON (s.id_number) s.row_no, p.id_number, s.raw_id_number "  # noqa: S608
        f"FROM {ROWS} s JOIN {Person._meta.db_table} p ON p.id_number = s.id_number "
        "ORDER BY s.id_number, s.row_no"
    )
    for row, number, raw in sorted(_fetch(sql)):
        msg = _("A person with ID number %(n)s is already registered.") % {"n": number}
        err(row, "id_number", msg, raw)
    if not report.errors_total:
        report.add(
            0,
            "",
            _(
                "The file could not be written because the register changed at the same time; "
                "nothing was imported. Import the file again."
            ),
        )
    report.errors.sort(key=lambda e: e.row)


def _drop_staging() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {GROUPS}, {ROWS}")


# ---------------------------------------------------------------------------------------------
# The background job


FINISHED = (Job.Status.DONE, Job.Status.FAILED)


def household_import_start(*, upload: UploadedFile, dry_run: bool, by: User) -> Job:
    """Save the uploaded file privately, create its Job (queued) and enqueue the import after
    commit. The request does no more than that."""
    from .tasks import import_households  # tasks import this module

    require_perm(by, IMPORT_HOUSEHOLDS)
    if upload.size and upload.size > MAX_BYTES:
        raise ValidationError({"file": [_too_large()]})
    name = (upload.name or "")[-255:]
    with transaction.atomic():
        job = Job.objects.create(
            kind=JOB_KIND,
            region=by.region,
            created_by=by,
            message=_("Queued"),
            result={"filename": name, "dry_run": dry_run},
        )
        HouseholdImport.objects.create(job=job, file=upload, filename=name, dry_run=dry_run)
        transaction.on_commit(partial(import_households.delay, job.pk))
    return job


def household_import_run(*, job_id: int, final_attempt: bool = True) -> dict[str, Any] | None:
    """The task's body: import the job's file as the user who uploaded it, and record the
    outcome on the job. A finished job is left alone (a redelivered message); the import and the
    job's "done" are committed together, so a retry never imports twice. A lost database
    connection is raised for the task to retry (the job failed only on the `final_attempt`)."""
    job = Job.objects.select_related("created_by__region").filter(pk=job_id).first()
    if job is None or job.status in FINISHED or job.kind != JOB_KIND:
        return None
    record = HouseholdImport.objects.filter(job=job).first()
    Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(status=Job.Status.RUNNING)
    progress, close = job_progress_writer(job)
    try:
        by = job.created_by
        # Authorisation again, now: the user may have lost the role or been deactivated.
        if by is None or not by.is_active or record is None:
            raise PermissionDenied(_("Your role does not allow this action."))
        require_perm(by, IMPORT_HOUSEHOLDS)
        with transaction.atomic(), record.file.open("rb") as stream:
            report = households_import(
                by=by,
                stream=stream,
                filename=record.filename,
                dry_run=record.dry_run,
                progress=progress,
            )
            locked = Job.objects.select_for_update().get(pk=job_id)
            if locked.status in FINISHED:  # a parallel delivery finished first
                transaction.set_rollback(True)
                return None
            result = {**job.result, **report.as_json()}
            job_finish(job_id, status=Job.Status.DONE, message=_outcome(report), result=result)
    except PermissionDenied as exc:
        job_finish(job_id, status=Job.Status.FAILED, message=str(exc))
    except OperationalError:
        if not final_attempt:
            raise
        logger.exception("household import job %s: database unavailable", job_id)
        job_finish(job_id, status=Job.Status.FAILED, message=_failed())
    except Exception:
        logger.exception("household import job %s failed", job_id)
        job_finish(job_id, status=Job.Status.FAILED, message=_failed())
    finally:
        close()
    # The file holds personal data: gone once the job has an outcome.
    if record is not None and record.file:
        record.file.delete(save=True)
    done = Job.objects.values_list("status", "result").get(pk=job_id)
    keep = ("ok", "rows", "households", "persons", "errors_total")
    return {"status": done[0], **{k: done[1].get(k) for k in keep if k in done[1]}}


def _failed() -> str:
    return _("The import failed unexpectedly; nothing was written. Try again or ask support.")


def _outcome(report: ImportReport) -> str:
    if not report.ok:
        return ngettext(
            "Nothing was imported: %(n)s row has errors.",
            "Nothing was imported: %(n)s rows have errors.",
            len(report.bad_rows),
        ) % {"n": len(report.bad_rows)}
    counts = {"h": report.households, "p": report.persons}
    if report.dry_run:
        return (
            _(
                "The file is correct: %(h)s households with %(p)s persons. Nothing was written "
                "(check only)."
            )
            % counts
        )
    return _("Imported %(h)d households with %(p)d persons.") % counts


def import_report_xlsx(result: dict[str, Any]) -> bytes:
    """The row report of a finished import job as an xlsx workbook (through the formula-safe
    export helper: the report repeats what was typed into the uploaded file)."""
    rows = (
        [e["row"] or None, e["column"], e.get("value", ""), e["message"]]
        for e in result.get("errors", [])
    )
    return exports.write_xlsx(
        rows,
        headers=[_("Row"), _("Column"), _("Value"), _("Problem")],
        sheet_title=str(_("Import report")),
    )


__all__ = [
    "JOB_KIND",
    "ImportReport",
    "RowError",
    "household_import_run",
    "household_import_start",
    "households_import",
    "import_report_xlsx",
    "open_sheet",
]
