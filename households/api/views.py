"""Thin viewsets: scoped reads from selectors, writes through services."""

from typing import Any

from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.models import Region
from core.selectors import region_list

from .. import selectors, services
from ..models import Household, Person
from .serializers import (
    HouseholdCreateSerializer,
    HouseholdDetailSerializer,
    HouseholdListSerializer,
    HouseholdUpdateSerializer,
    PersonSerializer,
    PersonWriteSerializer,
    RegionSerializer,
)


def _village(user: Any, pk: int | None) -> Region | None:
    if pk is None:
        return None
    # Out-of-scope villages are "not found" to the service, which then reports the field error.
    village = region_list(user=user).filter(pk=pk).first()
    if village is None:
        raise ValidationError({"village": ["Unknown village, or outside your area."]})
    return village


class RegionFilter(filters.FilterSet):
    level = filters.ChoiceFilter(choices=Region.Level.choices)
    parent = filters.NumberFilter()
    code = filters.CharFilter()


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RegionSerializer
    queryset = Region.objects.none()  # model for the permission check; rows from get_queryset
    filterset_class = RegionFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return region_list(user=self.request.user)


class HouseholdFilter(filters.FilterSet):
    q = filters.CharFilter(method="noop", label="search")
    name = filters.CharFilter(method="noop")
    id_number = filters.CharFilter(method="noop")
    region = filters.NumberFilter(method="noop")
    village = filters.NumberFilter(method="noop")
    town = filters.NumberFilter(method="noop")

    def noop(self, qs, name, value):  # type: ignore[no-untyped-def]
        return qs  # applied by the selector in get_queryset


class HouseholdViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Household.objects.none()
    filterset_class = HouseholdFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if self.action == "retrieve":
            return selectors.household_list(user=self.request.user).prefetch_related(
                "memberships__person"
            )
        p = self.request.query_params
        return selectors.household_list(
            user=self.request.user,
            q=p.get("q", ""),
            name=p.get("name", ""),
            id_number=p.get("id_number", ""),
            village=p.get("village") or None,
            town=p.get("town") or None,
            region=p.get("region") or None,
        )

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return {
            "create": HouseholdCreateSerializer,
            "update": HouseholdUpdateSerializer,
            "partial_update": HouseholdUpdateSerializer,
            "retrieve": HouseholdDetailSerializer,
        }.get(self.action, HouseholdListSerializer)

    @extend_schema(request=HouseholdCreateSerializer, responses=HouseholdDetailSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = HouseholdCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        household = services.household_create(
            village=_village(request.user, d["village"]),  # type: ignore[arg-type]
            address=d["address"],
            hukou_type=d["hukou_type"],
            members=[services.MemberInput(**m) for m in d["members"]],
            by=request.user,  # type: ignore[arg-type]
        )
        out = selectors.household_get(user=request.user, pk=household.pk)  # type: ignore[arg-type]
        return Response(HouseholdDetailSerializer(out).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=HouseholdUpdateSerializer, responses=HouseholdDetailSerializer)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        household = self.get_object()
        ser = HouseholdUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        ser.is_valid(raise_exception=True)
        changes = dict(ser.validated_data)
        reason = changes.pop("reason", "")
        if "village" in changes:
            changes["village"] = _village(request.user, changes["village"])
        services.household_update(household=household, by=request.user, reason=reason, **changes)  # type: ignore[arg-type]
        out = selectors.household_get(user=request.user, pk=household.pk)  # type: ignore[arg-type]
        return Response(HouseholdDetailSerializer(out).data)


class PersonFilter(filters.FilterSet):
    name = filters.CharFilter(method="noop")
    id_number = filters.CharFilter(method="noop")
    region = filters.NumberFilter(method="noop")

    def noop(self, qs, name, value):  # type: ignore[no-untyped-def]
        return qs


class PersonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Persons are created as household members (POST /households/ or the member endpoints)."""

    queryset = Person.objects.none()
    serializer_class = PersonSerializer
    filterset_class = PersonFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        p = self.request.query_params
        return selectors.person_list(
            user=self.request.user,
            name=p.get("name", ""),
            id_number=p.get("id_number", ""),
            region=p.get("region") or None,
        )

    @extend_schema(request=PersonWriteSerializer, responses=PersonSerializer)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        ser = PersonWriteSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        reason = str(request.data.get("reason", ""))
        services.person_update(person=person, by=request.user, reason=reason, **ser.validated_data)  # type: ignore[arg-type]
        return Response(PersonSerializer(self.get_queryset().get(pk=person.pk)).data)
