"""Effective-dated periods never overlap: the database's exclusion constraint refuses it even
when the Python check is bypassed (bulk_create, a race), and the API and admin answer with a
message instead of a server error."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.urls import reverse

from assistance.models import CategorySupplement, DibaoStandard, PolicyParameter
from core.models import EffectiveDated

from ..conftest import login
from ..factories import region

pytestmark = pytest.mark.django_db


def _refused(rows: list) -> None:  # type: ignore[type-arg]
    with pytest.raises(IntegrityError) as e, transaction.atomic():
        type(rows[0]).objects.bulk_create(rows)
    assert "no_overlap" in str(e.value)


def test_every_effective_dated_model_has_an_exclusion_constraint():
    models = [m for m in apps.get_models() if issubclass(m, EffectiveDated)]
    assert {m.__name__ for m in models} >= {
        "DibaoStandard",
        "CategorySupplement",
        "PolicyParameter",
    }
    for model in models:
        assert model.overlap_fields or model.overlap_global, model
        names = [c.name for c in model._meta.constraints if c.name.endswith("_no_overlap")]
        assert len(names) == 1, model


def test_database_refuses_an_overlapping_standard_written_around_clean():
    county = region("440703")  # its 2023 standard is open-ended
    _refused([DibaoStandard(county=county, valid_from=dt.date(2030, 1, 1), urban=1, rural=1)])
    # Touching ends overlap too (both ends are included): 2019 ends on 2019-12-31.
    _refused([DibaoStandard(county=county, valid_from=dt.date(2019, 12, 31), valid_to=dt.date(2019, 12, 31), urban=1, rural=1)])  # fmt: skip
    # Another county, or the day after the end, is free.
    DibaoStandard.objects.filter(county=county, valid_to__isnull=True).update(
        valid_to=dt.date(2029, 12, 31)
    )
    DibaoStandard.objects.bulk_create(
        [DibaoStandard(county=county, valid_from=dt.date(2030, 1, 1), urban=1, rural=1)]
    )


def test_database_refuses_overlapping_parameters_and_supplements():
    _refused([PolicyParameter(key="notice_days", valid_from=dt.date(2031, 1, 1), value=5)])
    _refused([CategorySupplement(category="minor", valid_from=dt.date(2031, 1, 1), percent=5)])
    # Two new rows of one new key that overlap each other.
    _refused(
        [
            PolicyParameter(key="x_new", valid_from=dt.date(2031, 1, 1), value=1),
            PolicyParameter(key="x_new", valid_from=dt.date(2032, 1, 1), value=2),
        ]
    )
    # A different key (text equality, not prefix or ordering) is independent.
    PolicyParameter.objects.bulk_create(
        [
            PolicyParameter(key="notice_days_x", valid_from=dt.date(2031, 1, 1), value=5),
            PolicyParameter(key="notice_day", valid_from=dt.date(2031, 1, 1), value=5),
        ]
    )


def test_api_turns_a_racing_overlap_into_400(api, data_admin, monkeypatch):  # type: ignore[no-untyped-def]
    """The other write committed after our check: the constraint refuses, the API says why
    (in English here: tests/assistance run in English; the catalogue test checks the Chinese)."""
    monkeypatch.setattr(EffectiveDated, "overlap_clash", lambda self: None)
    before = DibaoStandard.objects.count()
    login(api, data_admin)
    r = api.post(
        "/api/v1/standards/",
        data=json.dumps(
            {
                "county": region("440703").pk,
                "valid_from": "2027-01-01",
                "urban": "960",
                "rural": "960",
            }
        ),
        content_type="application/json",
    )
    assert r.status_code == 400, r.content
    (message,) = r.json()["non_field_errors"]
    assert message == "This period overlaps another period of the same value."
    assert DibaoStandard.objects.count() == before


def test_admin_turns_a_racing_overlap_into_a_message(client, data_admin, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(EffectiveDated, "overlap_clash", lambda self: None)
    login(client, data_admin)
    county = region("440703")
    r = client.post(
        reverse("admin:assistance_dibaostandard_add"),
        {
            "county": county.pk,
            "valid_from": "2027-01-01",
            "valid_to": "",
            "urban": "960",
            "rural": "960",
            "source_document": "x",
            "note": "",
        },
        follow=True,
    )
    assert r.status_code == 200
    assert not DibaoStandard.objects.filter(county=county, valid_from=dt.date(2027, 1, 1)).exists()
    assert any(m.level_tag == "error" for m in r.context["messages"])


def test_form_clean_still_names_the_clash():
    p = PolicyParameter(key="notice_days", valid_from=dt.date(2020, 1, 1), value=Decimal("5"))
    with pytest.raises(Exception) as e:
        p.full_clean()
    assert "2015-01-01" in str(e.value) and len(e.value.messages) == 1  # type: ignore[attr-defined]
