from django.db import migrations


def load(apps, schema_editor):
    from assistance.policy.seed import load_policy

    load_policy(apps)


class Migration(migrations.Migration):
    dependencies = [("assistance", "0001_initial"), ("core", "0002_load_regions")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
