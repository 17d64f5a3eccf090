from django.core.management.base import BaseCommand

from assistance.demo import seed_demo_cases


class Command(BaseCommand):
    help = "Create demo dibao cases at every stage (once; needs seed_demo and demo_users first)."

    def handle(self, *args: object, **options: object) -> None:
        made = seed_demo_cases()
        self.stdout.write(f"demo dibao cases created: {made}")
