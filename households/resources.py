"""The household/person spreadsheet format: one row per person, Chinese column headers.

`PersonResource` (django-import-export) is the single description of the format. It drives
- export from the Person admin (same headers; ID number, phone and bank account masked,
  since exports leave the system), and
- import (`households.importing.households_import`), which streams the file (households.tabular),
  maps the headers through this resource and cleans every cell with the field's widget (the
  lookups loaded once first: `preload`), then checks and writes the file set-based in SQL.

The column headers and the cell vocabularies (城镇/农村, 户主/配偶/…, 是/否) are the file format
agreed with the townships, so they are fixed Chinese text, not translated UI strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from core.masking import mask_id_number, mask_phone

from .idnumber import parse_id_number
from .models import (
    DisabilityCategory,
    EmploymentStatus,
    Household,
    Membership,
    Person,
    Relation,
    SeriousIllness,
)


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the user as is."""


# ---------------------------------------------------------------------------------------------
# Columns


@dataclass(frozen=True)
class Column:
    key: str  # resource field name
    header: str  # the Chinese column header
    required: bool
    household_level: bool = False  # the same for every row of one household
    help: Any = ""  # allowed values, shown on the import page
    example: str = ""  # the template's example row


# Cell vocabularies: model value → the label written on export (and read on import).
HUKOU_LABELS = {Household.Hukou.URBAN: "城镇", Household.Hukou.RURAL: "农村"}
HUKOU_ALIASES = {"城市": "urban", "非农": "urban", "非农业": "urban", "农业": "rural"}

RELATION_LABELS = {
    Relation.HEAD: "户主",
    Relation.SPOUSE: "配偶",
    Relation.CHILD: "子女",
    Relation.CHILD_IN_LAW: "儿媳/女婿",
    Relation.GRANDCHILD: "孙子女",
    Relation.PARENT: "父母",
    Relation.GRANDPARENT: "祖父母",
    Relation.SIBLING: "兄弟姐妹",
    Relation.OTHER: "其他",
}
RELATION_ALIASES = {
    **{w: "head" for w in ("本人", "户主本人")},
    **{w: "spouse" for w in ("妻", "妻子", "夫", "丈夫", "夫妻")},
    **{
        w: "child"
        for w in (
            "子",
            "女",
            "儿子",
            "女儿",
            "长子",
            "次子",
            "长女",
            "次女",
            "独子",
            "独女",
            "养子",
            "养女",
        )
    },
    **{w: "child_in_law" for w in ("儿媳", "女婿", "媳妇", "子女配偶")},
    **{w: "grandchild" for w in ("孙子", "孙女", "外孙", "外孙子", "外孙女", "孙辈")},
    **{w: "parent" for w in ("父亲", "母亲", "父", "母", "公公", "婆婆", "岳父", "岳母")},
    **{w: "grandparent" for w in ("祖父", "祖母", "外祖父", "外祖母", "爷爷", "奶奶")},
    **{
        w: "sibling"
        for w in ("兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹", "兄弟", "姐妹")
    },
    **{w: "other" for w in ("其他亲属", "其它", "其他关系")},
}

DISABILITY_LABELS = {
    DisabilityCategory.VISUAL: "视力",
    DisabilityCategory.HEARING: "听力",
    DisabilityCategory.SPEECH: "言语",
    DisabilityCategory.PHYSICAL: "肢体",
    DisabilityCategory.INTELLECTUAL: "智力",
    DisabilityCategory.MENTAL: "精神",
    DisabilityCategory.MULTIPLE: "多重",
}
DISABILITY_ALIASES = {f"{label}残疾": str(value) for value, label in DISABILITY_LABELS.items()}

EMPLOYMENT_LABELS = {
    EmploymentStatus.EMPLOYED: "就业",
    EmploymentStatus.FLEXIBLE: "灵活就业",
    EmploymentStatus.FARMING: "务农",
    EmploymentStatus.UNEMPLOYED: "无业",
    EmploymentStatus.RETIRED: "退休",
    EmploymentStatus.NOT_APPLICABLE: "不适用",
}
EMPLOYMENT_ALIASES = {
    **{w: "employed" for w in ("在业", "已就业", "在职", "务工")},
    **{w: "flexible" for w in ("零工", "临时工", "打零工")},
    **{w: "farming" for w in ("农业", "种养")},
    **{w: "unemployed" for w in ("失业", "未就业", "待业")},
    **{w: "retired" for w in ("离退休", "已退休")},
    **{w: "n/a" for w in ("学生", "儿童", "学龄前", "无")},
}

