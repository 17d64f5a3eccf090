"""The files datasets hands out, through core.exports (formula-safe): a snapshot's error report
and the empty template of each kind. A department's cell may well begin with = + - @ (a name, a
value, a pasted formula): in the report it is text, never a formula."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core import exports

from .. import kinds as K
from ..models import DatasetSnapshot, ImportRowError


def error_report_xlsx(snapshot: DatasetSnapshot, errors: QuerySet[ImportRowError]) -> bytes:
    """Row, column, value and message of every bad cell (streamed: a write-only workbook)."""
    qs = errors.values_list("row_no", "column", "value", "message")
    return exports.write_xlsx(
        (list(r) for r in qs.iterator(chunk_size=5000)),
        headers=[_("Row"), _("Column"), _("Value"), _("Message")],
        sheet_title=_("Errors"),
    )


def template_headers(kind: K.Kind) -> list[str]:
    """The field labels in the active language; a required column is marked with *."""
    return [f"{f.label}*" if f.required else str(f.label) for f in kind.fields]


def template_xlsx(kind: K.Kind) -> bytes:
    return exports.write_xlsx([], headers=template_headers(kind), sheet_title=str(kind.label))
