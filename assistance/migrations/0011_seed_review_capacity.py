from django.db import migrations


def load(apps, schema_editor):
    from assistance.policy.seed import load_policy

    load_policy(apps)  # idempotent: adds only what is missing (the review capacity parameter)


class Migration(migrations.Migration):
    dependencies = [("assistance", "0010_notice_backdate_reason")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
