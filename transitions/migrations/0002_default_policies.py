"""The approval policies in force from 2017-01-01 (our defaults; a data administrator adds new
periods). Inlined, not imported: a migration's data never changes afterwards."""

import datetime as dt

from django.db import migrations

ANY = "any"
COUNTY, TOWNSHIP = "county", "township"
POLICIES = {
    "registration_referral": ("poverty_office_reviewer", COUNTY, 5, 20),
    "dibao_referral": ("caseworker", TOWNSHIP, 5, 10),
    "exit_notice": ("civil_affairs_reviewer", COUNTY, 5, 20),
    "cannot_exit": ("civil_affairs_reviewer", COUNTY, 5, 20),
    "classification_change": ("receiving_reviewer", COUNTY, 5, 10),
    "return_to_poverty": ("civil_affairs_reviewer", COUNTY, 5, 20),
    "phase_out_start": ("poverty_office_reviewer", COUNTY, 5, 10),
    "phase_out_reassessment": ("civil_affairs_reviewer", COUNTY, 5, 20),
    "insurance_enrolment": ("social_security_officer", COUNTY, 5, 30),
}


def seed(apps, schema_editor):
    ApprovalPolicy = apps.get_model("transitions", "ApprovalPolicy")
    for kind, (role, level, ack, decide) in POLICIES.items():
        ApprovalPolicy.objects.get_or_create(
            kind=kind,
            valid_from=dt.date(2017, 1, 1),
            defaults={
                "stages": [{"role": role, "level": level, "approvals": ANY}],
                "incompatible_roles": [],
                "acknowledge_days": ack,
                "decide_days": decide,
                "source_document": "江府办〔2017〕23号 (default steps)",
            },
        )


class Migration(migrations.Migration):
    dependencies = [("transitions", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
