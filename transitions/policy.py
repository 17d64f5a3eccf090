"""Approval policies as data (transitions.models.ApprovalPolicy): reading and checking them.

Pure functions on plain values where possible; the database is asked only for the policy in
force and for the eligible users of an "all" stage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.models import Region
from core.roles import Role

from .models import ApprovalPolicy

ANY, ALL = "any", "all"
# A stage's role may be this placeholder: the reviewer role of the hand-off's receiving
# department (a classification change goes to civil affairs or to the poverty office).
RECEIVING = "receiving_reviewer"


@dataclass(frozen=True)
class Stage:
    role: str
    level: str
    approvals: str | int  # "any", "all" or a number

    def label(self) -> str:
        count = (
            _("any one")
            if self.approvals == ANY
            else _("all")
            if self.approvals == ALL
            else _("%(n)s of them") % {"n": self.approvals}
        )
        return _("%(role)s (%(level)s level), %(count)s") % {
            "role": Role(self.role).label if self.role in Role.values else _("receiving reviewer"),
            "level": Region.Level(self.level).label,
            "count": count,
        }


def parse_stages(raw: Any) -> list[Stage]:
    """The stages of a policy row, validated: ValidationError naming what is wrong."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError({"stages": [_("List at least one approval stage.")]})
    out = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ValidationError({"stages": [_("Stage %(i)s is not an object.") % {"i": i}]})
        role, level, approvals = item.get("role"), item.get("level"), item.get("approvals", ANY)
        if role not in Role.values and role != RECEIVING:
            raise ValidationError({"stages": [_("Stage %(i)s: unknown role.") % {"i": i}]})
        if level not in Region.Level.values:
            raise ValidationError({"stages": [_("Stage %(i)s: unknown level.") % {"i": i}]})
        ok_number = isinstance(approvals, int) and not isinstance(approvals, bool) and approvals > 0
        if approvals not in (ANY, ALL) and not ok_number:
            raise ValidationError(
                {"stages": [_("Stage %(i)s: approvals are “any”, “all” or a number.") % {"i": i}]}
            )
        out.append(Stage(role, level, approvals))
    return out


def parse_incompatible(raw: Any) -> list[tuple[str, str]]:
    if not isinstance(raw, list):
        raise ValidationError({"incompatible_roles": [_("List pairs of roles.")]})
    pairs = []
    for item in raw:
        if (
            not isinstance(item, list | tuple)
            or len(item) != 2
            or not set(item) <= set(Role.values)
        ):
            raise ValidationError({"incompatible_roles": [_("Each entry is a pair of roles.")]})
        pairs.append((item[0], item[1]))
    return pairs


def stages_of(policy: ApprovalPolicy) -> list[Stage]:
    return parse_stages(policy.stages)


def policy_in_force(kind: str, on: dt.date) -> ApprovalPolicy:
    policy = ApprovalPolicy.objects.in_force(on).filter(kind=kind).first()
    if policy is None:
        raise ValidationError(
            _("No approval policy is in force for this kind of hand-off on %(d)s.") % {"d": on},
            code="no_policy",
        )
    return policy  # type: ignore[no-any-return]


def incompatible_with(policy: ApprovalPolicy, role: str) -> set[str]:
    """The roles that may not act on a hand-off on which `role` has acted (both ways)."""
    out: set[str] = set()
    for a, b in parse_incompatible(policy.incompatible_roles):
        if a == role:
            out.add(b)
        if b == role:
            out.add(a)
    return out
