"""Household/person spreadsheet import: all or nothing, with a row-by-row error report.

In the browser the import runs as a background job (`household_import_start` saves the file and
enqueues `households.tasks.import_households`, which calls `household_import_run`); the page
polls the job's progress, then shows the counts or the row report (downloadable as xlsx).

    report = households_import(content=uploaded_bytes, filename="户籍.xlsx", by=user)

The file is read with calamine (xlsx) or django-import-export's CSV format; headers and cells are
mapped and cleaned by `households.resources.PersonResource`; rows sharing a 户编号 form one
household. Every row is checked first, in Python and with a few `IN` queries (villages and their
scope, ID numbers already registered); only a file without errors is written, set-based
(`bulk_create` in batches, with the history rows written in bulk naming the importing user and
the reason "spreadsheet import"), in one transaction. The report lists every bad row as
(spreadsheet row, column, value, message), the header being row 1.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import python_calamine
import tablib
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history

from core import exports
from core.job_progress import Progress, job_finish, job_progress_writer
from core.models import Job, Region, User
from core.scope import region_in_scope
from core.services import require_perm
from households.permissions import IMPORT_HOUSEHOLDS

from .idnumber import parse_id_number
from .models import Household, HouseholdImport, Membership, Person, Relation
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

MAX_ROWS = 20_000
MAX_BYTES = 20 * 1024 * 1024
JOB_KIND = "households.import"
WRITE_BATCH = 2_000  # persons per round of bulk inserts (one progress step)
PROGRESS_EVERY = 1_000  # rows checked between progress writes
MAX_REPORT_ERRORS = 50_000  # kept on the job (the page shows the first REPORT_PAGE)
REPORT_PAGE = 500
HOUSEHOLD_KEYS = tuple(c.key for c in COLUMNS if c.household_level and c.key != "household_key")
REQUIRED_PER_ROW = ("household_key", "relation", "name", "id_number")
PERSON_KEYS = tuple(c.key for c in COLUMNS if not c.household_level and c.key != "relation")


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

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})

    def add(self, row: int, column: str, message: str, value: str = "") -> None:
        self.errors.append(RowError(row, column, str(message), value))

    def as_json(self) -> dict[str, Any]:
        """What the job keeps (Job.result) for its page and the downloadable report."""
        return {
            "ok": self.ok,
            "rows": self.rows,
            "households": self.households,
            "persons": self.persons,
            "encoding": self.encoding,
            "dry_run": self.dry_run,
            "bad_rows": len(self.bad_rows),
            "errors": [asdict(e) for e in self.errors[:MAX_REPORT_ERRORS]],
            "errors_total": len(self.errors),
        }


class FileError(Exception):
    """The file as a whole cannot be read."""


# ---------------------------------------------------------------------------------------------
# Reading the file


@dataclass
class Sheet:
    dataset: tablib.Dataset
    row_numbers: list[int]  # spreadsheet row of each dataset row
    encoding: str = ""


def decode_text(content: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else GB18030 — a superset of the GBK that Chinese Excel
    writes for "CSV (逗号分隔)"."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileError(
        _(
            "The file's text encoding could not be recognised. Save it from Excel as "
            "“CSV UTF-8 (逗号分隔)” or as an .xlsx workbook."
        )
    )


def read_spreadsheet(content: bytes, filename: str = "") -> Sheet:
    """The first sheet of an xlsx, or a csv, as a tablib Dataset (via django-import-export)."""
    if not content or not content.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise FileError(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise FileError(_("The file is larger than 20 MB; split it into several files."))
    name = filename.lower()
    if content[:4] == b"PK\x03\x04":
        return _read_xlsx(content)
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or name.endswith(".xls"):
        raise FileError(
            _("Old Excel .xls files are not supported: save the file as .xlsx or CSV UTF-8.")
        )
    if name.endswith((".xlsx", ".xlsm")):
        raise FileError(_("The file is not a valid Excel workbook (.xlsx)."))
    if name and not name.endswith((".csv", ".txt")):
        raise FileError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    return _read_csv(content)


def _read_xlsx(content: bytes) -> Sheet:
    """The first sheet, read with calamine (Rust): about ten times faster than openpyxl, which
    took most of a 20,000-row import. Numbers come back as floats; `cell_text` turns whole ones
    into digits and refuses long ones that lost digits, as it did for openpyxl's."""
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        grid = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as e:  # calamine raises several kinds for damaged workbooks
        logger.info("unreadable xlsx: %r", e)
        raise FileError(_("The file could not be read as an Excel workbook (.xlsx).")) from None
    if not grid or not any(_cell_display(c) for row in grid for c in row):
        raise FileError(_("The file is empty."))
    dataset = tablib.Dataset(headers=[_cell_display(c) for c in grid[0]])
    for row in grid[1:]:
        dataset.append(row)
    # Blank rows are kept, so dataset row i is spreadsheet row i + 2.
    return Sheet(dataset, [i + 2 for i in range(dataset.height)])