YES = ("是", "Y", "YES", "TRUE", "1", "√")
NO = ("否", "N", "NO", "FALSE", "0", "×")

COLUMNS: tuple[Column, ...] = (
    Column(
        "household_key",
        "户编号",
        True,
        True,
        gettext_lazy(
            "Rows with the same key form one household (the key is only used in this file)."
        ),
        "1",
    ),
    Column(
        "village_code",
        "村居代码",
        True,
        True,
        gettext_lazy("The 12-digit code of the village or community."),
        "440703002201",
    ),
    Column("address", "地址", True, True, "", "白沙街道幸福路1号"),
    Column("hukou_type", "户口性质", True, True, "城镇 / 农村", "城镇"),
    Column("relation", "与户主关系", True, False, " / ".join(RELATION_LABELS.values()), "户主"),
    Column("name", "姓名", True, False, "", "张三"),
    Column(
        "id_number",
        "身份证号",
        True,
        False,
        gettext_lazy("18-character resident ID number; format the column as text."),
        "440703198005170013",
    ),
    Column("phone", "联系电话", False, False, "", "13800000000"),
    Column(
        "disability_category", "残疾类别", False, False, " / ".join(DISABILITY_LABELS.values()), ""
    ),
    Column(
        "disability_grade",
        "残疾等级",
        False,
        False,
        gettext_lazy("1–4, given together with the disability category."),
        "",
    ),
    Column(
        "serious_illness",
        "重病",
        False,
        False,
        gettext_lazy("A name from the list of serious illnesses."),
        "",
    ),
    Column("in_school", "在校学生", False, False, "是 / 否", "否"),
    Column(
        "employment_status",
        "就业状况",
        False,
        False,
        " / ".join(EMPLOYMENT_LABELS.values()),
        "务农",
    ),
    Column("bank_name", "开户银行", False, False, "", "江门农商银行"),
    Column(
        "bank_account",
        "银行账号",
        False,
        False,
        gettext_lazy("Digits only; format the column as text."),
        "6200000000000000000",
    ),
)
COLUMNS_BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED_KEYS = tuple(c.key for c in COLUMNS if c.required)

# Other headers townships use for the same columns.
HEADER_ALIASES = {
    "户号": "household_key",
    "家庭编号": "household_key",
    "村居委会代码": "village_code",
    "村（居）代码": "village_code",
    "村(居)代码": "village_code",
    "家庭地址": "address",
    "户籍性质": "hukou_type",
    "与户主的关系": "relation",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "电话": "phone",
    "手机号码": "phone",
    "联系方式": "phone",
    "是否在校学生": "in_school",
    "在校生": "in_school",
    "银行卡号": "bank_account",
}


def normalise_header(value: Any) -> str:
    """'  身份证号 * ' → '身份证号' (spaces, BOM and required-marks dropped)."""
    text = "" if value is None else str(value)
    text = re.sub(r"[\s\u3000\ufeff]+", "", text)
    return text.rstrip("*＊")


def header_key(value: Any) -> str | None:
    h = normalise_header(value)
    for c in COLUMNS:
        if h == c.header:
            return c.key
    return HEADER_ALIASES.get(h)


# ---------------------------------------------------------------------------------------------
# Widgets: cell text ⇄ model value. clean() raises CellError with a message for the user.


