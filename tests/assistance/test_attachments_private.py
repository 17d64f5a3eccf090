"""Attachments are private (issue 6, defect 1): stored under random names with the extension of the
sniffed type, never reachable under MEDIA_URL (DEBUG included), served only by the scoped download
view as a download with nosniff."""

import importlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import clear_url_caches, reverse

from assistance.dibao import services

from ..conftest import login
from .conftest import S, build_case, poor_household

pytestmark = pytest.mark.django_db

# JPEG magic, then markup a browser would run if it were served as text/html.
JPEG_HTML = b"\xff\xd8\xff\xe0<html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def case(settings, tmp_path, cw_baisha, cw_baisha_2, village_a):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)
    return build_case(
        poor_household(village_a), to=S.INVESTIGATING, maker=cw_baisha, second=cw_baisha_2
    )


@pytest.fixture
def debug_urls(settings, case):  # type: ignore[no-untyped-def]
    """The URLconf as `make run`'s DEBUG=1 builds it (after MEDIA_ROOT is set)."""
    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


def test_stored_under_a_random_name_with_the_sniffed_extension(case, cw_baisha, tmp_path):  # type: ignore[no-untyped-def]
    att = services.attachment_add(
        case=case, uploaded=SimpleUploadedFile("x.html", JPEG_HTML, "text/html"), by=cw_baisha
    )
    assert re.fullmatch(r"attachments/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", att.file.name), att.file.name
    assert (tmp_path / att.file.name).read_bytes() == JPEG_HTML
    assert att.original_name == "x.html" and att.content_type == "image/jpeg"


def test_media_url_serves_nothing_even_in_debug(debug_urls, client, case, cw_baisha):  # type: ignore[no-untyped-def]
    att = services.attachment_add(
        case=case, uploaded=SimpleUploadedFile("x.html", JPEG_HTML, "text/html"), by=cw_baisha
    )
    assert client.get(f"/media/{att.file.name}").status_code == 404  # anonymous
    login(client, cw_baisha)
    assert client.get(f"/media/{att.file.name}").status_code == 404  # even the uploader


def test_download_is_an_image_attachment_with_nosniff(client, case, cw_baisha, ca_pengjiang):  # type: ignore[no-untyped-def]
    att = services.attachment_add(
        case=case, uploaded=SimpleUploadedFile("x.html", JPEG_HTML, "text/html"), by=cw_baisha
    )
    url = reverse("assistance:attachment", args=[case.pk, att.pk])
    assert client.get(url).status_code == 302  # anonymous → login
    for user in (cw_baisha, ca_pengjiang):
        login(client, user)
        r = client.get(url)
        assert r.status_code == 200
        assert r["Content-Type"] == "image/jpeg"
        assert r["X-Content-Type-Options"] == "nosniff"
        assert r["Content-Disposition"].startswith("attachment;")
        assert ".html" not in r["Content-Disposition"] and "x.jpg" in r["Content-Disposition"]
        assert b"".join(r.streaming_content) == JPEG_HTML


def test_chinese_name_is_kept_in_content_disposition(client, case, cw_baisha):  # type: ignore[no-untyped-def]
    att = services.attachment_add(
        case=case, uploaded=SimpleUploadedFile("入户照片.jpg", JPEG_HTML), by=cw_baisha
    )
    login(client, cw_baisha)
    r = client.get(reverse("assistance:attachment", args=[case.pk, att.pk]))
    assert r["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E5%85%A5%E6%88%B7%E7%85%A7%E7%89%87.jpg"
    )


@pytest.mark.parametrize("outsider", ["cw_taicheng", "ca_taishan"])
def test_other_district_gets_404(request, client, case, cw_baisha, outsider):  # type: ignore[no-untyped-def]
    att = services.attachment_add(
        case=case, uploaded=SimpleUploadedFile("a.jpg", JPEG_HTML), by=cw_baisha
    )
    login(client, request.getfixturevalue(outsider))
    assert client.get(reverse("assistance:attachment", args=[case.pk, att.pk])).status_code == 404
