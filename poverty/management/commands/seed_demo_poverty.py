from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from poverty.demo import seed_demo_poverty


class Command(BaseCommand):
    help = (
        "Create demo poverty records at every stage and a second poverty-office reviewer "
        "(once; demo mode only; needs seed_demo and demo_users first)."
    )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("seed_demo_poverty runs only in demo mode (DEMO_MODE=1).")
        made = seed_demo_poverty()
        self.stdout.write(f"demo poverty records created: {made}")
