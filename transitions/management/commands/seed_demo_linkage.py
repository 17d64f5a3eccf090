from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transitions.demo import seed_demo_linkage


class Command(BaseCommand):
    help = (
        "Classify the demo's dibao households, fill the insurance worklist and open a few "
        "hand-offs (once; demo mode only; after seed_demo_cases and seed_demo_poverty)."
    )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("seed_demo_linkage runs only in demo mode (DEMO_MODE=1).")
        self.stdout.write(f"demo hand-offs opened: {seed_demo_linkage()}")
