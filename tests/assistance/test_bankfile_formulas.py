"""The bank file is formula-safe (issue 6 defect 2): a payee name never becomes a formula, the
amount stays a number."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from assistance.payroll import services as P

from .conftest import S, build_case, head_of, poor_household

pytestmark = pytest.mark.django_db

EVIL_PAYEE = "@SUM(1+1)"


@pytest.fixture
def approved(ca_pengjiang_2, cw_baisha, cw_baisha_2, ca_pengjiang, village_a, district):  # type: ignore[no-untyped-def]
    h = poor_household(village_a)
    head = head_of(h)
    head.name, head.bank_name, head.bank_account = EVIL_PAYEE, "=cmd|' /C calc'!A0", "-6228480000"
    head.save()
    build_case(h, to=S.CONFIRMED, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)
    payroll = P.payroll_build(county=district, month=dt.date(2026, 12, 1), by=ca_pengjiang).payroll
    return P.payroll_approve(payroll=payroll, by=ca_pengjiang_2)


def test_bank_file_xlsx_has_no_formula_and_a_numeric_amount(approved):
    body, _ctype, _name = P.payroll_export(approved, "xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    row = next(iter(ws.iter_rows(min_row=2, max_row=2)))
    payee, bank, account, amount = row[2], row[3], row[4], row[5]
    assert payee.data_type != "f" and payee.value == "'" + EVIL_PAYEE
    assert bank.data_type != "f" and bank.value.startswith("'")
    assert account.value == "'-6228480000"  # text beginning with "-" is escaped too
    assert amount.data_type == "n" and Decimal(str(amount.value)) == Decimal("1711")
    assert not any(c.data_type == "f" for r in ws.iter_rows() for c in r)


def test_bank_file_csv_has_no_formula(approved):
    body, _ctype, _name = P.payroll_export(approved, "csv")
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1][2:] == ["'" + EVIL_PAYEE, "'=cmd|' /C calc'!A0", "'-6228480000", "1711.00"]
