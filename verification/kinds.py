"""The twelve departmental datasets (issue 9, domain.md §4), declared once: each kind's fields,
their Chinese and English header aliases, which are required and how each cell is read. The
import pipeline, the empty templates, the error report and the record tables all read this.

`clean_row(kind, row, columns)` turns one spreadsheet row into a record's values, or the list of
(field, value, message) that say why it cannot be taken — the row report's lines.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django_stubs_ext import StrOrPromise

from households.idnumber import wrong_check_character
from households.tabular import CellError, clean_amount, clean_date, clean_id_number

Cleaner = Callable[[Any, dt.date], Any]


def _text(limit: int) -> Cleaner:
    def clean(value: Any, today: dt.date) -> str:
        if type(value) is str and unicodedata.is_normalized("NFKC", value):
            text = value.strip()
        else:
            text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        if "\x00" in text:
            raise CellError(_("The cell contains a NUL character."))
        if len(text) > limit:
            raise CellError(_("Longer than %(n)s characters.") % {"n": limit})
        return text

    clean.max_length = limit  # type: ignore[attr-defined]  # the record column's length
    return clean


def _count(value: Any, today: dt.date) -> int:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not re.fullmatch(r"\d{1,6}", text):
        raise CellError(_("“%(v)s” is not a whole number.") % {"v": value})
    return int(text)


def _area(value: Any, today: dt.date) -> Decimal:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
    text = re.sub(r"(平方米|㎡|m2|m²)$", "", text).strip()
    try:
        area = Decimal(text)
    except InvalidOperation as e:
        raise CellError(_("“%(v)s” is not an area in square metres.") % {"v": value}) from e
    if area < 0 or area > 100000:
        raise CellError(_("“%(v)s” is not an area in square metres.") % {"v": value})
    return area.quantize(Decimal("0.01"))


_FAST_ID = re.compile(r"\d{17}[\dX]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_BIAS = 48 * sum(_ID_WEIGHTS)  # the weights times ord("0")


def _id(value: Any, today: dt.date) -> str:
    # The fast path for what departments send almost always: 18 ASCII characters with a real
    # birth date, valid — or wrong only in the check character, the commonest error, said here
    # in parse_id_number's words (a ValidationError per bad row was most of a bad row's cost).
    # Anything else goes the full way, which reads full-width digits and says what is wrong.
    if type(value) is str and len(value) == 18 and value.isascii() and _FAST_ID.fullmatch(value):
        try:
            birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        except ValueError:
            birth = None
        if birth is not None and birth.year >= 1800 and birth <= today:
            b = value.encode()
            expected = "10X98765432"[(sum(map(operator.mul, b, _ID_WEIGHTS)) - _ID_BIAS) % 11]
            if expected == value[17]:
                return value
            raise CellError(wrong_check_character(expected))
    return clean_id_number(value, today=today)


def _date(value: Any, today: dt.date) -> dt.date:
    return clean_date(value, today=today)


_FAST_AMOUNT = re.compile(r"\d{1,13}(\.\d{1,2})?")


def _amount(value: Any, today: dt.date) -> Decimal:
    if type(value) is str and _FAST_AMOUNT.fullmatch(value):
        return Decimal(value)  # plain digits, at most two decimals: nothing to read into it
    return clean_amount(value)


@dataclass(frozen=True)
class Field:
    name: str
    label: StrOrPromise  # the template's header (Chinese in the catalogue)
    aliases: tuple[str, ...]
    clean: Cleaner
    required: bool = False


@dataclass(frozen=True)
class Kind:
    code: str
    label: StrOrPromise
    department: StrOrPromise
    fields: tuple[Field, ...] = field(default=())

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def aliases(self) -> dict[str, tuple[str, ...]]:
        return {f.name: (str(f.label), *f.aliases) for f in self.fields}


ID = Field(
    "id_number",
    pgettext_lazy("dataset field", "ID number"),
    ("身份证号", "身份证号码", "公民身份号码", "证件号码", "id number", "id_number"),
    _id,
    required=True,
)
NAME = Field("name", pgettext_lazy("dataset field", "Name"), ("姓名", "name"), _text(50))


def _kind(code: str, label: StrOrPromise, department: StrOrPromise, *fields: Field) -> Kind:
    return Kind(code, label, department, (ID, NAME, *fields))


KINDS: dict[str, Kind] = {
    k.code: k
    for k in [
        _kind(
            "household_registration",
            gettext_lazy("Household registration"),
            gettext_lazy("Public security"),
            Field(
                "address",
                pgettext_lazy("dataset field", "Registered address"),
                ("户籍地址", "住址", "address"),
                _text(255),
            ),
            Field(
                "hukou_type",
                pgettext_lazy("dataset field", "Hukou type"),
                ("户口性质", "户籍类型", "hukou"),
                _text(20),
            ),
        ),
        _kind(
            "motor_vehicle",
            gettext_lazy("Motor vehicles"),
            gettext_lazy("Public security (traffic)"),
            Field(
                "plate",
                pgettext_lazy("dataset field", "Plate number"),
                ("号牌号码", "车牌号", "plate"),
                _text(20),
                True,
            ),
            Field(
                "vehicle_type",
                pgettext_lazy("dataset field", "Vehicle type"),
                ("车辆类型", "vehicle type"),
                _text(50),
            ),
            Field(
                "registered_on",
                pgettext_lazy("dataset field", "Registered on"),
                ("注册日期", "初次登记日期"),
                _date,
            ),
        ),
        _kind(
            "employment",
            gettext_lazy("Employment"),
            gettext_lazy("Human resources"),
            Field(
                "employer",
                pgettext_lazy("dataset field", "Employer"),
                ("工作单位", "用人单位", "employer"),
                _text(200),
                True,
            ),
            Field(
                "monthly_salary",
                pgettext_lazy("dataset field", "Monthly salary"),
                ("月工资", "月收入", "salary"),
                _amount,
                True,
            ),
        ),
        _kind(
            "social_insurance",
            gettext_lazy("Social insurance contributions"),
            gettext_lazy("Social insurance agency"),
            Field(
                "insurance",
                pgettext_lazy("dataset field", "Insurance"),
                ("险种", "insurance"),
                _text(50),
            ),
            Field(
                "monthly_contribution",
                pgettext_lazy("dataset field", "Monthly contribution"),
                ("月缴费额", "缴费基数", "contribution"),
                _amount,
                True,
            ),
        ),
        _kind(
            "housing",
            gettext_lazy("Housing"),
            gettext_lazy("Housing and real estate"),
            Field(
                "property_address",
                pgettext_lazy("dataset field", "Property address"),
                ("房屋坐落", "房产地址", "address"),
                _text(255),
                True,
            ),
            Field(
                "use", pgettext_lazy("dataset field", "Use"), ("房屋用途", "用途", "use"), _text(50)
            ),
            Field(
                "area",
                pgettext_lazy("dataset field", "Area (m²)"),
                ("建筑面积", "面积", "area"),
                _area,
                True,
            ),
        ),
        _kind(
            "agricultural_machinery",
            gettext_lazy("Agricultural machinery"),
            gettext_lazy("Agriculture"),
            Field(
                "machine_type",
                pgettext_lazy("dataset field", "Machine type"),
                ("机具类型", "农机类型", "machine"),
                _text(100),
                True,
            ),
            Field(
                "value",
                pgettext_lazy("dataset field", "Value"),
                ("价值", "购置价格", "value"),
                _amount,
            ),
        ),
        _kind(
            "agricultural_subsidy",
            gettext_lazy("Agricultural subsidies"),
            gettext_lazy("Agriculture"),
            Field(
                "subsidy_type",
                pgettext_lazy("dataset field", "Subsidy"),
                ("补贴项目", "补贴类型", "subsidy"),
                _text(100),
            ),
            Field(
                "amount",
                pgettext_lazy("dataset field", "Amount"),
                ("补贴金额", "金额", "amount"),
                _amount,
                True,
            ),
        ),
        _kind(
            "bank_deposit",
            gettext_lazy("Bank deposits"),
            gettext_lazy("Banks"),
            Field(
                "bank",
                pgettext_lazy("dataset field", "Bank"),
                ("开户银行", "银行", "bank"),
                _text(100),
                True,
            ),
            Field(
                "balance",
                pgettext_lazy("dataset field", "Balance"),
                ("存款余额", "余额", "balance"),
                _amount,
                True,
            ),
        ),
        _kind(
            "securities",
            gettext_lazy("Securities"),
            gettext_lazy("Securities companies"),
            Field(
                "institution",
                pgettext_lazy("dataset field", "Institution"),
                ("证券公司", "开户机构", "institution"),
                _text(100),
            ),
            Field(
                "market_value",
                pgettext_lazy("dataset field", "Market value"),
                ("市值", "证券市值", "market value"),
                _amount,
                True,
            ),
        ),
        _kind(
            "tax",
            gettext_lazy("Tax"),
            gettext_lazy("Taxation"),
            Field(
                "tax_year",
                pgettext_lazy("dataset field", "Year"),
                ("纳税年度", "年度", "year"),
                _count,
                True,
            ),
            Field(
                "tax_paid",
                pgettext_lazy("dataset field", "Tax paid"),
                ("已缴税额", "纳税额", "tax paid"),
                _amount,
                True,
            ),
        ),
        _kind(
            "provident_fund",
            gettext_lazy("Housing provident fund"),
            gettext_lazy("Housing provident fund centre"),
            Field(
                "monthly_contribution",
                pgettext_lazy("dataset field", "Monthly deposit"),
                ("月缴存额", "月缴额", "contribution"),
                _amount,
            ),
            Field(
                "balance",
                pgettext_lazy("dataset field", "Balance"),
                ("账户余额", "余额", "balance"),
                _amount,
                True,
            ),
        ),
        _kind(
            "business",
            gettext_lazy("Individual businesses"),
            gettext_lazy("Market regulation"),
            Field(
                "registration_no",
                pgettext_lazy("dataset field", "Registration no."),
                ("统一社会信用代码", "注册号", "registration"),
                _text(30),
                True,
            ),
            Field(
                "business_name",
                pgettext_lazy("dataset field", "Business name"),
                ("字号名称", "名称", "business name"),
                _text(200),
            ),
            Field(
                "employees",
                pgettext_lazy("dataset field", "Employees"),
                ("从业人数", "雇工人数", "employees"),
                _count,
            ),
        ),
    ]
}
assert len(KINDS) == 12


def clean_row(
    kind: Kind,
    row: list[Any],
    columns: dict[str, int],
    *,
    today: dt.date,
    labels: Sequence[str] | None = None,
) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """One row's values by field, and its errors as (field label, value, message). `labels`:
    the fields' labels already translated (an import translates them once, not per bad row)."""
    values: dict[str, Any] = {}
    errors: list[tuple[str, str, str]] = []
    for i, f in enumerate(kind.fields):
        j = columns.get(f.name)
        raw = row[j] if j is not None and j < len(row) else None
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        if empty:
            if f.required:
                errors.append((labels[i] if labels else str(f.label), "", _("Required.")))
            else:
                values[f.name] = None
            continue
        try:
            values[f.name] = f.clean(raw, today)
        except CellError as e:
            errors.append((labels[i] if labels else str(f.label), str(raw)[:100], str(e)))
    return values, errors
