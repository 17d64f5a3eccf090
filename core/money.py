"""Money: Decimal to the fen in the database; field options shared by every app."""

from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]
