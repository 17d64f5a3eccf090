"""Policy data of verification loaded by its data migration and, after a flushing test, by
tests/conftest.load_reference_data: each part's defaults (idempotent; `apps` is the migration's
app registry or the live one)."""

from __future__ import annotations

from typing import Any


def load_verification_policy(apps: Any) -> None:
    from .audits.seed import seed as seed_audit_policy
    from .checks.seed import seed as seed_rules
    from .datasets.seed import seed as seed_limits
    from .scores.seed import seed as seed_weights

    seed_limits(apps)
    seed_rules(apps)
    seed_weights(apps)
    seed_audit_policy(apps)
