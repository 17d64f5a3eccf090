"""Storage housekeeping. An attachment's file is written when its row is saved; if the surrounding
transaction then rolls back (another upload of the same form fails), the file stays on disk with
no row. This finds and removes such files once they are old enough not to belong to a request
still in flight."""

import datetime as dt
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from assistance.models import Attachment

ATTACHMENT_DIR = "attachments"


def attachments_purge_orphans(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> list[str]:
    """Delete files under MEDIA_ROOT/attachments that no Attachment row points to. Idempotent."""
    root = Path(settings.MEDIA_ROOT) / ATTACHMENT_DIR
    if not root.exists():
        return []
    known = set(Attachment.objects.values_list("file", flat=True))
    cutoff = (timezone.now() - older_than).timestamp()
    removed = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        name = path.relative_to(settings.MEDIA_ROOT).as_posix()
        if name not in known and path.stat().st_mtime < cutoff:
            os.remove(path)
            removed.append(name)
    return removed
