"""Every spreadsheet the system writes (xlsx or csv) is written here, formula-safe.

A cell whose text begins with = + - @ tab or carriage return is read by Excel, WPS and LibreOffice
as a formula (`=HYPERLINK(...)` sends data away, `@SUM(...)` runs), so such text gets a leading
apostrophe (OWASP "CSV injection"). Only text is touched: numbers stay numbers (a negative amount
stays -12.50) and dates stay dates. tests/core/test_exports.py fails if any module outside this one
writes a workbook or a csv, so a new export cannot bypass it.

- `safe_cell(value)` / `safe_row(row)`: the sanitiser;
- `write_csv(rows, headers=...)`, `write_xlsx(rows, headers=...)`: bytes of a whole file;
- `XlsxBook`: a workbook whose sheets sanitise every appended row, for styled reports;
- `export_response(...)` / `file_response(...)`: the download answer;
- `SafeCSV`, `SafeXLSX`: django-import-export formats (admin exports) that sanitise the dataset.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from import_export.formats import base_formats
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
FORMATS = tuple(CONTENT_TYPES)
BOM = "\ufeff"  # Excel opens a UTF-8 csv as Chinese text only with it

Row = Sequence[Any]


def safe_cell(value: Any) -> Any:
    """The value as it may go into a cell: formula-like text gets a leading apostrophe."""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if value is None or isinstance(value, (bool, int, float, Decimal, dt.date, dt.time)):
        return value  # numbers (negative ones too) and dates are never formulas
    return safe_cell(str(value))  # lazy translations, enums, model instances: their text


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


def write_csv(rows: Iterable[Row], *, headers: Row | None = None, bom: bool = True) -> bytes:
    """A UTF-8 csv (CRLF line ends, with a BOM by default)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    if headers is not None:
        w.writerow(safe_row(headers))
    for row in rows:
        w.writerow(safe_row(row))
    return ((BOM if bom else "") + out.getvalue()).encode("utf-8")


class XlsxBook:
    """A workbook whose sheets sanitise every row appended through `append`.

    `sheet(title)` returns (append, worksheet): use `append` for values and the worksheet only
    for styles (fonts, widths, number formats)."""

    def __init__(self, *, write_only: bool = False) -> None:
        self.workbook = Workbook(write_only=write_only)
        self._first = not write_only

    def sheet(self, title: str | None = None) -> "SafeSheet":
        if self._first:
            ws = self.workbook.active
            self._first = False
        else:
            ws = self.workbook.create_sheet()
        if title:
            ws.title = str(title)[:31]  # Excel's limit
        return SafeSheet(ws)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.workbook.save(buf)
        return buf.getvalue()


class SafeSheet:
    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws

    def append(self, row: Iterable[Any]) -> None:
        self.ws.append(safe_row(row))


def write_xlsx(
    rows: Iterable[Row], *, headers: Row | None = None, sheet_title: str | None = None
) -> bytes:
    """A one-sheet workbook (write-only: constant memory for large exports)."""
    book = XlsxBook(write_only=True)
    sheet = book.sheet(sheet_title)
    if headers is not None:
        sheet.append(headers)
    for row in rows:
        sheet.append(row)
    return book.to_bytes()


def write_file(
    rows: Iterable[Row], *, headers: Row | None, fmt: str, sheet_title: str | None = None
) -> bytes:
    if fmt == "csv":
        return write_csv(rows, headers=headers)
    if fmt == "xlsx":
        return write_xlsx(rows, headers=headers, sheet_title=sheet_title)
    raise ValueError(f"unknown export format {fmt!r}")


def file_response(body: bytes, *, fmt: str, filename: str) -> HttpResponse:
    resp = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


def export_response(
    rows: Iterable[Row],
    *,
    headers: Row | None,
    fmt: str,
    filename: str,
    sheet_title: str | None = None,
) -> HttpResponse:
    """The download of `rows` as xlsx or csv (`filename` without its extension)."""
    body = write_file(rows, headers=headers, fmt=fmt, sheet_title=sheet_title)
    return file_response(body, fmt=fmt, filename=f"{filename}.{fmt}")


# -- django-import-export (admin exports) ------------------------------------------------------


def _safe_dataset(dataset: Any) -> Any:
    import tablib

    safe = tablib.Dataset(headers=safe_row(dataset.headers or []) or None)
    for row in dataset:
        safe.append(safe_row(row))
    return safe


class SafeCSV(base_formats.CSV):
    def export_data(self, dataset: Any, **kwargs: Any) -> Any:
        return super().export_data(_safe_dataset(dataset), **kwargs)


class SafeXLSX(base_formats.XLSX):
    def export_data(self, dataset: Any, **kwargs: Any) -> Any:
        return super().export_data(_safe_dataset(dataset), **kwargs)
