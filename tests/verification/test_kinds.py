"""The twelve dataset kinds: headers, required fields, each row's values or its reasons."""

import datetime as dt
from decimal import Decimal

import pytest

from households.tabular import map_headers
from verification.kinds import KINDS, clean_row

TODAY = dt.date(2026, 12, 3)
ID = "11010519491231002X"


def test_twelve_kinds_each_keyed_by_id_number():
    assert len(KINDS) == 12
    for kind in KINDS.values():
        assert kind.fields[0].name == "id_number" and kind.required[0] == "id_number"
        names = [f.name for f in kind.fields]
        assert len(names) == len(set(names)), kind.code


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("code", list(KINDS))
def test_the_template_headers_map_back_to_every_field(code, language):
    from django.utils import translation

    kind = KINDS[code]
    with translation.override(language):
        header = [str(f.label) for f in kind.fields]
    # Read in the other language: a template written in Chinese is read by an English page.
    m = map_headers(header, kind.aliases, required=kind.required)
    assert m.errors == [] and sorted(m.columns) == sorted(f.name for f in kind.fields)


def test_a_bank_row_in_chinese_headers():
    kind = KINDS["bank_deposit"]
    m = map_headers(
        ["公民身份号码", "姓名", "开户银行", "存款余额（元）"], kind.aliases, required=kind.required
    )
    values, errors = clean_row(
        kind, [ID.lower(), "张三", "农业银行", "12,000.5元"], m.columns, today=TODAY
    )
    assert errors == []
    assert values == {
        "id_number": ID,
        "name": "张三",
        "bank": "农业银行",
        "balance": Decimal("12000.50"),
    }


def test_a_bad_row_reports_every_cell():
    kind = KINDS["housing"]
    m = map_headers(["身份证号", "房屋坐落", "建筑面积"], kind.aliases, required=kind.required)
    _values, errors = clean_row(kind, ["110105194912310021", "", "大约90"], m.columns, today=TODAY)
    fields = [e[0] for e in errors]
    assert fields == ["ID number", "Property address", "Area (m²)"]


@pytest.mark.parametrize(("raw", "ok"), [("3", True), (3.0, True), ("三", False), ("-1", False)])
def test_employee_counts(raw, ok):
    kind = KINDS["business"]
    columns = {"id_number": 0, "registration_no": 1, "employees": 2}
    _values, errors = clean_row(kind, [ID, "92440703MA1", raw], columns, today=TODAY)
    assert (errors == []) is ok


def test_the_fast_paths_agree_with_the_full_readers():
    """ID numbers and amounts that look plain take a shortcut: same answers, same refusals."""
    from households.tabular import CellError, clean_amount, clean_id_number
    from verification.kinds import _amount, _id

    for raw in (ID, "110105194912310021", "110105209912310027", "110105194902300021"):
        try:
            full: object = clean_id_number(raw, today=TODAY)
        except CellError as e:
            full = type(e)
        try:
            fast: object = _id(raw, TODAY)
        except CellError as e:
            fast = type(e)
        assert fast == full, raw
    for raw in ("12", "12.5", "0.01", "1,234.50", "12.345"):
        try:
            full = clean_amount(raw)
        except CellError as e:
            full = type(e)
        try:
            fast = _amount(raw, TODAY)
        except CellError as e:
            fast = type(e)
        assert fast == full, raw


def test_a_nul_in_a_text_cell_is_reported():
    kind = KINDS["bank_deposit"]
    m = map_headers(["身份证号", "开户银行", "余额"], kind.aliases, required=kind.required)
    _values, errors = clean_row(kind, [ID, "农业\x00银行", "1"], m.columns, today=TODAY)
    assert [e[0] for e in errors] == ["Bank"]


@pytest.mark.parametrize(
    "raw",
    [
        ID,  # valid
        "110105194912310021",  # wrong check character only: the shortcut
        "110105194913310021",  # no such birth date (and a wrong check character)
        "110105299912310029",  # born in the future
        "11010519491231002x",  # lower-case x
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width, valid
        "１１０１０５１９４９１２３１００２１",  # full-width, wrong check character
        "11010519491231002",  # 17 characters
        "1101051949123100AX",  # a letter inside
    ],
)
def test_the_id_cleaner_says_what_the_full_validation_says(raw):  # type: ignore[no-untyped-def]
    """kinds._id's shortcuts accept and refuse exactly what clean_id_number does, in its words."""
    from households.tabular import CellError, clean_id_number
    from verification.kinds import _id

    def outcome(clean):  # type: ignore[no-untyped-def]
        try:
            return "ok", clean(raw, today=TODAY) if clean is clean_id_number else clean(raw, TODAY)
        except CellError as e:
            return "error", str(e)

    assert outcome(_id) == outcome(clean_id_number)
