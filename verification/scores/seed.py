"""Default policy data of scores (domain.md §4)."""

from __future__ import annotations

from typing import Any


def seed(apps: Any) -> None:
    """Idempotent."""
