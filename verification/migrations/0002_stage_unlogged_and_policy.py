"""Stage tables unlogged (rows live there only between validation and merge: no WAL for them,
and a crash empties them, which is what a retry wants); verification's default policy data."""

from django.db import migrations

from verification.kinds import KINDS


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from verification.seed import load_verification_policy

    load_verification_policy(apps)


class Migration(migrations.Migration):
    dependencies = [("verification", "0001_initial")]

    operations = [
        *[
            migrations.RunSQL(
                f"ALTER TABLE verification_stage_{code} SET UNLOGGED",
                f"ALTER TABLE verification_stage_{code} SET LOGGED",
            )
            for code in KINDS
        ],
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
