"""Household list export (xlsx/csv), written by the formula-safe core.exports. ID numbers are not
exported: exports leave the system."""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exports import export_response

from .models import Household

MAX_ROWS = 200_000


def household_headers() -> list[str]:
    return [
        _("Household no."),
        _("Town / street"),
        _("Village / community"),
        _("Address"),
        _("Hukou"),
        _("Head"),
        _("Members"),
    ]


def household_rows(qs: QuerySet[Household]) -> Iterator[list[object]]:
    hukou = dict(Household.Hukou.choices)
    for h in qs[:MAX_ROWS].iterator(chunk_size=2000):
        yield [
            h.pk,
            h.village.parent.name if h.village.parent else "",
            h.village.name,
            h.address,
            str(hukou.get(h.hukou_type, h.hukou_type)),
            getattr(h, "head_name", "") or "",
            getattr(h, "member_count", ""),
        ]


def household_export_response(qs: QuerySet[Household], *, fmt: str) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return export_response(
        household_rows(qs), headers=household_headers(), fmt=fmt, filename=f"households-{stamp}"
    )
