"""The inbound streams, declared once: who may send each (a known outside system or
department), its columns (as a verification import Kind: the same header aliases and cell
cleaners as the departments' datasets) and how its status column reads.

- `national_register`: the national poverty register's export (全国防返贫监测信息系统), one row
  per person of a registered household, with the household's per-capita income.
- `insurance_enrolments`: the social insurance agency's list of enrolled persons."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrOrPromise

from verification import kinds as K

from ..models import Department

# Senders we know: the outside systems and our departments (code -> label).
SENDERS: dict[str, StrOrPromise] = {
    "national_register": _("National poverty monitoring system"),
    Department.SOCIAL_SECURITY: Department.SOCIAL_SECURITY.label,
    Department.POVERTY_OFFICE: Department.POVERTY_OFFICE.label,
    Department.CIVIL_AFFAIRS: Department.CIVIL_AFFAIRS.label,
}

# Their status words -> ours (a status they write that is not listed is compared as written).
REGISTER_STATUS = {
    "在册": "in",
    "未脱贫": "in",
    "贫困户": "in",
    "registered": "in",
    "in": "in",
    "已脱贫": "exited",
    "脱贫": "exited",
    "exited": "exited",
}
INSURANCE_STATUS = {
    "已参保": "enrolled",
    "参保": "enrolled",
    "正常参保": "enrolled",
    "enrolled": "enrolled",
    "免缴": "exempt",
    "exempt": "exempt",
    "未参保": "pending",
    "pending": "pending",
    "拒绝参保": "refused",
    "refused": "refused",
}


def _f(name: str, label: str, aliases: tuple[str, ...], clean: K.Cleaner, req: bool = False):  # type: ignore[no-untyped-def]
    return K.Field(name, pgettext_lazy("inbound field", label), aliases, clean, req)


HOUSEHOLD_NO = _f("household_no", "Household no.", ("户编号", "户码", "household no"), K._text(32))
HEAD_ID = _f(
    "head_id_number", "Head's ID number", ("户主身份证号", "户主证件号码", "head id"), K._id
)
MEMBERS = _f("members", "Members", ("家庭人口数", "家庭人数", "人口数", "members"), K._count)
VILLAGE = _f(
    "village_code", "Village code", ("行政区划代码", "村代码", "village code"), K._text(12)
)
INCOME = _f(
    "per_capita_income",
    "Per-capita monthly income",
    ("人均月收入", "家庭人均月收入", "per capita income"),
    K._amount,
)
REGISTER_STATUS_FIELD = _f(
    "status", "Status", ("贫困户状态", "状态", "户状态", "status"), K._text(20), True
)
INSURANCE_STATUS_FIELD = _f(
    "status", "Enrolment status", ("参保状态", "缴费状态", "enrolment status"), K._text(20), True
)
ID = K.Field(K.ID.name, K.ID.label, K.ID.aliases, K.ID.clean, True)
NAME = K.Field(K.NAME.name, K.NAME.label, K.NAME.aliases, K.NAME.clean, True)


@dataclass(frozen=True)
class Inbound:
    key: str
    label: StrOrPromise
    senders: tuple[str, ...]
    kind: str
    # The import's declaration: fields in InboundRow's column order (unused ones left out).
    kind_spec: K.Kind
    statuses: dict[str, str]
    # Which department owns the differences its comparison raises.
    owner: str
    # The fields compared with ours (name, ID of the head, members, status).
    compared: tuple[str, ...]


INBOUND: dict[str, Inbound] = {
    s.key: s
    for s in (
        Inbound(
            "national_register",
            _("National poverty register export"),
            ("national_register", Department.POVERTY_OFFICE),
            "registered_persons",
            K.Kind(
                "inbound_register",
                _("National poverty register"),
                _("National poverty monitoring system"),
                (
                    ID,
                    NAME,
                    HOUSEHOLD_NO,
                    HEAD_ID,
                    MEMBERS,
                    REGISTER_STATUS_FIELD,
                    VILLAGE,
                    INCOME,
                ),
            ),
            REGISTER_STATUS,
            Department.POVERTY_OFFICE,
            ("name", "head_id_number", "members", "status"),
        ),
        Inbound(
            "insurance_enrolments",
            _("Social-insurance enrolments"),
            (Department.SOCIAL_SECURITY,),
            "insurance_enrolments",
            K.Kind(
                "inbound_insurance",
                _("Social-insurance enrolments"),
                Department.SOCIAL_SECURITY.label,
                (ID, NAME, INSURANCE_STATUS_FIELD),
            ),
            INSURANCE_STATUS,
            Department.SOCIAL_SECURITY,
            ("name", "status"),
        ),
    )
}

# InboundRow's columns in the order of every kind's fields (COPY target).
ROW_COLUMNS = (
    "id_number",
    "name",
    "household_no",
    "head_id_number",
    "members",
    "status",
    "village_code",
    "per_capita_income",
)
