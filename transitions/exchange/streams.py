"""The exchange streams, declared once: who sends what to whom, and how its rows are selected
from the register (one set-based query each, rows as tuples in header order).

Rows hold full names and ID numbers: the receiver matches persons by them. The files are
served only to the two departments' city-level users (transitions.exchange.selectors)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    DateField,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from assistance.models import BenefitAward, DibaoCase
from core.months import add_months
from households.models import Membership, Relation
from poverty.models import PovertyRecord

from ..links import DIBAO_STATUSES
from ..models import Department, Handoff, HandoffKind

D = Department
# In the register for the month: registered, assisted, exit proposed or returned (an exit
# confirmed is reported by the exits stream).
REGISTERED = (
    PovertyRecord.Status.REGISTERED,
    PovertyRecord.Status.ASSISTED,
    PovertyRecord.Status.EXIT_PROPOSED,
    PovertyRecord.Status.RETURNED,
)


@dataclass(frozen=True)
class Stream:
    key: str
    label: StrOrPromise
    sender: str
    receiver: str
    kind: str
    headers: tuple[StrOrPromise, ...]
    # period (first day of the month) -> rows, ordered (the same data gives the same files).
    rows: Callable[[dt.date], Iterable[tuple[Any, ...]]]
    # Columns holding a code shown by its (Chinese) label: column index -> its choices.
    labels: tuple[tuple[int, type[TextChoices]], ...] = ()


def _head(field: str, household_ref: str = "household_id") -> Subquery:
    return Subquery(
        Membership.objects.filter(
            household_id=OuterRef(household_ref), relation=Relation.HEAD, end_date__isnull=True
        ).values(f"person__{field}")[:1]
    )


def _dibao_cases(period: dt.date) -> QuerySet[DibaoCase]:
    """Cases paid in the month: in a paid status, started by then, not stopped before it."""
    return DibaoCase.objects.filter(
        status__in=DIBAO_STATUSES, payment_start_month__lte=period
    ).filter(Q(payment_stop_month__isnull=True) | Q(payment_stop_month__gt=period))


def _money(key: str) -> Cast:
    # The computation snapshot keeps Decimals as strings (assistance.policy.rules.Breakdown).
    return Cast(KT(f"computation__{key}"), DecimalField(max_digits=12, decimal_places=2))


def dibao_recipients(period: dt.date) -> Iterable[tuple[Any, ...]]:
    award = BenefitAward.objects.filter(
        case_id=OuterRef("pk"), effective_month__lte=Value(period, output_field=DateField())
    ).order_by("-effective_month", "-id")
    return (
        _dibao_cases(period)
        .annotate(
            v_code=F("village__code"),
            v_name=F("village__name"),
            head_name=_head("name"),
            head_id=_head("id_number"),
            members=Subquery(award.values("members")[:1]),
            net_income=Subquery(award.annotate(x=_money("net_income")).values("x")[:1]),
            per_capita=Subquery(award.annotate(x=_money("per_capita_income")).values("x")[:1]),
            total=Subquery(award.values("total")[:1]),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "v_code",
            "v_name",
            "head_name",
            "head_id",
            "members",
            "net_income",
            "per_capita",
            "total",
            "payment_start_month",
        )
    )


def _persons_of(households: QuerySet[Any], period: dt.date) -> Iterable[tuple[Any, ...]]:
    end = add_months(period, 1)
    return (
        Membership.objects.filter(household_id__in=households, start_date__lt=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=end))
        .order_by("household_id", "person_id")
        .values_list(
            "person__name",
            "person__id_number",
            "household_id",
            "household__village__code",
            "household__village__name",
            "relation",
        )
    )


def dibao_persons(period: dt.date) -> Iterable[tuple[Any, ...]]:
    return _persons_of(_dibao_cases(period).values("household_id"), period)


def _registered(period: dt.date) -> QuerySet[PovertyRecord]:
    return PovertyRecord.objects.filter(
        status__in=REGISTERED, registered_on__lt=add_months(period, 1)
    )


def registered_households(period: dt.date) -> Iterable[tuple[Any, ...]]:
    return (
        _registered(period)
        .annotate(
            v_code=F("household__village__code"),
            v_name=F("household__village__name"),
            head_name=_head("name"),
            head_id=_head("id_number"),
        )
        .order_by("pk")
        .values_list("pk", "v_code", "v_name", "head_name", "head_id", "status", "registered_on")
    )


def registered_persons(period: dt.date) -> Iterable[tuple[Any, ...]]:
    return _persons_of(_registered(period).values("household_id"), period)


def exit_certifications(period: dt.date) -> Iterable[tuple[Any, ...]]:
    return (
        PovertyRecord.objects.filter(
            status=PovertyRecord.Status.EXIT_CONFIRMED,
            exit_confirmed_on__gte=period,
            exit_confirmed_on__lt=add_months(period, 1),
        )
        .annotate(
            v_code=F("household__village__code"),
            v_name=F("household__village__name"),
            head_name=_head("name"),
            head_id=_head("id_number"),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "v_code",
            "v_name",
            "head_name",
            "head_id",
            "exit_confirmed_on",
            "exit_document_no",
            "exit_confirming_level",
            "exit_income_per_capita",
        )
    )


def cannot_exit(period: dt.date) -> Iterable[tuple[Any, ...]]:
    """The hand-offs "cannot leave poverty through industry or employment" opened in the month."""
    return (
        Handoff.objects.filter(
            kind=HandoffKind.CANNOT_EXIT, opened_on__gte=period, opened_on__lt=add_months(period, 1)
        )
        .annotate(
            v_code=F("household__village__code"),
            v_name=F("household__village__name"),
            head_name=_head("name"),
            head_id=_head("id_number"),
        )
        .order_by("pk")
        .values_list(
            "pk", "household_id", "v_code", "v_name", "head_name", "head_id", "opened_on", "status"
        )
    )


PERSON_HEADERS = (
    _("Name"),
    _("ID number"),
    _("Household no."),
    _("Village code"),
    _("Village / community"),
    _("Relation to head"),
)
HOUSEHOLD_HEADERS = (
    _("Village code"),
    _("Village / community"),
    _("Head of household"),
    _("Head's ID number"),
)

STREAMS: dict[str, Stream] = {
    s.key: s
    for s in (
        Stream(
            "dibao_to_poverty",
            _("Dibao recipients and their economic status (civil affairs → poverty office)"),
            D.CIVIL_AFFAIRS,
            D.POVERTY_OFFICE,
            "dibao_recipients",
            (
                _("Case no."),
                *HOUSEHOLD_HEADERS,
                _("Persons in the unit"),
                _("Net monthly income (yuan)"),
                _("Per-capita monthly income (yuan)"),
                _("Monthly dibao (yuan)"),
                _("Paid from (month)"),
            ),
            dibao_recipients,
        ),
        Stream(
            "registered_to_civil",
            _("Registered poor households (poverty office → civil affairs)"),
            D.POVERTY_OFFICE,
            D.CIVIL_AFFAIRS,
            "registered_households",
            (_("Record no."), *HOUSEHOLD_HEADERS, _("Status"), _("Registered on")),
            registered_households,
            ((5, PovertyRecord.Status),),
        ),
        Stream(
            "exits_to_civil",
            _("Exit certifications (poverty office → civil affairs)"),
            D.POVERTY_OFFICE,
            D.CIVIL_AFFAIRS,
            "exit_certifications",
            (
                _("Record no."),
                *HOUSEHOLD_HEADERS,
                _("Exit confirmed on"),
                _("Confirmation document no."),
                _("Confirmed by"),
                _("Per-capita monthly income (yuan)"),
            ),
            exit_certifications,
            ((7, PovertyRecord.ConfirmingLevel),),
        ),
        Stream(
            "cannot_exit_to_civil",
            _(
                "Households that cannot leave poverty through industry or employment "
                "(poverty office → civil affairs)"
            ),
            D.POVERTY_OFFICE,
            D.CIVIL_AFFAIRS,
            "cannot_exit",
            (
                _("Hand-off no."),
                _("Household no."),
                *HOUSEHOLD_HEADERS,
                _("Opened on"),
                _("Status"),
            ),
            cannot_exit,
            ((7, Handoff.Status),),
        ),
        Stream(
            "dibao_to_social_security",
            _("Dibao persons (civil affairs → social insurance agency)"),
            D.CIVIL_AFFAIRS,
            D.SOCIAL_SECURITY,
            "dibao_persons",
            PERSON_HEADERS,
            dibao_persons,
            ((5, Relation),),
        ),
        Stream(
            "poverty_to_social_security",
            _("Registered poor persons (poverty office → social insurance agency)"),
            D.POVERTY_OFFICE,
            D.SOCIAL_SECURITY,
            "registered_persons",
            PERSON_HEADERS,
            registered_persons,
            ((5, Relation),),
        ),
    )
}
