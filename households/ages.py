"""The age bands that are policy data (domain.md §2): working age, elderly, adult.

The numbers are effective-dated policy parameters owned by assistance (a higher layer), which
registers the provider at `AppConfig.ready()`; households only asks "the bands in force on D".
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class AgeBands:
    working_from: int  # working age is [working_from, elderly_from)
    elderly_from: int
    adult_from: int  # younger is a minor

    def working_age(self, age: int) -> bool:
        return self.working_from <= age < self.elderly_from

    def elderly(self, age: int) -> bool:
        return age >= self.elderly_from

    def minor(self, age: int) -> bool:
        return age < self.adult_from


_provider: list[Callable[[dt.date], AgeBands]] = []


def register_age_bands(provider: Callable[[dt.date], AgeBands]) -> None:
    _provider[:] = [provider]


def age_bands(day: dt.date) -> AgeBands:
    if not _provider:
        raise ImproperlyConfigured("No age-band provider is registered (assistance.apps).")
    return _provider[0](day)
