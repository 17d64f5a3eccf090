"""What other parts show on a sampled household's audit page (e.g. the cross-check findings of
verification.checks, the household score): each registers a function (user, sample) → a dict
{"title": …, "template": …, **context} or None, at AppConfig.ready(). The auditor reaches those
facts only here, for the households of their own sample."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.models import User

from ..models import AuditSample

Panel = Callable[[User, AuditSample], dict[str, Any] | None]
SAMPLE_PANELS: list[Panel] = []


def register(panel: Panel) -> Panel:
    if panel not in SAMPLE_PANELS:
        SAMPLE_PANELS.append(panel)
    return panel


def panels_for(user: User, sample: AuditSample) -> list[dict[str, Any]]:
    return [p for p in (panel(user, sample) for panel in SAMPLE_PANELS) if p]
