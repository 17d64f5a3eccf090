"""Seed synthetic Jiangmen households: ``manage.py seed_demo --households N [--seed S] [--if-empty]``.

Creates the demo villages/communities under every real town/street, then N households with their
members and memberships (see ``households.demo``). Same seed and N on the same database state give
the same data; without ``--if-empty`` it appends, never reusing an ID number already registered.

Bulk seeding deliberately bypasses django-simple-history (and ``Person.save``): writing a historical
row per object would double the work and record fabricated "changes" by nobody, so demo rows have
no history until someone edits them; the generator derives sex and birth date from the ID number
itself.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from households.demo import DEMO_AS_OF, seed_copy
from households.models import Household


class Command(BaseCommand):
    help = "Generate N synthetic households (with members) for demos, using PostgreSQL COPY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--households", type=int, required=True, help="How many households.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if any household exists (so `make run` never duplicates).",
        )
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=DEMO_AS_OF,
            help=f"Date the ages are computed against (default {DEMO_AS_OF.isoformat()}).",
        )

    def handle(self, *args: object, **options: object) -> None:
        n = options["households"]
        assert isinstance(n, int)
        if n < 0:
            raise CommandError("--households must be zero or more.")
        if options["if_empty"] and Household.objects.exists():
            self.stdout.write("Households already exist; nothing seeded (--if-empty).")
            return
        result = seed_copy(
            n,
            seed=options["seed"],  # type: ignore[arg-type]
            as_of=options["as_of"],  # type: ignore[arg-type]
            progress=self.stdout.write,
        )
        rate = result.rows / result.seconds if result.seconds else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.households:,} households, {result.persons:,} persons, "
                f"{result.memberships:,} memberships in {result.villages:,} villages/communities "
                f"in {result.seconds:.1f} s ({rate:,.0f} rows/s)."
            )
        )
