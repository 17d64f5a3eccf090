from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from verification.demo import seed_demo_verification


class Command(BaseCommand):
    help = (
        "Merge one demo snapshot per dataset kind, cross-check the open cases, score the active "
        "dibao households and draw a sampling audit of 蓬江区 (idempotent; demo mode only; after "
        "seed_demo_linkage)."
    )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("seed_demo_verification runs only in demo mode (DEMO_MODE=1).")
        done = seed_demo_verification()
        self.stdout.write("demo verification: " + ", ".join(f"{k} {v}" for k, v in done.items()))
