"""Findings no longer found in newer data are cleared (verification.checks.workflow `clear`):
the state, the run's count, and the partial index each district's run reads them by."""


from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('verification', '0004_audit_cancel_and_correct'),
    ]

    operations = [
        migrations.AddField(
            model_name='crosscheckrun',
            name='findings_cleared',
            field=models.PositiveIntegerField(default=0, verbose_name='findings no longer found'),
        ),
        migrations.AlterField(
            model_name='finding',
            name='state',
            field=models.CharField(choices=[('new', 'New'), ('recurring', 'Recurring'), ('confirmed', 'Confirmed'), ('dismissed', 'Dismissed'), ('waived', 'Waived'), ('cleared', 'No longer found')], db_index=True, default='new', max_length=12, verbose_name='state'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(condition=models.Q(('state__in', ['new', 'recurring'])), fields=['rule_code', 'household'], name='finding_unresolved_rule'),
        ),
    ]
