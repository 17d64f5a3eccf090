"""The home page's linkage figures: hand-offs waiting, overdue phase-outs, key targets'
medical coverage (goal 100 %)."""

import datetime as dt

from transitions.home import handoff_figures, medical_coverage
from transitions.models import InsuranceEnrolment

from .conftest import on_day


def test_medical_coverage_counts_key_target_members_enrolled_or_exempt(
    confirmed_case, ss_pengjiang, ca_taishan
):
    assert medical_coverage(ss_pengjiang) == (0, 2)
    first = InsuranceEnrolment.objects.filter(household=confirmed_case.household).first()
    first.status = InsuranceEnrolment.Status.EXEMPT
    first.save()
    assert medical_coverage(ss_pengjiang) == (1, 2)
    assert medical_coverage(ca_taishan) == (0, 0)  # another district's people are not counted
    with on_day(dt.date(2026, 11, 20)):
        figures = {f.key: f for f in handoff_figures(ss_pengjiang)}
    assert figures["key_target_medical_coverage"].value == "50 %"
    assert figures["key_target_medical_coverage"].tone == "warning"


def test_the_home_page_shows_the_figures(client, confirmed_case, po_pengjiang):
    from ..conftest import login

    login(client, po_pengjiang)
    with on_day(dt.date(2026, 11, 20)):
        page = client.get("/").content.decode()
    assert "Hand-offs waiting for you" in page
