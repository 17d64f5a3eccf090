"""The beat schedule is declared once (config/settings.py) and a worker knows every task in it."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

# A fresh process, as `celery -A config worker` starts: only what the Celery app imports by itself
# (autodiscovered `<app>.tasks` and CELERY_IMPORTS) is registered, not what this test run imported.
WORKER_TASKS = """
import json, django
django.setup()
from config.celery import app
app.loader.import_default_modules()
print(json.dumps(sorted(app.tasks)))
"""


def test_a_worker_registers_every_task_of_the_beat_schedule():
    out = subprocess.run(  # noqa: S603 - a fixed argv: this interpreter and a literal script
        [sys.executable, "-c", WORKER_TASKS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    registered = set(json.loads(out.stdout.strip().splitlines()[-1]))
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert beat - registered == set()
    # The payroll build job is enqueued by the web process and run by the worker.
    assert "assistance.build_payroll" in registered


def test_the_beat_schedule_is_declared_once():
    for path in [
        *ROOT.glob("assistance/**/*.py"),
        *ROOT.glob("households/**/*.py"),
        *ROOT.glob("core/**/*.py"),
    ]:
        text = path.read_text()
        assert "crontab(" not in text, f"{path.relative_to(ROOT)} declares a beat entry"
