"""The sampling audit's default policy data (verification.audits.seed)."""

from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from verification.audits.seed import seed as seed_audit_policy

    seed_audit_policy(apps)


class Migration(migrations.Migration):
    dependencies = [("verification", "0003_audits")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
