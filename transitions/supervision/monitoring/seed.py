"""The monitoring rules' default parameters (domain.md §7, Default): loaded by migration 0008
and by the tests' reference data; idempotent (a kind that has any row is left as it is)."""

import datetime as dt
from decimal import Decimal
from typing import Any

SOURCE = "domain.md §7 (Default parameters of 防返贫 monitoring)"
START = dt.date(2021, 1, 1)
DEFAULTS: list[dict[str, Any]] = [
    {"kind": "income", "threshold": Decimal("1.5"), "lookback_days": 365},
    {
        "kind": "medical",
        "threshold": Decimal("5000"),
        "threshold_other": Decimal("20000"),
        "lookback_days": 365,
    },
    {"kind": "hardship", "lookback_days": 31},
]


def load_monitoring_rules(apps: Any, schema_editor: Any = None) -> None:
    rule = apps.get_model("transitions", "MonitoringRule")
    for row in DEFAULTS:
        if not rule.objects.filter(kind=row["kind"]).exists():
            rule.objects.create(
                valid_from=START, deadline_working_days=20, source_document=SOURCE, **row
            )
