"""Where uploaded files are stored, and under what name they are sent back.

Files never keep the uploader's name on disk: a random name plus the extension of the type found by
sniffing the content (`content_type` on the row, set before the file is saved), so `x.html` that
begins with JPEG magic bytes is stored as `….jpg`. Nothing under MEDIA_ROOT is served directly (no
MEDIA_URL route, in any mode): only scoped views send files, as downloads (`download_response`).
"""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django.http import FileResponse, Http404
from django.utils import timezone

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def sniffed_upload_to(instance: Any, filename: str) -> str:
    """upload_to for models with a sniffed `content_type`: attachments/YYYY/MM/<uuid4 hex>.<ext>."""
    ext = EXTENSIONS.get(getattr(instance, "content_type", ""), ".bin")
    return timezone.localdate().strftime("attachments/%Y/%m/") + uuid.uuid4().hex + ext


def download_name(original: str, content_type: str) -> str:
    """The name offered to the browser: the original stem with the sniffed type's extension."""
    stem = PurePath(original or "").stem or "file"
    return stem + EXTENSIONS.get(content_type, ".bin")


def download_response(field_file: Any, *, original_name: str, content_type: str) -> FileResponse:
    """Send a stored file as a download: sniffed type, nosniff, Content-Disposition attachment
    (RFC 5987 `filename*` for non-ASCII names). A missing file is a 404."""
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    resp = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=True,
        filename=download_name(original_name, content_type),
    )
    resp["X-Content-Type-Options"] = "nosniff"
    return resp
