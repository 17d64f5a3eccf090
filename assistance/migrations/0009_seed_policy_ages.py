from django.db import migrations


def load(apps, schema_editor):
    from assistance.policy.seed import UNSTABLE_INCOME, load_policy

    load_policy(apps)  # idempotent: adds only what is missing (here the age bands, the horizon)
    IncomeType = apps.get_model("assistance", "IncomeType")
    IncomeType.objects.filter(code__in=UNSTABLE_INCOME).update(unstable=True)


class Migration(migrations.Migration):
    dependencies = [("assistance", "0008_policy_ages_unstable_income")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