def _read_csv(content: bytes) -> Sheet:
    text, encoding = decode_text(content)
    text = text.lstrip("\ufeff")
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        raise FileError(_("The CSV file could not be read: %(e)s") % {"e": e}) from None
    if not records or not any(cell.strip() for rec in records for cell in rec):
        raise FileError(_("The file is empty."))
    header = records[0]
    if not any(cell.strip() for cell in header):
        raise FileError(_("The first row must hold the column headers."))
    # tablib skips blank lines; remember which spreadsheet row each kept record is.
    row_numbers: list[int] = []
    too_long: list[int] = []
    for i, rec in enumerate(records[1:], start=2):
        if not rec:
            continue
        row_numbers.append(i)
        if len(rec) > len(header) and any(c.strip() for c in rec[len(header) :]):
            too_long.append(i)
    if too_long:
        raise FileError(
            _("Rows %(rows)s have more cells than there are column headers.")
            % {"rows": ", ".join(map(str, too_long[:20]))}
        )
    # The dataset is built from the records read above (as tablib's csv reader would: blank
    # lines skipped, short rows padded), trailing empty cells beyond the header trimmed.
    width = len(header)
    dataset = tablib.Dataset(headers=header)
    for rec in records[1:]:
        if rec:
            dataset.append(rec[:width] + [""] * (width - len(rec)))
    return Sheet(dataset, row_numbers, encoding)


# ---------------------------------------------------------------------------------------------
# Parsing rows into households


@dataclass
class Row:
    number: int
    values: dict[str, Any]  # resource field key → cleaned value ("" / None when blank)
    bad: set[str] = field(default_factory=set)  # keys of cells that could not be read
    raw: dict[str, Any] = field(default_factory=dict)  # key → the cell as read from the file


