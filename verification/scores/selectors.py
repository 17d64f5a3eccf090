"""Reads of the poverty score: the facts of one or many households in ONE query (the batch and a
single household take the same path, so they cannot disagree), the weights in force, and the
scored rows a user may see (core.scope on the household's village).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Substr
from django.utils.translation import gettext as _

from assistance.models import (
    DibaoCase,
    DibaoStandard,
    ExpenditureDeclaration,
    ExpenditureType,
    IncomeDeclaration,
    PropertyDeclaration,
)
from core.models import Region, User
from core.scope import scope_queryset
from households.models import Household, Membership, Person
from verification.datasets.selectors import current_snapshots
from verification.models import RECORD_MODELS, HouseholdScore, ScoreWeights
from verification.scores.rules import Inputs

MONEY = DecimalField(max_digits=16, decimal_places=2)
# Kinds whose records enter the property factor.
PROPERTY_KINDS = ("bank_deposit", "securities", "motor_vehicle", "housing", "business")
# A recorded vehicle of these types is allowed (domain.md §4: disability carriages, motorcycles,
# e-bikes); a recorded property whose use says neither is taken as non-residential.
EXEMPT_VEHICLE = r"摩托|电动|残疾|代步|motorcycle|e-bike|disab"
RESIDENTIAL_USE = r"住|residen|^$"
P = PropertyDeclaration.Kind
COUNTY_CODE_LENGTH = Region.CODE_LENGTH[Region.Level.COUNTY]


def weights_on(on: dt.date) -> ScoreWeights:
    row = ScoreWeights.objects.in_force(on).order_by("-valid_from").first()
    if row is None:
        raise ValidationError(
            _("No poverty score weights are in force on %(on)s. Ask the data administrator.")
            % {"on": on.isoformat()}
        )
    return row


def property_snapshots() -> dict[str, int]:
    """The current snapshot of each property kind (verification.datasets' one definition)."""
    return {k: s.pk for k, s in current_snapshots().items() if k in PROPERTY_KINDS}


def _sum(qs: QuerySet[Any], column: str) -> Coalesce:
    """SUM(column) of a correlated subquery (0 when no row)."""
    sub = qs.order_by().annotate(_g=Value(1)).values("_g").annotate(t=Sum(column)).values("t")
    return Coalesce(Subquery(sub, output_field=MONEY), Value(Decimal("0")), output_field=MONEY)


def _count(qs: QuerySet[Any]) -> Coalesce:
    sub = qs.order_by().annotate(_g=Value(1)).values("_g").annotate(c=Count("*")).values("c")
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def score_inputs(
    *, household_ids: list[int] | None, on: dt.date, case_id: int | None = None
) -> dict[int, tuple[int | None, Inputs]]:
    """{household id: (case id used, Inputs)} for the given households (all when None) in one
    SELECT. The declarations are those of the case `case_id` when given (for one household),
    else each household's newest dibao case; the members those of the case's unit (the single person of a
    single-person unit), otherwise the household's active members. Households with no dibao
    standard in force for their district are left out (reported by the caller)."""
    snapshots = property_snapshots()
    qs = Household.objects.all()
    if household_ids is not None:
        qs = qs.filter(pk__in=household_ids)
    if case_id is not None:
        # One household with a named case (the panel, the API).
        qs = qs.annotate(_case=Value(case_id, output_field=IntegerField()))
    else:
        newest_case = DibaoCase.objects.filter(household_id=OuterRef("pk")).order_by("-id")
        qs = qs.annotate(_case=Subquery(newest_case.values("id")[:1]))
    qs = qs.annotate(
        _single=Subquery(
            DibaoCase.objects.filter(
                pk=OuterRef("_case"), unit=DibaoCase.Unit.SINGLE_PERSON
            ).values("single_person_id")[:1]
        ),
        _county=Substr("village__code", 1, COUNTY_CODE_LENGTH),
    )
    in_unit = Q(person_id=Coalesce(OuterRef("_single"), F("person_id")))
    members = Membership.objects.filter(household_id=OuterRef("pk"), end_date__isnull=True).filter(
        in_unit
    )
    unit_ids = Person.objects.filter(
        memberships__household_id=OuterRef(OuterRef("pk")),
        memberships__end_date__isnull=True,
        pk=Coalesce(OuterRef(OuterRef("_single")), F("pk")),
    ).values("id_number")
    declared = PropertyDeclaration.objects.filter(case_id=OuterRef("_case"))
    not_exempt = declared.filter(exempt_reason="")
    standards = DibaoStandard.objects.in_force(on).filter(county__code=OuterRef("_county"))

    # No authorisation, no check: the departments' records count only for a household whose
    # case carries the applicant's signed data-check authorisation; otherwise declarations only.
    qs = qs.annotate(
        _authorised=Exists(
            DibaoCase.objects.filter(pk=OuterRef("_case"), authorization_signed_on__isnull=False)
        )
    )

    def only_authorised(expr: Any, zero: Any) -> Any:
        return Case(When(_authorised=True, then=expr), default=zero)

    def recorded(kind: str) -> QuerySet[Any] | None:
        sid = snapshots.get(kind)
        if sid is None:
            return None
        return RECORD_MODELS[kind]._default_manager.filter(snapshot_id=sid, id_number__in=unit_ids)

    def rec_sum(kind: str, column: str) -> Any:
        r = recorded(kind)
        zero = Value(Decimal("0"), output_field=MONEY)
        return only_authorised(_sum(r, column), zero) if r is not None else zero

    def rec_count(kind: str, q: Q | None = None, exclude: Q | None = None) -> Any:
        r = recorded(kind)
        if r is None:
            return Value(0)
        if q is not None:
            r = r.filter(q)
        if exclude is not None:
            r = r.exclude(exclude)
        return only_authorised(_count(r), Value(0))

    qs = qs.annotate(
        _members=_count(members),
        _standard_urban=Subquery(standards.order_by("-valid_from").values("urban")[:1]),
        _standard_rural=Subquery(standards.order_by("-valid_from").values("rural")[:1]),
        _income=_sum(
            IncomeDeclaration.objects.filter(
                case_id=OuterRef("_case"), income_type__counted=True
            ).filter(in_unit),
            "monthly_amount",
        ),
        _rigid=_sum(
            ExpenditureDeclaration.objects.filter(
                case_id=OuterRef("_case"), expenditure_type__kind=ExpenditureType.Kind.RIGID
            ).filter(in_unit),
            "monthly_amount",
        ),
        _burdened=_count(
            members.filter(
                Q(person__serious_illness__isnull=False) | Q(person__disability_grade__isnull=False)
            )
        ),
        _d_deposits=_sum(declared.filter(kind=P.DEPOSIT), "value"),
        _d_securities=_sum(declared.filter(kind=P.SECURITIES), "value"),
        _d_insurance=_sum(declared.filter(kind=P.COMMERCIAL_INSURANCE), "value"),
        _d_homes=_count(not_exempt.filter(kind=P.HOUSE)),
        _d_nonres=_count(not_exempt.filter(kind=P.NON_RESIDENTIAL)),
        _d_vehicles=_count(not_exempt.filter(kind=P.VEHICLE)),
        _d_business=_count(not_exempt.filter(kind=P.BUSINESS)),
        _r_deposits=rec_sum("bank_deposit", "balance"),
        _r_securities=rec_sum("securities", "market_value"),
        _r_homes=rec_count("housing", q=Q(use__iregex=RESIDENTIAL_USE)),
        _r_nonres=rec_count("housing", exclude=Q(use__iregex=RESIDENTIAL_USE)),
        _r_vehicles=rec_count("motor_vehicle", exclude=Q(vehicle_type__iregex=EXEMPT_VEHICLE)),
        _r_business=rec_count("business", q=Q(employees__gt=0)),
    ).annotate(
        _homes=Greatest("_d_homes", "_r_homes"),
        _nonres=Greatest("_d_nonres", "_r_nonres"),
        _vehicles=Greatest("_d_vehicles", "_r_vehicles"),
        _business=Greatest("_d_business", "_r_business"),
    )
    used = dict(snapshots)
    out: dict[int, tuple[int | None, Inputs]] = {}
    for h in qs.values(
        "pk",
        "hukou_type",
        "_case",
        "_members",
        "_standard_urban",
        "_standard_rural",
        "_income",
        "_rigid",
        "_burdened",
        "_d_deposits",
        "_d_securities",
        "_d_insurance",
        "_r_deposits",
        "_r_securities",
        "_homes",
        "_nonres",
        "_vehicles",
        "_business",
        "_authorised",
    ).order_by("pk"):
        standard = (
            h["_standard_urban"]
            if h["hukou_type"] == Household.Hukou.URBAN
            else h["_standard_rural"]
        )
        if standard is None or standard <= 0:
            continue
        out[h["pk"]] = (
            h["_case"],
            Inputs(
                members=h["_members"],
                standard=standard,
                counted_income=h["_income"],
                declared_deposits=h["_d_deposits"],
                recorded_deposits=h["_r_deposits"],
                declared_securities=h["_d_securities"],
                recorded_securities=h["_r_securities"],
                declared_insurance=h["_d_insurance"],
                homes=h["_homes"],
                non_residential=h["_nonres"],
                vehicles=h["_vehicles"],
                businesses=h["_business"],
                rigid_expenditure=h["_rigid"],
                burdened_members=h["_burdened"],
                snapshots=used if h["_authorised"] else {},
            ),
        )
    return out


# ----------------------------------------------------------------------------- scored rows


def household_score_list(*, user: User, household: int | None = None) -> QuerySet[HouseholdScore]:
    """The scores the user may see (the household's village in their area), newest first."""
    qs = scope_queryset(
        HouseholdScore.objects.select_related("weights", "computed_by", "household"),
        user,
        region_field="household__village",
    )
    if household is not None:
        qs = qs.filter(household_id=household)
    return qs.order_by("-computed_at", "-id")


def household_score_get(*, user: User, pk: int | str) -> HouseholdScore:
    """HouseholdScore.DoesNotExist when unknown or outside the user's area (→ 404)."""
    return household_score_list(user=user).get(pk=pk)


def household_score_latest(
    *, user: User, household: Household, case: DibaoCase | None = None
) -> HouseholdScore | None:
    qs = household_score_list(user=user, household=household.pk)
    if case is not None:
        qs = qs.filter(Q(case=case) | Q(case__isnull=True))
    return qs.first()
