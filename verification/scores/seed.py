"""Default policy data of scores (domain.md §4): the first version of the poverty score weights.
A default of ours (issue 9), not a figure from a policy document: the data administrator replaces
it by a new effective-dated version (the old scores keep naming the version they used)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

DEFAULT = {
    "version": "default-2017",
    "valid_from": dt.date(2017, 1, 1),
    "income_weight": Decimal("50"),
    "property_weight": Decimal("30"),
    "expenditure_weight": Decimal("20"),
    # per-capita income at 1.5 × the standard scores nothing on income;
    "income_ratio_cap": Decimal("1.5"),
    # financial assets of 24 months' standard per person (the property limit) score nothing;
    "asset_months_cap": Decimal("24"),
    # each second home, non-residential property, non-exempt vehicle or business: −0.25;
    "asset_item_penalty": Decimal("0.25"),
    # rigid expenditure of half the standard per person scores full on expenditure;
    "expenditure_ratio_cap": Decimal("0.5"),
    # each member seriously ill or disabled: +0.25.
    "burdened_member_points": Decimal("0.25"),
    "source_document": "Default of ours (issue 9, domain.md §4): weights 50/30/20, not from a "
    "policy document",
}


def seed(apps: Any) -> None:
    """Idempotent; a no-op in a migration state before the model exists."""
    try:
        ScoreWeights = apps.get_model("verification", "ScoreWeights")
    except LookupError:
        return
    if not ScoreWeights.objects.exists():
        ScoreWeights.objects.create(**DEFAULT)
