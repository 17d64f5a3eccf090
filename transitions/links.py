"""Reads across the lower layers that the linkage needs (transitions reads all, nothing imports
it): the household's active dibao case, its classification, and the lists social security
enrols. Kept here so receivers and services stay short."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from assistance.models import DibaoCase, ProgrammeCase
from assistance.models.programmes import Programme
from households.models import Household, Membership
from poverty.models import HouseholdClass, HouseholdClassification, PovertyRecord

from .models import InsuranceEnrolment

KEY_TARGET = HouseholdClass.KEY_TARGET
# A dibao household for classification and the enrolment lists: confirmed and paid.
DIBAO_STATUSES = (
    DibaoCase.Status.CONFIRMED,
    DibaoCase.Status.ACTIVE,
    DibaoCase.Status.UNDER_REVIEW,
)


def dibao_households() -> QuerySet[Any]:
    """The poverty register's classification subjects (poverty.hooks): dibao households."""
    return DibaoCase.objects.filter(status__in=DIBAO_STATUSES).values("household_id")


def active_dibao_case(household: Household) -> DibaoCase | None:
    return (
        DibaoCase.objects.filter(household=household, status__in=DIBAO_STATUSES)
        .order_by("-id")
        .first()
    )


def is_key_target(household: Household) -> bool:
    return HouseholdClassification.objects.filter(
        household=household, current=True, klass=KEY_TARGET
    ).exists()


def open_count(record: PovertyRecord) -> int:
    return record.transitions.filter(action="report_cannot_exit").count()


def enrolments_add_for_case(case: DibaoCase) -> int:
    """Pending enrolment rows for the case's household members who have none."""
    return enrolments_sync(household_ids=[case.household_id])


def enrolments_sync(*, household_ids: list[int] | None = None) -> int:
    """Every active member of a dibao household or a tekun person gets an enrolment row
    (pending) if they have none: one INSERT … SELECT, whatever the number."""
    m = Membership._meta.db_table
    h = Household._meta.db_table
    c = DibaoCase._meta.db_table
    p = ProgrammeCase._meta.db_table
    e = InsuranceEnrolment._meta.db_table
    where = "AND ms.household_id = ANY(%s)" if household_ids is not None else ""
    sql = f"""
        INSERT INTO {e} (person_id, household_id, county_id, region_id, status, note, updated_at)
        SELECT DISTINCT ON (ms.person_id) ms.person_id, ms.household_id,
               county.id, hh.village_id, 'pending', '', now()
        FROM {m} ms
        JOIN {h} hh ON hh.id = ms.household_id
        JOIN core_region v ON v.id = hh.village_id
        JOIN core_region county ON county.code = substr(v.code, 1, 6)
        WHERE ms.end_date IS NULL {where}
          AND (EXISTS (SELECT 1 FROM {c} dc WHERE dc.household_id = ms.household_id
                       AND dc.status = ANY(%s))
               OR EXISTS (SELECT 1 FROM {p} pc WHERE pc.household_id = ms.household_id
                          AND pc.programme = %s AND pc.status = ANY(%s)))
        ON CONFLICT (person_id) DO NOTHING
    """  # noqa: S608 - table names from model metadata
    params: list[Any] = [household_ids] if household_ids is not None else []
    params += [list(DIBAO_STATUSES), Programme.TEKUN, list(TEKUN_STATUSES)]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


TEKUN_STATUSES = (ProgrammeCase.Status.APPROVED, ProgrammeCase.Status.PAID)
