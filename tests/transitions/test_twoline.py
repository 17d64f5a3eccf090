"""两线合一: flagged when a district's standard is below the poverty line or urban ≠ rural,
from the rule's start; shown on the district report."""

import datetime as dt
from decimal import Decimal

import pytest

from assistance.models import DibaoStandard
from poverty.models import PovertyLine
from transitions.twoline import two_line_checks

from ..conftest import login
from ..factories import region
from .conftest import on_day


@pytest.fixture
def standards(db):  # type: ignore[no-untyped-def]
    def set_standard(code, urban, rural, on):  # type: ignore[no-untyped-def]
        county = region(code)
        DibaoStandard.objects.filter(
            county=county, valid_to__isnull=True, valid_from__lt=on
        ).update(valid_to=on - dt.timedelta(days=1))
        DibaoStandard.objects.filter(county=county, valid_from__gte=on).delete()
        DibaoStandard.objects.create(county=county, valid_from=on, urban=urban, rural=rural)

    return set_standard


def _line(on):  # type: ignore[no-untyped-def]
    return PovertyLine.objects.in_force(on).first().monthly


def test_before_the_end_of_2018_nothing_is_required(standards):
    on = dt.date(2018, 6, 1)
    [check] = two_line_checks(counties=[region("440781")], on=on)
    assert check.rule is None and check.ok


@pytest.mark.parametrize(
    ("urban", "rural", "problems"),
    [
        ("+0", "+0", 0),  # equal and exactly at the line
        ("+10", "+0", 1),  # urban ≠ rural
        ("-0.01", "-0.01", 2),  # both below the line
        ("+5", "-1", 2),  # rural below, and different
    ],
)
def test_the_check_at_its_boundaries(standards, urban, rural, problems):
    on = dt.date(2027, 1, 10)
    line = _line(on)
    standards("440781", line + Decimal(urban), line + Decimal(rural), dt.date(2027, 1, 1))
    [check] = two_line_checks(counties=[region("440781")], on=on)
    assert len(check.problems) == problems, check.problems


def test_the_report_flags_a_broken_district(client, standards, ca_taishan):
    on = dt.date(2027, 1, 10)
    line = _line(on)
    standards("440781", line + 100, line - 1, dt.date(2027, 1, 1))
    login(client, ca_taishan)
    with on_day(dt.date(2027, 1, 20)):
        page = client.get("/work/report/?region=440781&month=2027-01").content.decode()
    assert 'data-testid="two-line-440781"' in page and "Out of line" in page
