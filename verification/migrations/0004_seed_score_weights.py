"""The default poverty score weights (verification.scores.seed; idempotent)."""

from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from verification.scores.seed import seed as seed_weights

    seed_weights(apps)


class Migration(migrations.Migration):
    dependencies = [("verification", "0003_scores")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