def cell_text(value: Any, *, exact_digits: bool = False) -> str:
    """A cell as text. Spreadsheets hand over numbers for digit-only cells: whole numbers are
    fine, but a long number stored as a float has lost digits (Excel keeps 15)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if exact_digits and (abs(value) >= 1e15 or not value.is_integer()):
            raise CellError(
                _(
                    "The number was stored as a number and has lost digits; format the column "
                    "as text and type it again."
                )
            )
        return str(int(value)) if value.is_integer() else str(value)
    return str(value).strip()


class TextWidget(widgets.CharWidget):
    def __init__(self, max_length: int, **kwargs: Any) -> None:
        self.max_length = max_length
        super().__init__(**kwargs)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value)
        if len(text) > self.max_length:
            raise CellError(_("At most %(n)d characters.") % {"n": self.max_length})
        return text


class ChoiceLabelWidget(widgets.Widget):
    """A choice by its Chinese label (or an alias, or the stored value)."""

    def __init__(self, labels: dict[Any, str], aliases: dict[str, str] | None = None) -> None:
        super().__init__()
        self.labels = {str(k): v for k, v in labels.items()}
        self.lookup: dict[str, str] = {}
        for value, label in self.labels.items():
            self.lookup[value.upper()] = value
            self.lookup[label.upper()] = value
            for part in label.split("/"):
                self.lookup[part.upper()] = value
        for alias, value in (aliases or {}).items():
            self.lookup.setdefault(alias.upper(), value)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value).replace(" ", "").upper()
        if not text:
            return ""
        try:
            return self.lookup[text]
        except KeyError:
            raise CellError(
                _("“%(value)s” is not one of: %(allowed)s.")
                % {"value": cell_text(value), "allowed": "、".join(self.labels.values())}
            ) from None

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return self.labels.get(str(value), str(value or ""))


class GradeWidget(widgets.Widget):
    _CN = {"一": 1, "二": 2, "三": 3, "四": 4}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        text = cell_text(value).replace(" ", "")
        if not text:
            return None
        core = text.removesuffix("级")
        core = core.removeprefix("第")
        grade = self._CN.get(core) or (int(core) if core.isdigit() else None)
        if grade not in (1, 2, 3, 4):
            raise CellError(_("The disability grade is 1, 2, 3 or 4."))
        return grade

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(value)


class YesNoWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool | None:
        text = cell_text(value).replace(" ", "").upper()
        if not text:
            return None
        if text in YES:
            return True
        if text in NO:
            return False
        raise CellError(_("Write 是 or 否."))

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "是" if value else "否"


class IdNumberWidget(widgets.Widget):
    """Validated with the check character; masked on export."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value, exact_digits=True)
        if not text:
            return ""
        try:
            return parse_id_number(text).number
        except ValidationError as e:
            raise CellError(" ".join(e.messages)) from None

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return mask_id_number(value or "")


