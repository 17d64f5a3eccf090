"""Money: Decimal to the fen in the database; field options and rounding shared by every app."""

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from django.core.validators import MinValueValidator

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]

FEN = Decimal("0.01")
YUAN = Decimal("1")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def fen(x: Decimal) -> Decimal:
    """Every amount is kept to the fen, half up."""
    return x.quantize(FEN, ROUND_HALF_UP)


def ceil_yuan(x: Decimal) -> Decimal:
    """A household's monthly total is rounded once, up to the whole yuan (domain.md §6)."""
    return x.quantize(YUAN, ROUND_CEILING)
