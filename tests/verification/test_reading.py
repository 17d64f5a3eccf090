"""Reading spreadsheets from the wild: encodings, headers, cells (issue 9, bad input)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from core import exports
from households.tabular import (
    GB18030,
    UTF8,
    UTF8_BOM,
    CellError,
    clean_amount,
    clean_date,
    clean_id_number,
    csv_rows,
    detect_encoding,
    map_headers,
    xlsx_rows,
)

TODAY = dt.date(2026, 12, 3)
ROWS = [
    ["身份证号", "姓名", "余额（元）"],
    ["11010519491231002X", "张三", "1,234.50"],
    ["", "", ""],
]


def _csv(rows, encoding):  # type: ignore[no-untyped-def]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "detected"), [("utf-8", UTF8), ("utf-8-sig", UTF8_BOM), ("gbk", GB18030)]
)
def test_csv_in_each_encoding_reads_the_same(encoding, detected):
    data = _csv(ROWS, encoding)
    assert detect_encoding(data[:64]) == detected
    rows = list(csv_rows(io.BytesIO(data)))
    assert rows == ROWS[:2]  # the trailing empty row dropped


def test_a_utf8_character_cut_at_the_block_end_is_still_utf8():
    data = "身份证号".encode()
    assert detect_encoding(data[:-1]) == UTF8


def test_csv_streams_a_large_file_from_a_small_first_block():
    rows = [["身份证号", "姓名"]] + [["11010519491231002X", f"人{i}"] for i in range(20000)]
    data = _csv(rows, "gbk")
    read = csv_rows(io.BytesIO(data))
    assert next(read) == ["身份证号", "姓名"]
    assert sum(1 for _ in read) == 20000


def test_xlsx_rows_and_a_truncated_workbook():
    body = exports.write_xlsx([["11010519491231002X", 1234.5]], headers=["身份证号", "余额"])
    assert list(xlsx_rows(io.BytesIO(body))) == [
        ["身份证号", "余额"],
        ["11010519491231002X", 1234.5],
    ]
    with pytest.raises(CellError, match="cannot be read"):
        list(xlsx_rows(io.BytesIO(body[: len(body) // 2])))


ALIASES = {"id_number": ("身份证号", "公民身份号码", "ID number"), "balance": ("余额", "存款余额")}


def test_headers_by_alias_loosely():
    m = map_headers(["", " 公民身份号码：", "姓名", "余额（元）"], ALIASES, required=["id_number"])
    assert m.columns == {"id_number": 1, "balance": 3} and m.errors == []  # "(元)" is a unit
    m = map_headers(["ID Number", "存款余额"], ALIASES, required=["id_number", "balance"])
    assert m.columns == {"id_number": 0, "balance": 1}


def test_missing_and_duplicate_headers_are_errors():
    m = map_headers(["姓名"], ALIASES, required=["id_number"])
    assert m.errors == ["Missing columns: 身份证号."]
    m = map_headers(["身份证号", "公民身份号码"], ALIASES, required=["id_number"])
    assert "appears twice" in m.errors[0]


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002X",
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        " 110105 19491231 002X ",
        "110105\u300019491231002X",
    ],
)
def test_id_numbers_are_normalised(raw):
    assert clean_id_number(raw, today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize("raw", ["", "110105194912310021", "1101051949123100"])
def test_bad_id_numbers_say_why(raw):
    with pytest.raises(CellError):
        clean_id_number(raw, today=TODAY)


@pytest.mark.parametrize(
    "raw",
    [
        dt.date(2017, 6, 1),
        dt.datetime(2017, 6, 1, 0, 0),
        42887,
        42887.0,
        "2017-06-01",
        "2017/6/1",
        "2017.6.1",
        "2017年6月1日",
        "20170601",
        "２０１７年６月１日",
        "2017-06-01 00:00:00",
    ],
)
def test_dates_read_unambiguously(raw):
    assert clean_date(raw, today=TODAY) == dt.date(2017, 6, 1)


@pytest.mark.parametrize("raw", ["6/1/2017", "01-06-2017", "2017-02-30", "明年", 5, 42887.5, ""])
def test_dates_never_guessed(raw):
    with pytest.raises(CellError):
        clean_date(raw, today=TODAY)


def test_a_future_date_is_refused():
    with pytest.raises(CellError, match="future"):
        clean_date("2027-01-01", today=TODAY)


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("1,234.50", "1234.50"),
        ("1234.5元", "1234.50"),
        ("￥1 234", "1234.00"),
        ("１２３４", "1234.00"),
        (1234.5, "1234.50"),
        (0, "0.00"),
    ],
)
def test_amounts(raw, amount):
    assert clean_amount(raw) == Decimal(amount)


@pytest.mark.parametrize(
    "raw",
    [
        "1.2.3",
        "12a",
        "1.234",
        "-5",
        "",
        True,
        "1,23",
        "100000000000000",
        float("inf"),
        float("nan"),
    ],
)
def test_bad_amounts_say_why(raw):
    with pytest.raises(CellError):
        clean_amount(raw)


def test_the_largest_amount_a_record_holds_is_read():
    # numeric(16, 2): 14 digits before the point; one more is refused by the cleaner, not by a
    # failing COPY.
    assert clean_amount("99999999999999.99") == Decimal("99999999999999.99")
