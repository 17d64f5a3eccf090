"""The poverty register's policy data as seeded (migration 0003; idempotent, also for tests
that flush the database)."""

import datetime as dt
from decimal import Decimal
from typing import Any

PLAN = "江府办〔2017〕23号"

CLASSIFICATION_RULES = [
    # domain.md §7: a member aged 16–59 with full or partial labour capacity, willing.
    {
        "valid_from": dt.date(2017, 1, 1),
        "min_age": 16,
        "max_age": 59,
        "capacities": ["full", "partial"],
        "students_count": False,
        "source_document": PLAN,
    },
]

POVERTY_LINES = [
    # Guangdong's relative poverty line of 2016–2020: annual disposable income per person below
    # 4,000 yuan (2014 prices). Later years: add a period (the administrator's).
    {
        "valid_from": dt.date(2016, 1, 1),
        "yuan_per_year": Decimal("4000.00"),
        "source_document": "粤发〔2016〕13号",
        "note": "广东省相对贫困标准（2014年不变价）",
    },
]

# domain.md §10: 4,998 key assistance targets out of poverty city-wide by the end of 2017; all
# remaining by the end of 2018.
EXIT_TARGETS = [
    {"region": "440700", "year": 2017, "households": 4998, "all_remaining": False},
    {"region": "440700", "year": 2018, "households": None, "all_remaining": True},
]


def load_poverty_policy(apps: Any) -> None:
    Rule = apps.get_model("poverty", "ClassificationRule")
    Line = apps.get_model("poverty", "PovertyLine")
    Target = apps.get_model("poverty", "ExitTarget")
    Region = apps.get_model("core", "Region")
    for row in CLASSIFICATION_RULES:
        values = dict(row)
        Rule.objects.get_or_create(valid_from=values.pop("valid_from"), defaults=values)
    for row in POVERTY_LINES:
        values = dict(row)
        Line.objects.get_or_create(valid_from=values.pop("valid_from"), defaults=values)
    for row in EXIT_TARGETS:
        region = Region.objects.filter(code=row["region"]).first()
        if region is None:
            continue
        Target.objects.get_or_create(
            region=region,
            year=row["year"],
            defaults={
                "households": row["households"],
                "all_remaining": row["all_remaining"],
                "source_document": PLAN,
            },
        )
