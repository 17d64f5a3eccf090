"""The supervision page's charts: one per measure, its districts as categories, from the same
figures as the tables, the API and the workbook (selectors.measure_values)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .selectors import SupervisionMonth, measure_values


def _num(v: Any) -> Any:
    return float(v) if isinstance(v, Decimal) else v


def measure_sections(report: SupervisionMonth) -> list[dict[str, Any]]:
    """Each measure with its table (a row per figure, a column per district and the total)
    and its chart's data for static/js/charts.js (the districts only)."""
    n = len(report.districts)
    out = []
    for m in measure_values(report):
        drawn = [f for f in m["figures"] if f["chart"]]
        m["chart"] = {
            "title": m["title"],
            "categories": [d.name for d in report.districts],
            "series": [
                {"name": f["label"], "data": [_num(v) for v in f["values"][:n]]} for f in drawn
            ],
            "stack": False,
            "percent": False,
            "targets": [],
        }
        out.append(m)
    return out