@dataclass
class Group:
    key: str
    rows: list[Row] = field(default_factory=list)
    household: dict[str, tuple[Any, int]] = field(default_factory=dict)  # key → (value, row)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_display(value: Any) -> str:
    """A cell as the user typed it, for the report (Excel's whole floats without the .0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


@dataclass
class Checked:
    """A file read and checked: its households, and the villages they belong to."""

    groups: list[Group]
    villages: dict[str, Region]
    err: Callable[[int, str, str], None]
    height: int  # rows of the sheet under the header, blank ones included (progress steps)


def _no_progress(done: int, total: int, message: str) -> None:
    return None


def households_check(
    *,
    by: User,
    report: ImportReport,
    content: bytes | None = None,
    filename: str = "",
    sheet: Sheet | None = None,
    progress: Progress = _no_progress,
    total_factor: int = 1,
) -> Checked | None:
    """Read and check every row (no write). None, with the errors in `report`, if the file
    cannot be imported; `total_factor` scales the progress total (2 = a write follows)."""
    require_perm(by, IMPORT_HOUSEHOLDS)
    if sheet is None:
        progress(0, 0, _("Reading the file"))
        try:
            sheet = read_spreadsheet(content or b"", filename)
        except FileError as e:
            report.add(0, "", str(e))
            return None
    report.encoding = sheet.encoding
    resource = PersonResource(user=by)

    columns = _map_headers(sheet.dataset.headers or [], report)
    if columns is None:
        return None
    header_of = {key: header for header, (key, _i) in columns.items()}

    total = sheet.dataset.height * total_factor
    rows = _clean_rows(sheet, columns, resource, report, progress=progress, total=total)
    if rows is None:
        return None
    report.rows = len(rows)
    if not rows:
        report.add(0, "", _("The file has column headers but no data rows."))
        return None
    raw_of = {r.number: r.raw for r in rows}

    def err(row: int, key: str, message: str) -> None:
        report.add(
            row,
            header_of.get(key, COLUMNS_BY_KEY[key].header if key else ""),
            message,
            _cell_display(raw_of.get(row, {}).get(key)) if key else "",
        )

    groups = _group(rows, err)
    villages = _resolve_villages(groups, by, err)
    _check_heads(groups, err)
    _check_id_numbers(groups, err)
    _check_disability(rows, err)
    _sort_errors(report, columns)
    # These checks cover every rule household_create applies (and the database's constraints),
    # so a file with errors is not written at all.
    return None if report.errors else Checked(groups, villages, err, sheet.dataset.height)


def households_import(
    *,
    by: User,
    content: bytes | None = None,
    filename: str = "",
    sheet: Sheet | None = None,
    dry_run: bool = False,
    progress: Progress = _no_progress,
) -> ImportReport:
    """Import a spreadsheet of persons grouped into households. Nothing is written unless every
    row is good (and nothing at all when `dry_run`). `progress(done, total, message)` is told
    how far the check and the write have got (rows)."""
    report = ImportReport(dry_run=dry_run)
    checked = households_check(
        by=by,
        report=report,
        content=content,
        filename=filename,
        sheet=sheet,
        progress=progress,
        total_factor=1 if dry_run else 2,
    )
    if checked is None:
        return report
    if not dry_run:
        try:
            with transaction.atomic():
                _write_bulk(checked, by=by, progress=progress, rows=report.rows)
        except IntegrityError:
            # Someone registered one of these persons since the check: nothing was written.
            logger.info("household import: write conflict", exc_info=True)
            _write_conflict(checked, report)
            return report
    report.households = len(checked.groups)
    report.persons = report.rows
    return report


def _sort_errors(report: ImportReport, columns: dict[str, tuple[str, int]]) -> None:
    """Row by row, and within a row in the file's column order."""
    order = {header: i for header, (_key, i) in columns.items()}
    report.errors.sort(key=lambda e: (e.row, order.get(e.column, -1)))


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
    return None if report.errors else columns