class VillageCodeWidget(widgets.Widget):
    """Shape only; the region lookup (and the scope check) is done in one query per file."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value, exact_digits=True).replace(" ", "")
        if text and (len(text) != 12 or not text.isdigit()):
            raise CellError(_("A village or community code has 12 digits."))
        return text


class PhoneWidget(widgets.Widget):
    _SHAPE = re.compile(r"^[0-9+\-() ]{3,20}$")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value, exact_digits=True)
        if text and not self._SHAPE.match(text):
            raise CellError(_("A phone number is up to 20 digits (with + - ( ) allowed)."))
        return text

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return mask_phone(value or "")


class BankAccountWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value, exact_digits=True).replace(" ", "").replace("-", "")
        if text and (not text.isdigit() or len(text) > 32):
            raise CellError(_("A bank account number is up to 32 digits."))
        return text

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        value = value or ""
        return "*" * max(0, len(value) - 4) + value[-4:]


class SeriousIllnessWidget(widgets.Widget):
    """An active SeriousIllness by name (the list is small: loaded once per resource)."""

    def __init__(self) -> None:
        super().__init__()
        self._by_name: dict[str, SeriousIllness] | None = None

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> SeriousIllness | None:
        text = cell_text(value)
        if not text or text in NO:
            return None
        if self._by_name is None:
            self.preload()
        assert self._by_name is not None
        try:
            return self._by_name[text]
        except KeyError:
            raise CellError(
                _("“%(value)s” is not in the list of serious illnesses.") % {"value": text}
            ) from None

    def preload(self) -> None:
        """Load the list now (a reader streaming into COPY may not query while it runs)."""
        self._by_name = {s.name: s for s in SeriousIllness.objects.filter(active=True)}

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.name if value else ""


# ---------------------------------------------------------------------------------------------
# The resource


def _field(key: str, widget: widgets.Widget, attribute: str | None = None) -> fields.Field:
    return fields.Field(
        attribute=attribute, column_name=COLUMNS_BY_KEY[key].header, widget=widget, readonly=True
    )


class PersonResource(resources.ModelResource):
    """One row per person with their active household. `user` is the acting user (the admin
    passes request.user); the import uses it for the region scope."""

    household_key = _field("household_key", TextWidget(max_length=40))
    village_code = _field("village_code", VillageCodeWidget())
    address = _field("address", TextWidget(max_length=255))
    hukou_type = _field("hukou_type", ChoiceLabelWidget(HUKOU_LABELS, HUKOU_ALIASES))
    relation = _field("relation", ChoiceLabelWidget(RELATION_LABELS, RELATION_ALIASES))
    name = _field("name", TextWidget(max_length=50), "name")
    id_number = _field("id_number", IdNumberWidget(), "id_number")
    phone = _field("phone", PhoneWidget(), "phone")
    disability_category = _field(
        "disability_category",
        ChoiceLabelWidget(DISABILITY_LABELS, DISABILITY_ALIASES),
        "disability_category",
    )
    disability_grade = _field("disability_grade", GradeWidget(), "disability_grade")
    serious_illness = _field("serious_illness", SeriousIllnessWidget(), "serious_illness")
    in_school = _field("in_school", YesNoWidget(), "in_school")
    employment_status = _field(
        "employment_status",
        ChoiceLabelWidget(EMPLOYMENT_LABELS, EMPLOYMENT_ALIASES),
        "employment_status",
    )
    bank_name = _field("bank_name", TextWidget(max_length=100), "bank_name")
    bank_account = _field("bank_account", BankAccountWidget(), "bank_account")

    class Meta:
        model = Person
        fields = tuple(c.key for c in COLUMNS)
        export_order = tuple(c.key for c in COLUMNS)

    def __init__(self, user: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user

    # -- import helpers ------------------------------------------------------------------------

    def preload(self) -> None:
        """Load every lookup the cells need, so that cleaning makes no query."""
        for f in self.fields.values():
            if hasattr(f.widget, "preload"):
                f.widget.preload()

    def clean_cell(self, key: str, value: Any) -> Any:
        """The model value of one cell; raises CellError with the user's message."""
        return self.fields[key].widget.clean(value)

    # -- export --------------------------------------------------------------------------------

    @staticmethod
    def with_active_household(qs: QuerySet[Person]) -> QuerySet[Person]:
        return qs.select_related("serious_illness").prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.active().select_related("household__village"),
                to_attr="active_memberships",
            )
        )

    def get_queryset(self) -> QuerySet[Person]:
        return self.with_active_household(Person.objects.all())

    def filter_export(self, queryset: QuerySet[Person], **kwargs: Any) -> QuerySet[Person]:
        return self.with_active_household(queryset)

    @staticmethod
    def _membership(person: Person) -> Membership | None:
        active = getattr(person, "active_memberships", None)
        if active is None:
            active = list(person.memberships.active())
        return active[0] if active else None

    def _household_value(self, person: Person, key: str) -> str:
        m = self._membership(person)
        if m is None:
            return ""
        h = m.household
        value: Any = {
            "household_key": h.pk,
            "village_code": h.village.code,
            "address": h.address,
            "hukou_type": h.hukou_type,
            "relation": m.relation,
        }[key]
        return self.fields[key].widget.render(value)

    def dehydrate_household_key(self, person: Person) -> str:
        return self._household_value(person, "household_key")

    def dehydrate_village_code(self, person: Person) -> str:
        return self._household_value(person, "village_code")

    def dehydrate_address(self, person: Person) -> str:
        return self._household_value(person, "address")

    def dehydrate_hukou_type(self, person: Person) -> str:
        return self._household_value(person, "hukou_type")

    def dehydrate_relation(self, person: Person) -> str:
        return self._household_value(person, "relation")


def template_rows() -> tuple[list[str], list[list[str]]]:
    """Headers and one example row for the downloadable template."""
    return [c.header for c in COLUMNS], [[c.example for c in COLUMNS]]
