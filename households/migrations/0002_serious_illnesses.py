from django.db import migrations

# A starting list (Guangdong's common 重特大疾病 categories); data administrators edit it in the admin.
ILLNESSES = [
    "恶性肿瘤", "尿毒症（终末期肾病）", "白血病", "器官移植", "重性精神病", "血友病",
    "再生障碍性贫血", "耐多药肺结核", "系统性红斑狼疮", "先天性心脏病", "肝硬化失代偿期",
    "脑卒中后遗症", "帕金森病", "慢性心力衰竭",
]


def load(apps, schema_editor):
    SeriousIllness = apps.get_model("households", "SeriousIllness")
    for name in ILLNESSES:
        SeriousIllness.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("households", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
