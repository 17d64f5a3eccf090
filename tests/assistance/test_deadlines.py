"""Procedure deadlines in working days (the transition matrix is generated from the workflow
declaration in test_workflow.py)."""

import datetime as dt

import pytest

from assistance.dibao import services

from .conftest import head_of, poor_household

pytestmark = pytest.mark.django_db
D = dt.date(2026, 11, 20)


def test_procedure_deadline_across_national_day_2018(cw_baisha, village_a):
    h = poor_household(village_a)
    case = services.dibao_case_create(household=h, applicant=head_of(h), by=cw_baisha)
    services.dibao_case_apply(case=case, applied_on=dt.date(2018, 9, 27), by=cw_baisha)
    case = services.dibao_case_accept(case=case, accepted_on=dt.date(2018, 9, 27), by=cw_baisha)
    # Working: 28 Sep, 29 Sep (Sat, adjusted), 30 Sep (Sun, adjusted); 1–7 Oct holiday.
    assert case.investigation_due == dt.date(2018, 9, 30)
    # 4th working day is 8 Oct; five-day weeks give the 30th on 13 Nov.
    assert case.procedure_due == dt.date(2018, 11, 13)
    case = services.dibao_case_extend(case=case, reason="需补充信函索证", by=cw_baisha)
    assert case.procedure_due == dt.date(2018, 12, 4)
