"""The audit's default policy data (verification.AuditPolicy): 5 % of the recipient households a
half-year, at least 2 from a non-empty stratum, targets of ≤ 2 % (domain.md §4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


def seed(apps: Any) -> None:
    AuditPolicy = apps.get_model("verification", "AuditPolicy")
    if not AuditPolicy.objects.exists():
        AuditPolicy.objects.create(
            valid_from=dt.date(2017, 1, 1),
            sample_percent=Decimal("5"),
            min_per_stratum=2,
            max_inclusion_percent=Decimal("2"),
            max_exclusion_percent=Decimal("2"),
            max_exit_percent=Decimal("2"),
            source_document=(
                "domain.md §4: third-party sampling audit, 5 % a half-year stratified by town; "
                "national practice of third-party assessment (三率一度): ≤ 2 %"
            ),
        )
