"""Household/person spreadsheet import: all or nothing, with a row-by-row error report.

    report = households_import(content=uploaded_bytes, filename="户籍.xlsx", by=request.user)

The file (xlsx or csv) is read with django-import-export's formats; headers and cells are
mapped and cleaned by `households.resources.PersonResource`; rows sharing a 户编号 form one
household, written through `households.services.household_create` (so validation, region scope
and the audit history are the pages' own). Everything runs in one transaction that is rolled back
if any row is bad; the report then lists every bad row as (spreadsheet row, column, message),
the header being row 1.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import tablib
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from import_export.formats import base_formats

from core.models import Region, User
from core.roles import IMPORT_HOUSEHOLDS
from core.scope import region_in_scope
from core.services import require_perm

from .models import Membership, Person, Relation
from .resources import (
    COLUMNS,
    COLUMNS_BY_KEY,
    REQUIRED_KEYS,
    CellError,
    PersonResource,
    header_key,
    normalise_header,
)
from .services import MemberInput, household_create

logger = logging.getLogger(__name__)

MAX_ROWS = 20_000
MAX_BYTES = 20 * 1024 * 1024
HOUSEHOLD_KEYS = tuple(c.key for c in COLUMNS if c.household_level and c.key != "household_key")
REQUIRED_PER_ROW = ("household_key", "relation", "name", "id_number")
PERSON_KEYS = tuple(c.key for c in COLUMNS if not c.household_level and c.key != "relation")
# Service error keys (members.<i>.<key>) → the column to blame.
SERVICE_KEY_COLUMN = {
    "village": "village_code",
    "address": "address",
    "hukou_type": "hukou_type",
    "members": "relation",
    "relation": "relation",
    "person": "id_number",
    "id_number": "id_number",
    "name": "name",
    "phone": "phone",
    "disability_category": "disability_category",
    "disability_grade": "disability_grade",
    "serious_illness": "serious_illness",
    "in_school": "in_school",
    "employment_status": "employment_status",
    "bank_name": "bank_name",
    "bank_account": "bank_account",
}


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row as the user sees it (header = 1); 0 = the file as a whole
    column: str  # the column header, "" when the message is about the row or the file
    message: str


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

    def add(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, str(message)))


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
    try:
        dataset = base_formats.XLSX().create_dataset(content)
    except StopIteration:
        raise FileError(_("The file is empty.")) from None
    except Exception as e:  # openpyxl raises many kinds for damaged workbooks
        logger.info("unreadable xlsx: %r", e)
        raise FileError(_("The file could not be read as an Excel workbook (.xlsx).")) from None
    # The XLSX format keeps blank rows, so dataset row i is spreadsheet row i + 2.
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


@dataclass
class Group:
    key: str
    rows: list[Row] = field(default_factory=list)
    household: dict[str, tuple[Any, int]] = field(default_factory=dict)  # key → (value, row)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def households_import(
    *,
    by: User,
    content: bytes | None = None,
    filename: str = "",
    sheet: Sheet | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import a spreadsheet of persons grouped into households. Nothing is written unless every
    row is good (and nothing at all when `dry_run`)."""
    require_perm(by, IMPORT_HOUSEHOLDS)
    report = ImportReport(dry_run=dry_run)
    if sheet is None:
        try:
            sheet = read_spreadsheet(content or b"", filename)
        except FileError as e:
            report.add(0, "", str(e))
            return report
    report.encoding = sheet.encoding
    resource = PersonResource(user=by)

    columns = _map_headers(sheet.dataset.headers or [], report)
    if columns is None:
        return report
    header_of = {key: header for header, (key, _i) in columns.items()}

    rows = _clean_rows(sheet, columns, resource, report)
    if rows is None:
        return report
    report.rows = len(rows)
    if not rows:
        report.add(0, "", _("The file has column headers but no data rows."))
        return report

    def err(row: int, key: str, message: str) -> None:
        report.add(row, header_of.get(key, COLUMNS_BY_KEY[key].header if key else ""), message)

    groups = _group(rows, err)
    villages = _resolve_villages(groups, by, err)
    _check_heads(groups, err)
    _check_id_numbers(groups, err)
    _check_disability(rows, err)

    # The checks above cover every rule the service applies, so a file with errors is not
    # written at all (a write-and-roll-back pass would cost as much as a full import); the
    # service still has the last word below, and its errors are mapped back to rows as well.
    if not report.errors:
        with transaction.atomic():
            for g in groups:
                _write_household(g, villages, by, err)
            if report.errors or dry_run:
                transaction.set_rollback(True)
    if not report.errors:
        report.households, report.persons = len(groups), len(rows)
    # Row by row, and within a row in the file's column order.
    order = {header: i for header, (_key, i) in columns.items()}
    report.errors.sort(key=lambda e: (e.row, order.get(e.column, -1)))
    return report


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
) -> list[Row] | None:
    rows: list[Row] = []
    for values, number in zip(sheet.dataset, sheet.row_numbers, strict=True):
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
        bad: set[str] = set()
        for header, (key, index) in columns.items():
            raw = values[index] if index < len(values) else None
            try:
                cleaned[key] = resource.clean_cell(key, raw)
            except CellError as e:
                report.add(number, header, str(e))
                cleaned[key] = None
                bad.add(key)
            if key in REQUIRED_PER_ROW and _is_blank(raw):
                report.add(number, header, _("This field is required."))
                bad.add(key)
        rows.append(Row(number, cleaned, bad))
    return rows


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
            active=Exists(Membership.objects.filter(person=OuterRef("pk"), end_date__isnull=True))
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


def _write_household(g: Group, villages: dict[str, Region], by: User, err: Any) -> None:
    members = []
    for r in g.rows:
        person = {k: r.values[k] for k in PERSON_KEYS if k in r.values}
        for k in ("in_school", "employment_status"):
            if person.get(k) in ("", None):
                person.pop(k, None)  # the model's default
        for k in ("phone", "disability_category", "bank_name", "bank_account"):
            if person.get(k) is None:
                person[k] = ""
        members.append(MemberInput(relation=r.values["relation"], person=person))
    hukou = g.household["hukou_type"][0]
    try:
        household_create(
            village=villages[g.household["village_code"][0]],
            address=g.household["address"][0],
            hukou_type=hukou,
            members=members,
            by=by,
        )
    except ValidationError as e:
        _map_service_errors(g, e, err)
    except PermissionDenied as e:
        err(g.household["village_code"][1], "village_code", str(e))
    except DatabaseError:
        logger.exception("import: household %s could not be saved", g.key)
        err(
            g.rows[0].number,
            "household_key",
            _("Household %(key)s could not be saved; check its rows.") % {"key": g.key},
        )


_MEMBER_KEY = re.compile(r"^members\.(\d+)\.(\w+)$")


def _map_service_errors(g: Group, e: ValidationError, err: Any) -> None:
    """`members.<i>.id_number` → (row of member i, 身份证号); household keys → their row."""
    items = e.message_dict.items() if hasattr(e, "error_dict") else [("", e.messages)]
    for key, messages in items:
        m = _MEMBER_KEY.match(key)
        if m:
            index, fkey = int(m.group(1)), m.group(2)
            row = g.rows[index].number if index < len(g.rows) else g.rows[0].number
            column = SERVICE_KEY_COLUMN.get(fkey, "")
        else:
            column = SERVICE_KEY_COLUMN.get(key, "")
            source = g.household.get(column)
            row = source[1] if source else g.rows[0].number
        for message in messages:
            err(row, column, message)


__all__ = [
    "ImportReport",
    "RowError",
    "households_import",
    "read_spreadsheet",
]
