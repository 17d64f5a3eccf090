"""Each stream selects its month's rows from the register, with Chinese headers and labels."""

import datetime as dt
import json

import pytest

from poverty.models import PovertyRecord

from .conftest import DEC, build

pytestmark = pytest.mark.django_db


def _rows(batch):  # type: ignore[no-untyped-def]
    return json.loads(batch.files.get(name__endswith=".json").file.read())


def test_registered_and_exited_households_go_to_civil_affairs(
    household_a, household_b, household_taicheng, data_admin
):
    PovertyRecord.objects.create(
        household=household_a, status="registered", registered_on=dt.date(2026, 10, 9)
    )
    PovertyRecord.objects.create(  # registered after the month: not in December's list
        household=household_taicheng, status="registered", registered_on=dt.date(2027, 1, 2)
    )
    exited = PovertyRecord.objects.create(
        household=household_b,
        status="exit_confirmed",
        registered_on=dt.date(2025, 3, 1),
        exit_confirmed_on=dt.date(2026, 12, 18),
        exit_document_no="江府〔2026〕12号",
        exit_confirming_level="county",
    )
    registered = _rows(build("registered_to_civil", DEC, data_admin))
    assert registered["headers"][:2] == ["档案号", "村（社区）代码"]
    assert [r[0] for r in registered["rows"]] == [household_a.poverty_record.pk]
    assert registered["rows"][0][5] == "已建档"  # the status's Chinese label
    exits = _rows(build("exits_to_civil", DEC, data_admin))
    assert [r[0] for r in exits["rows"]] == [exited.pk]
    assert exits["rows"][0][6] == "江府〔2026〕12号"
    persons = _rows(build("poverty_to_social_security", DEC, data_admin))
    assert len(persons["rows"]) == household_a.memberships.count()
