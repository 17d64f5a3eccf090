"""Seed the classification rule, the poverty line and the exit targets (poverty.seed)."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from poverty.seed import load_poverty_policy

    load_poverty_policy(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_load_regions"),
        ("poverty", "0002_alter_povertyrecord_options_classificationrule_and_more"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
