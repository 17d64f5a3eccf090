import datetime as dt
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assistance.dibao import services
from assistance.housekeeping import attachments_purge_orphans

from .conftest import S, build_case, poor_household

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_orphan_files_are_removed_and_attached_ones_kept(
    settings, tmp_path, cw_baisha, cw_baisha_2, village_a
):
    settings.MEDIA_ROOT = str(tmp_path)
    case = build_case(
        poor_household(village_a), to=S.INVESTIGATING, maker=cw_baisha, second=cw_baisha_2
    )
    kept = services.attachment_add(
        case=case, uploaded=SimpleUploadedFile("visit.png", PNG, "image/png"), by=cw_baisha
    )
    orphan = tmp_path / "attachments" / "2026" / "11" / "lost.png"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(PNG)
    recent = tmp_path / "attachments" / "2026" / "11" / "uploading.png"
    recent.write_bytes(PNG)
    now = time.time()  # the test's clock, which may not be the file system's
    os.utime(recent, (now, now))
    old = now - 2 * 86400
    for path in (orphan, tmp_path / kept.file.name):
        os.utime(path, (old, old))

    removed = attachments_purge_orphans(older_than=dt.timedelta(days=1))

    assert removed == ["attachments/2026/11/lost.png"]
    assert not orphan.exists() and recent.exists()
    assert (tmp_path / kept.file.name).exists()
    assert attachments_purge_orphans() == []  # idempotent
