"""The default invalid-row limit (policy data: verification.ImportLimit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


def seed(apps: Any) -> None:
    ImportLimit = apps.get_model("verification", "ImportLimit")
    if not ImportLimit.objects.exists():
        ImportLimit.objects.create(
            valid_from=dt.date(2017, 1, 1),
            max_invalid_percent=Decimal("5"),
            source_document="Default (issue 9): above 5 % invalid rows a file is refused",
        )
