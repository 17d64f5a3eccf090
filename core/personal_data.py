"""Who sees how much of each personal field: the one declared table (domain.md §5.9).

Every serializer, page, timeline and export that shows an ID number, birth date, phone or bank
account asks `visible(user, field, value)`; the tests generate their role × field matrix from
`VISIBILITY`. Levels: FULL (the value), MASKED (`MASKS[field]`), HIDDEN (nothing shown).

Why these levels:
- the full ID number is shown to nobody by default: it is read only through the logged reveal
  (households.views.person_reveal_id, permission households.reveal_id_number);
- wherever the ID number is masked, the birth date is too (year only): the masked ID
  (4407**********0659) plus the full birth date leaves ~9 candidates, so the two together would
  be a reveal without the log (a test checks this for every role);
- bank accounts: the data administrator keeps them right, so sees them; others see the last 4
  digits where their work touches payments, else nothing. The payroll's bank file (approved
  payrolls, permission assistance.change_payroll, logged) is the one place full accounts leave;
- exact lookups by full ID number need the reveal permission (`may_look_up_id_number`), since a
  lookup confirms a guessed number as well as a reveal does.
A user without a role (or an unknown role) sees nothing; a superuser sees everything.
"""

import datetime as dt
import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from .masking import mask_id_number, mask_phone
from .models import User
from .roles import Role

# The reveal permission is declared on households' Person, but this table (a lower layer) must ask
# for it, so its name is spelt here once and households.permissions grants it from here.
REVEAL_ID = "households.reveal_id_number"

# Security events that must survive a rolled-back transaction (a refused registration rolls back
# everything else), hence a log and not a table row.
audit_log = logging.getLogger("xianjie.audit")


class Level(StrEnum):
    FULL = "full"
    MASKED = "masked"
    HIDDEN = "hidden"


FIELDS = ("id_number", "birth_date", "phone", "bank_account")

F, M, H = Level.FULL, Level.MASKED, Level.HIDDEN

# role → (id_number, birth_date, phone, bank_account)
_TABLE: dict[str, tuple[Level, Level, Level, Level]] = {
    Role.CASEWORKER: (M, M, F, M),  # calls residents; enters accounts through the edit form
    Role.VILLAGE_ASSISTANT: (M, H, M, H),
    Role.CIVIL_AFFAIRS_REVIEWER: (M, M, M, M),
    Role.POVERTY_OFFICE_REVIEWER: (M, M, M, H),
    Role.SOCIAL_SECURITY_OFFICER: (M, M, M, M),
    Role.DATA_ADMIN: (M, M, F, F),
    Role.AUDITOR: (M, M, M, H),  # only their sampled households; never payments
    Role.SUPERVISOR: (M, M, M, H),
}
VISIBILITY: dict[str, dict[str, Level]] = {
    role: dict(zip(FIELDS, levels, strict=True)) for role, levels in _TABLE.items()
}


def _mask_birth_date(value: Any) -> str:
    return str(value.year) if isinstance(value, dt.date) else str(value)[:4]


def mask_bank_account(value: str) -> str:
    return f"…{value[-4:]}" if value else ""


MASKS: dict[str, Callable[[Any], Any]] = {
    "id_number": lambda v: mask_id_number(v or ""),
    "birth_date": _mask_birth_date,
    "phone": lambda v: mask_phone(v or ""),
    "bank_account": lambda v: mask_bank_account(v or ""),
}


def level(user: User | Any, field: str) -> Level:
    if field not in MASKS:
        raise KeyError(f"{field!r} is not a declared personal field")
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return Level.FULL
    role = getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None
    return VISIBILITY.get(role or "", {}).get(field, Level.HIDDEN)


def visible(user: User | Any, field: str, value: Any) -> Any:
    """`value` as `user` may see it: itself, its masked form, or None."""
    lvl = level(user, field)
    if lvl is Level.HIDDEN:
        return None
    if lvl is Level.FULL or value in (None, ""):
        return value
    return MASKS[field](value)


def may_look_up_id_number(user: User | Any) -> bool:
    return bool(user.has_perm(REVEAL_ID))
