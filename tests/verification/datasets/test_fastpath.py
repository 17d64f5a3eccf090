"""The CSV fast path (verification/datasets/fastpath.py) only ever says "certainly clean": on the
same file it stages exactly the rows and reports exactly the errors that the Python cleaners do,
for every kind, whatever the file holds — and it does take the clean rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import unicodedata
from typing import Any

import pytest

from tests.factories import make_id_number
from verification import kinds as K
from verification.datasets import fastpath, importing
from verification.models import STAGE_MODELS, DatasetSnapshot, ImportLimit, ImportRowError

from .conftest import BANK_HEADER, bank_rows, csv_bytes, upload

S = DatasetSnapshot.Status
FULL = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def test_every_safe_character_is_left_alone_by_nfkc_and_by_strip():
    ranges = re.findall(
        r"\\x([0-9a-f]{2})-\\x([0-9a-f]{2})|\\u([0-9a-f]{4})(?:-\\u([0-9a-f]{4}))?", fastpath._SAFE
    )
    chars = []
    for a, b, c, d in ranges:
        lo, hi = (int(a, 16), int(b, 16)) if a else (int(c, 16), int(d or c, 16))
        chars += [chr(i) for i in range(lo, hi + 1)]
    assert len(chars) > 20_000  # the ranges were all read
    for ch in chars:
        assert unicodedata.is_normalized("NFKC", ch), hex(ord(ch))
        assert not ch.isspace() and ch.strip() == ch, hex(ord(ch))
    # Sequences too: nothing in the set composes with anything else in it.
    sample = "".join(random.Random(1).choices(chars, k=5000))
    assert unicodedata.is_normalized("NFKC", sample)


def _id(rng: random.Random, today: dt.date) -> str:
    good = make_id_number(dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30_000)))
    return rng.choice(
        [
            good,
            good,
            good,
            good[:17] + ("0" if good[17] != "0" else "1"),  # wrong check character
            good.lower(),
            good.translate(FULL),
            f" {good} ",
            good[:6] + " " + good[6:],
            good[:15],
            "",
            make_id_number(today + dt.timedelta(days=30)),  # born in the future
            good[:10] + "1332" + good[14:],  # 32 December
        ]
    )


def _cell(f: K.Field, rng: random.Random) -> str:
    if f.clean is K._date:
        choices = ["2017-06-01", "2017/6/1", "2017年6月1日", "20170601", "2030-01-01"]
        choices += [
            "2017-02-30",
            "",
            "43000",
            "0000-01-01",
            "2017-6-1",
            " 2017-06-01",
            "2016-02-29",
        ]
    elif f.clean is K._amount:
        choices = ["1234.50", "1,234.50", "1234.5元", "￥1 234", "-5", "1.234", "", "abc"]
        choices += ["12345678901234", "00012", "0", "9999999999999.99", "１２"]
    elif f.clean is K._count:
        choices = ["3", "007", "三", "", "1234567", "３", "2019", " 4"]
    elif f.clean is K._area:
        choices = ["89.5", "89.5平方米", "100000", "99999.99", "12.345", "", "-1", "0"]
    else:
        limit = f.clean.max_length  # type: ignore[attr-defined]
        choices = ["张三", " 张三 ", "Ｂａｎｋ", "a,b", 'q"x', "", "   ", "中·文", "、。"]
        choices += ["…", "\u3000张", "x" * limit, "x" * (limit + 1), "é", "e\u0301", "Ⅻ", "a\x00b"]
    return rng.choice(choices)


def _messy_file(kind: K.Kind, n: int, seed: int, today: dt.date) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator=rng.choice(["\n", "\r\n"]))
    w.writerow([str(f.label) for f in kind.fields])
    for i in range(n):
        if rng.random() < 0.6:  # mostly clean rows, so that the fast path has work
            row = [make_id_number(dt.date(1950, 1, 1) + dt.timedelta(days=i))]
            row += [_clean_cell(f, i) for f in kind.fields[1:]]
        else:
            row = [_id(rng, today)] + [_cell(f, rng) for f in kind.fields[1:]]
        w.writerow(row)
        r = rng.random()
        if r < 0.01:
            out.write("\n")  # a blank row in the middle
        elif r < 0.015:
            out.write('"多行\n单元格",x\n')  # a record over two lines (and short)
    return out.getvalue().encode()


def _clean_cell(f: K.Field, i: int) -> str:
    if f.clean is K._date:
        return (dt.date(2000, 1, 1) + dt.timedelta(days=i)).isoformat()
    if f.clean is K._amount:
        return f"{i}.{i % 100:02d}"
    if f.clean is K._area:
        return f"{i % 1000}.5"
    if f.clean is K._count:
        return str(i % 30)
    return f"居民{i}" if f.name == "name" else f"单位{i % 7}"


def _outcome(snapshot: DatasetSnapshot) -> dict[str, Any]:
    snapshot.refresh_from_db()
    model = STAGE_MODELS[snapshot.kind]
    names = ["row_no"] + [f.name for f in snapshot.kind_spec.fields]
    return {
        "status": snapshot.status,
        "counts": (snapshot.rows_total, snapshot.rows_invalid),
        "staged": list(
            model.objects.filter(snapshot=snapshot).order_by("row_no").values_list(*names)
        ),
        "errors": list(
            ImportRowError.objects.filter(snapshot=snapshot)
            .order_by("row_no", "column")
            .values_list("row_no", "column", "value", "message")
        ),
    }


def _both_paths(snapshot: DatasetSnapshot, monkeypatch: Any) -> tuple[dict, dict]:
    results = []
    for fast in (False, True):
        monkeypatch.setattr(importing, "FAST", fast)
        DatasetSnapshot.objects.filter(pk=snapshot.pk).update(status=S.VALIDATING)  # a retry
        assert importing.snapshot_validate(snapshot_id=snapshot.pk) == S.VALIDATED
        results.append(_outcome(snapshot))
    return results[0], results[1]


@pytest.fixture
def no_limit(db):  # type: ignore[no-untyped-def]
    ImportLimit.objects.update(max_invalid_percent=100)


@pytest.mark.parametrize("code", list(K.KINDS))
def test_both_paths_stage_and_report_the_same(code, data_admin, monkeypatch, no_limit):
    kind = K.KINDS[code]
    content = _messy_file(kind, 1500, seed=len(code), today=dt.date(2026, 12, 3))
    monkeypatch.setattr(fastpath, "CHUNK_BYTES", 9_000)  # many blocks, boundaries everywhere
    s = upload(data_admin, content, kind=code, name=f"{code}.csv")
    python, fast = _both_paths(s, monkeypatch)
    assert python["staged"] and python["errors"]  # the file has both
    assert fast == python


def test_a_gbk_file_takes_the_same_way(data_admin, monkeypatch, no_limit):
    kind = K.KINDS["housing"]
    text = _messy_file(kind, 800, seed=3, today=dt.date(2026, 12, 3)).decode()
    monkeypatch.setattr(fastpath, "CHUNK_BYTES", 7_000)
    s = upload(data_admin, text.encode("gb18030"), kind="housing", name="housing.csv")
    python, fast = _both_paths(s, monkeypatch)
    assert fast == python and len(python["staged"]) > 400


def test_an_unterminated_quote_hands_the_rest_to_the_csv_module(data_admin, monkeypatch, no_limit):
    rows = bank_rows(300)
    rows[200][1] = '"没有结束的引号'
    content = csv_bytes(BANK_HEADER, rows)
    monkeypatch.setattr(fastpath, "CHUNK_BYTES", 2_000)
    monkeypatch.setattr(fastpath, "MAX_RECORD_BYTES", 1_000)
    s = upload(data_admin, content)
    python, fast = _both_paths(s, monkeypatch)
    assert fast == python and len(python["staged"]) == 200


def test_clean_rows_never_reach_the_python_cleaners(data_admin, monkeypatch):
    calls = []
    real = K.clean_row
    monkeypatch.setattr(K, "clean_row", lambda *a, **k: calls.append(1) or real(*a, **k))
    rows = bank_rows(3000, bad=2)
    s = upload(data_admin, csv_bytes(BANK_HEADER, rows))
    assert importing.snapshot_validate(snapshot_id=s.pk) == S.VALIDATED
    s.refresh_from_db()
    assert (s.rows_total, s.rows_invalid) == (3000, 2)
    assert len(calls) == 2  # only the two bad rows went the Python way, to say why


def test_blocks_end_only_between_records(monkeypatch):
    monkeypatch.setattr(fastpath, "CHUNK_BYTES", 1_000)
    body = b"".join(b'"a\nb","c""\n",d\n' if i % 3 == 0 else b"x,y,z\n" for i in range(2000))
    pieces = [data for data, _rest in fastpath._records(io.BytesIO(body))]
    assert b"".join(pieces) == body
    for piece in pieces:
        assert piece.endswith(b"\n") and piece.count(b'"') % 2 == 0
        assert len(list(csv.reader(io.StringIO(piece.decode(), newline="")))) > 0


def test_a_cleaner_the_fast_path_does_not_know_sends_every_row_the_python_way():
    import polars as pl

    unknown = K.Field("odd", "odd", ("odd",), lambda v, today: v)
    ok, _value = fastpath.field_check(unknown, pl.col("c0"), dt.date(2026, 12, 3))
    frame = pl.DataFrame({"c0": ["1", "x", ""]})
    assert frame.select(ok.alias("ok"))["ok"].to_list() in ([False], [False] * 3)


def test_web_and_celery_parent_processes_do_not_load_polars():
    """polars' thread pool must not be forked once used: only the validation imports it."""
    import subprocess
    import sys

    code = (
        "import django, sys; django.setup(); import config.urls, config.celery; "
        "import verification.datasets.importing, verification.datasets.tasks; "
        "print('polars' in sys.modules)"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "False"


def _typed(cell: str, f: K.Field, rng: random.Random) -> Any:
    """The same cell as a spreadsheet might type it: numbers, dates, booleans, empty."""
    cell = cell.replace("\x00", "")  # a workbook cannot hold a NUL
    r = rng.random()
    if r < 0.05:
        return None
    if r < 0.08:
        return rng.choice([True, False, 0, 1.5, dt.datetime(2017, 6, 1), dt.date(2030, 1, 1)])
    try:
        if f.clean in (K._amount, K._area, K._count) and cell and r < 0.6:
            number = float(cell)
            return int(number) if number.is_integer() and r < 0.3 else number
        if f.clean is K._date and cell and r < 0.5:
            return dt.date.fromisoformat(cell)
    except ValueError:
        pass
    if f.clean is K._id and cell.isdigit() and r < 0.15:
        return int(cell)  # an ID number typed as a number: Excel loses its last digits
    return cell


@pytest.mark.parametrize("code", ["bank_deposit", "housing", "tax", "business", "motor_vehicle"])
def test_both_paths_agree_on_a_spreadsheet_with_typed_cells(
    code, data_admin, monkeypatch, no_limit
):
    from openpyxl import Workbook

    kind = K.KINDS[code]
    rng = random.Random(len(code))
    text = _messy_file(kind, 900, seed=len(code) + 7, today=dt.date(2026, 12, 3)).decode()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    wb = Workbook()
    ws = wb.active
    ws.append(rows[0])
    for row in rows[1:]:
        ws.append([_typed(c, f, rng) for c, f in zip(row, kind.fields, strict=False)])
    buf = io.BytesIO()
    wb.save(buf)
    monkeypatch.setattr(importing, "FAST", True)
    s = upload(data_admin, buf.getvalue(), kind=code, name=f"{code}.xlsx")
    python, fast = _both_paths(s, monkeypatch)
    assert python["staged"] and python["errors"]
    assert fast == python


def test_sheet_cells_the_fast_path_reads_as_text():
    assert fastpath._as_text("张三", False) == "张三"
    assert fastpath._as_text(None, True) == ""
    assert fastpath._as_text(1234.5, True) == "1234.5"
    assert fastpath._as_text(12, True) == "12"
    for typed in (1234.5, True, dt.date(2017, 6, 1)):  # never guessed outside amount columns
        assert fastpath._as_text(typed, False) == "\x00"
    assert fastpath._as_text(True, True) == "\x00"
