from django.db import migrations


def load(apps, schema_editor):
    from assistance.policy.seed import load_policy

    load_policy(apps)  # idempotent: adds only what is missing (here the top-up targets)


class Migration(migrations.Migration):
    dependencies = [("assistance", "0003_topup_targets")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
