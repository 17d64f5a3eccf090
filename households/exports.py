"""Household list export (xlsx/csv). ID numbers are masked: exports leave the system."""

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from tablib import Dataset

from .models import Household

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
MAX_ROWS = 200_000


def household_dataset(qs: QuerySet[Household]) -> Dataset:
    data = Dataset(
        headers=[
            _("Household no."),
            _("Town / street"),
            _("Village / community"),
            _("Address"),
            _("Hukou"),
            _("Head"),
            _("Members"),
        ]
    )
    hukou = dict(Household.Hukou.choices)
    for h in qs[:MAX_ROWS].iterator(chunk_size=2000):
        data.append(
            [
                h.pk,
                h.village.parent.name if h.village.parent else "",
                h.village.name,
                h.address,
                str(hukou.get(h.hukou_type, h.hukou_type)),
                getattr(h, "head_name", "") or "",
                getattr(h, "member_count", ""),
            ]
        )
    return data


def household_export_response(qs: QuerySet[Household], *, fmt: str) -> HttpResponse:
    data = household_dataset(qs)
    body = data.export(fmt)
    if fmt == "csv":
        body = "\ufeff" + body  # BOM so Excel opens Chinese text correctly
    resp = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    resp["Content-Disposition"] = f'attachment; filename="households-{stamp}.{fmt}"'
    return resp
