"""The cross-check's default rules (verification.checks.seed; idempotent)."""

from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from verification.checks.seed import seed as seed_rules

    seed_rules(apps)


class Migration(migrations.Migration):
    dependencies = [("verification", "0003_checks")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
