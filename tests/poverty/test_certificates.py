"""The exit certificate: the print page, the public verification page (masked name, hash check,
tampering detected, rate limit)."""

import pytest
from django.urls import reverse

from core.masking import mask_name
from poverty import services
from poverty.models import ExitCertificate

from ..conftest import login
from .conftest import S, build_record, household_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def cert(village_a, po_pengjiang, po_pengjiang_2):  # type: ignore[no-untyped-def]
    h = household_of(village_a, {"age": 45, "name": "陈大文"})
    record = build_record(h, to=S.EXIT_CONFIRMED, registrar=po_pengjiang, confirmer=po_pengjiang_2)
    return record.certificates.get()


def test_the_print_page_shows_the_code_and_hash(client, cert, cw_baisha, cw_taicheng):
    url = reverse("poverty:certificate_print", args=[cert.pk])
    login(client, cw_baisha)
    html = client.get(url).content.decode()
    assert "陈大文" in html and cert.content_hash in html
    assert services.format_code(cert.verification_code) in html
    assert "@page { size: A4" in html
    login(client, cw_taicheng)
    assert client.get(url).status_code == 404


def test_verification_without_login_shows_masked_facts(client, cert):
    code = services.format_code(cert.verification_code).lower()  # typed from paper
    html = client.get(reverse("poverty:verify"), {"code": code}).content.decode()
    assert 'data-testid="verify-intact"' in html
    assert mask_name("陈大文") in html and "陈大文" not in html
    assert "蓬府〔2026〕12号" in html and "白沙甲社区" in html


def test_tampered_content_fails_verification(client, cert):
    content = dict(cert.content) | {"confirmed_on": "2026-01-01"}
    ExitCertificate.objects.filter(pk=cert.pk).update(content=content)
    html = client.get(reverse("poverty:verify"), {"code": cert.verification_code}).content.decode()
    assert 'data-testid="verify-tampered"' in html and 'data-testid="verify-intact"' not in html


def test_unknown_code(client, cert):
    html = client.get(reverse("poverty:verify"), {"code": "ABCD-EFGH-JKMN"}).content.decode()
    assert 'data-testid="verify-unknown"' in html


def test_the_hash_is_of_the_canonical_json():
    content = {"b": 1, "a": "江门"}
    assert services.canonical_json(content) == '{"a":"江门","b":1}'
    import hashlib

    assert (
        services.content_hash(content) == hashlib.sha256('{"a":"江门","b":1}'.encode()).hexdigest()
    )


def test_codes_are_random():
    codes = {services.new_verification_code() for _i in range(200)}
    assert len(codes) == 200


def test_verification_is_rate_limited(client, cert, settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        | {"poverty_verify": "3/min"}
    }
    url = reverse("poverty:verify")
    for _i in range(3):
        assert client.get(url, {"code": "WRONG"}).status_code == 200
    assert client.get(url, {"code": cert.verification_code}).status_code == 429
    assert client.get(url).status_code == 200  # the empty form is not counted
