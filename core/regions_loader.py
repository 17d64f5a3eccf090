"""Load the Jiangmen region tree (city, counties, towns/streets) from core/data."""

import csv
from pathlib import Path

CSV_PATH = Path(__file__).parent / "data" / "regions-jiangmen.csv"

KIND_LEVEL = {
    "city": "city",
    "district": "county",
    "county_city": "county",
    "street": "township",
    "town": "township",
    "village": "village",
    "community": "village",
}


def load_regions(region_model) -> int:  # type: ignore[no-untyped-def]
    """Idempotent: creates missing regions, updates names/classes of existing ones.
    Works with a historical model (no custom save), so it computes level and path itself."""
    with CSV_PATH.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_code = {r.code: r for r in region_model.objects.all()}
    count = 0
    for row in rows:  # the file lists parents before children
        parent = by_code.get(row["parent_code"]) if row["parent_code"] else None
        path = (parent.path if parent else "") + row["code"] + "."
        area = int(row["guangdong_area_class"]) if row["guangdong_area_class"] else None
        region, _ = region_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "kind": row["level"],
                "level": KIND_LEVEL[row["level"]],
                "parent": parent,
                "path": path,
                "area_class": area,
            },
        )
        by_code[region.code] = region
        count += 1
    return count
