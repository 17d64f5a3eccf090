"""Resident ID numbers (GB 11643-1999): validation and the facts they carry.

18 characters = 6-digit address code + YYYYMMDD birth date + 3-digit sequence (odd = male) +
check character. See domain.md §2.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


@dataclass(frozen=True)
class IdFacts:
    number: str
    birth_date: dt.date
    sex: str  # "M" or "F"
    address_code: str


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise(raw: str) -> str:
    return (raw or "").strip().replace(" ", "").upper()


def wrong_check_character(expected: str) -> str:
    """What is said of a number whose only fault is its check character (`expected`)."""
    return _("The check character is wrong: it should be %(c)s. Please re-check the number.") % {
        "c": expected
    }


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdFacts:
    """Validate and return the facts of an ID number, or raise ValidationError with the reason."""
    number = normalise(raw)
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(n)d.") % {"n": len(number)},
            code="length",
        )
    if not _SHAPE.match(number):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."), code="characters"
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date %(d)s in the ID number is not a real date.") % {"d": number[6:14]},
            code="birth_date",
        ) from None
    today = today or timezone.localdate()
    if birth > today:
        raise ValidationError(
            _("The birth date %(d)s in the ID number is in the future.") % {"d": birth.isoformat()},
            code="future_birth_date",
        )
    if birth.year < 1800:
        raise ValidationError(
            _("The birth date %(d)s in the ID number is implausibly early.")
            % {"d": birth.isoformat()},
            code="birth_date",
        )
    expected = check_character(number[:17])
    if number[17] != expected:
        raise ValidationError(wrong_check_character(expected), code="check_digit")
    return IdFacts(
        number=number,
        birth_date=birth,
        sex="M" if int(number[16]) % 2 else "F",
        address_code=number[:6],
    )


def validate_id_number(value: str) -> None:
    parse_id_number(value)