def _clean_rows(
    sheet: Sheet,
    columns: dict[str, tuple[str, int]],
    resource: PersonResource,
    report: ImportReport,
    *,
    progress: Progress = _no_progress,
    total: int = 0,
) -> list[Row] | None:
    rows: list[Row] = []
    for i, (values, number) in enumerate(zip(sheet.dataset, sheet.row_numbers, strict=True)):
        if i and i % PROGRESS_EVERY == 0:
            progress(i, total, _("Checked %(done)d of %(total)d rows") % _counts(i, sheet))
        if all(_is_blank(v) for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            report.add(
                0,
                "",
                _("The file has more than %(n)d rows; split it into several files.")
                % {"n": MAX_ROWS},
            )
            return None
        cleaned: dict[str, Any] = {}
        raw_cells: dict[str, Any] = {}
        bad: set[str] = set()
        for header, (key, index) in columns.items():
            raw = values[index] if index < len(values) else None
            raw_cells[key] = raw
            try:
                cleaned[key] = resource.clean_cell(key, raw)
            except CellError as e:
                report.add(number, header, str(e), _cell_display(raw))
                cleaned[key] = None
                bad.add(key)
            if key in REQUIRED_PER_ROW and _is_blank(raw):
                report.add(number, header, _("This field is required."))
                bad.add(key)
        rows.append(Row(number, cleaned, bad, raw_cells))
    progress(
        sheet.dataset.height,
        total,
        _("Checked %(done)d of %(total)d rows") % _counts(sheet.dataset.height, sheet),
    )
    return rows


def _counts(done: int, sheet: Sheet) -> dict[str, int]:
    return {"done": done, "total": sheet.dataset.height}


def _group(rows: list[Row], err: Any) -> list[Group]:
    groups: dict[str, Group] = {}
    for row in rows:
        key = row.values.get("household_key") or ""
        if not key:
            continue  # already reported as required
        g = groups.setdefault(key, Group(key))
        g.rows.append(row)
        for hk in HOUSEHOLD_KEYS:
            value = row.values.get(hk)
            if value in ("", None):
                continue
            if hk not in g.household:
                g.household[hk] = (value, row.number)
            elif g.household[hk][0] != value:
                err(
                    row.number,
                    hk,
                    _(
                        "Differs from row %(row)d of the same household %(key)s; rows of one "
                        "household must agree (or leave the cell empty)."
                    )
                    % {"row": g.household[hk][1], "key": key},
                )
    for g in groups.values():
        for hk in HOUSEHOLD_KEYS:
            if hk not in g.household and not _cell_was_bad(g, hk):
                err(
                    g.rows[0].number,
                    hk,
                    _("Required for household %(key)s (at least on its first row).")
                    % {"key": g.key},
                )
    return list(groups.values())


def _cell_was_bad(g: Group, key: str) -> bool:
    return any(key in r.bad for r in g.rows)  # already reported


def _resolve_villages(groups: list[Group], by: User, err: Any) -> dict[str, Region]:
    codes = {g.household["village_code"][0] for g in groups if "village_code" in g.household}
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    for g in groups:
        if "village_code" not in g.household:
            continue
        code, row = g.household["village_code"]
        region = found.get(code)
        if region is None:
            err(
                row,
                "village_code",
                _("No village or community has the code %(code)s.") % {"code": code},
            )
        elif region.level != Region.Level.VILLAGE:
            err(
                row,
                "village_code",
                _("%(code)s is the code of %(name)s, which is not a village or community.")
                % {"code": code, "name": region.name},
            )
        elif not region_in_scope(by, region):
            err(
                row,
                "village_code",
                _("%(name)s (%(code)s) is outside your area of responsibility.")
                % {"name": region.name, "code": code},
            )
    return found


def _check_heads(groups: list[Group], err: Any) -> None:
    for g in groups:
        heads = [r for r in g.rows if r.values.get("relation") == Relation.HEAD]
        if not heads and not _cell_was_bad(g, "relation"):
            err(
                g.rows[0].number,
                "relation",
                _("Household %(key)s has no head (户主).") % {"key": g.key},
            )
        for extra in heads[1:]:
            err(
                extra.number,
                "relation",
                _("Household %(key)s already has a head in row %(row)d.")
                % {"key": g.key, "row": heads[0].number},
            )


def _check_id_numbers(groups: list[Group], err: Any) -> None:
    first: dict[str, tuple[int, str]] = {}  # number → (row, household key)
    for g in groups:
        for r in g.rows:
            number = r.values.get("id_number")
            if not number:
                continue
            if number in first:
                row, key = first[number]
                if key == g.key:
                    msg = _("This ID number already appears in row %(row)d of the same household.")
                else:
                    msg = _(
                        "This person is already in household %(key)s (row %(row)d) of this file; "
                        "a person can be an active member of only one household."
                    )
                err(r.number, "id_number", msg % {"row": row, "key": key})
            else:
                first[number] = (r.number, g.key)
    registered = {
        p.id_number: p.active
        for p in Person.objects.filter(id_number__in=first).annotate(
            active=Exists(Membership.objects.active().filter(person=OuterRef("pk")))
        )
    }
    for number, active in registered.items():
        row, _key = first[number]
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
        err(row, "id_number", msg % {"n": number})


def _check_disability(rows: list[Row], err: Any) -> None:
    for r in rows:
        if r.bad & {"disability_category", "disability_grade"}:
            continue  # already reported
        category = r.values.get("disability_category") or ""
        grade = r.values.get("disability_grade")
        if bool(category) != (grade is not None):
            err(
                r.number,
                "disability_grade" if category else "disability_category",
                _("Give both the disability category and the grade, or neither."),
            )


# ---------------------------------------------------------------------------------------------
# Writing: set-based, in batches, with the history rows in bulk


def _person_of(row: Row, village: Region) -> Person:
    data = {k: row.values[k] for k in PERSON_KEYS if k in row.values}
    for k in ("in_school", "employment_status"):
        if data.get(k) in ("", None):
            data.pop(k, None)  # the model's default
    for k in ("phone", "disability_category", "bank_name", "bank_account"):
        if data.get(k) is None:
            data[k] = ""
    # Person.save() derives sex and birth date from the ID number; bulk_create does not call it.
    facts = parse_id_number(data["id_number"])
    data["id_number"] = facts.number
    return Person(**data, sex=facts.sex, birth_date=facts.birth_date, region=village)


def _batches(groups: list[Group]) -> Iterator[list[Group]]:
    batch: list[Group] = []
    size = 0
    for g in groups:
        batch.append(g)
        size += len(g.rows)
        if size >= WRITE_BATCH:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _write_bulk(checked: Checked, *, by: User, progress: Progress, rows: int) -> None:
    """Households, persons and memberships of a checked file, with one creation history row
    each naming `by`: six INSERTs per batch of about WRITE_BATCH persons."""
    reason = _("Spreadsheet import")
    history = {"default_user": by, "default_change_reason": reason, "default_date": timezone.now()}
    start = timezone.localdate()
    done = 0
    for batch in _batches(checked.groups):
        villages = [checked.villages[g.household["village_code"][0]] for g in batch]
        households = [
            Household(
                village=village,
                address=g.household["address"][0],
                hukou_type=g.household["hukou_type"][0],
            )
            for g, village in zip(batch, villages, strict=True)
        ]
        bulk_create_with_history(households, Household, batch_size=WRITE_BATCH, **history)
        persons: list[Person] = []
        members: list[tuple[Household, str]] = []
        for g, household, village in zip(batch, households, villages, strict=True):
            for r in g.rows:
                persons.append(_person_of(r, village))
                members.append((household, r.values["relation"]))
        bulk_create_with_history(persons, Person, batch_size=WRITE_BATCH, **history)
        memberships = [
            Membership(
                household=household,
                person=person,
                relation=relation,
                start_date=start,
                created_by=by,
            )
            for (household, relation), person in zip(members, persons, strict=True)
        ]
        bulk_create_with_history(memberships, Membership, batch_size=WRITE_BATCH, **history)
        done += len(persons)
        progress(
            checked.height + done,
            2 * checked.height,
            _("Written %(done)d of %(total)d rows") % {"done": done, "total": rows},
        )


def _write_conflict(checked: Checked, report: ImportReport) -> None:
    """The write hit a unique constraint (a person registered since the check, by someone else
    or a parallel import): say which rows, from the database as it is now."""
    first: dict[str, int] = {}
    for g in checked.groups:
        for r in g.rows:
            first.setdefault(r.values["id_number"], r.number)
    for number in Person.objects.filter(id_number__in=first).values_list("id_number", flat=True):
        checked.err(
            first[number],
            "id_number",
            _("A person with ID number %(n)s is already registered.") % {"n": number},
        )
    if not report.errors:
        report.add(
            0,
            "",
            _(
                "The file could not be written because the register changed at the same time; "
                "nothing was imported. Import the file again."
            ),
        )
    report.errors.sort(key=lambda e: e.row)


# ---------------------------------------------------------------------------------------------
# The background job


FINISHED = (Job.Status.DONE, Job.Status.FAILED)


def household_import_start(*, upload: UploadedFile, dry_run: bool, by: User) -> Job:
    """Save the uploaded file privately, create its Job (queued) and enqueue the import after
    commit. The request does no more than that."""
    from .tasks import import_households  # tasks import this module

    require_perm(by, IMPORT_HOUSEHOLDS)
    if upload.size and upload.size > MAX_BYTES:
        raise ValidationError(
            {"file": [_("The file is larger than 20 MB; split it into several files.")]}
        )
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
        with record.file.open("rb") as f:
            content = f.read()
        with transaction.atomic():
            report = households_import(
                by=by,
                content=content,
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
    "read_spreadsheet",
]
