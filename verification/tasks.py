"""Celery finds `<app>.tasks` only: the parts' task modules are imported here."""

from .audits.tasks import *  # noqa: F403
from .checks.tasks import *  # noqa: F403
from .datasets.tasks import *  # noqa: F403
from .scores.tasks import *  # noqa: F403
