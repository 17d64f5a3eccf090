"""Thin viewsets: scoped reads from selectors, writes through services.

Access, the same for every endpoint:

- authentication: session (the pages' login) or `Authorization: Token <key>` (/api/v1/auth/token/);
  none → 401;
- a role without the permission → 403, decided before any lookup (the same answer for every id);
- rows outside the user's area do not exist for them: lists leave them out, detail, update and
  actions answer 404, exactly as for an id that does not exist;
- a reference in a request body (village, household, person, membership) that is outside the
  area → 400 on that field, with the message used for an id that does not exist.

Errors: see core.api (400 with field errors; per-member errors keyed by the member's 0-based
index, `{"members": {"1": {"id_number": ["..."]}}}`).
"""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import API_AUTHENTICATION_CLASSES
from core.api_filters import IntegerFilter, SelectorFilterSet, cleaned_filters
from core.http import request_user as _user
from core.models import Region, User
from core.selectors import region_list

from .. import selectors, services, tally
from ..models import Household, Membership, Person
from ..pagination import SearchPagination
from .serializers import (
    HouseholdCreateSerializer,
    HouseholdDetailSerializer,
    HouseholdListSerializer,
    HouseholdUpdateSerializer,
    MemberRemoveSerializer,
    PersonCreateSerializer,
    PersonListSerializer,
    PersonUpdateSerializer,
    RegionSerializer,
)

E400 = OpenApiResponse(
    description='Invalid input: `{"field": ["message"]}`. In a list field, errors are keyed by '
    'the 0-based index of the item: `{"members": {"1": {"id_number": ["message"]}}}` for the '
    'second member, and `{"members": {"non_field_errors": ["message"]}}` for the list as a whole. '
    'Errors not tied to a field: `{"non_field_errors": ["message"]}`.'
)
E403 = OpenApiResponse(description="Your role does not allow this action.")
E404 = OpenApiResponse(description="Not found, or outside your area (the two are not told apart).")
E409 = OpenApiResponse(
    description="`expected_updated_at` was given and the record changed since: nothing saved."
)


def _unknown(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _village(user: User, pk: int) -> Region:
    # Out-of-scope villages are "unknown", like ids that don't exist: no leak across districts.
    village = region_list(user=user).filter(pk=pk).first()
    if village is None:
        raise _unknown("village", _("Unknown village, or outside your area."))
    return village


def _household_detail_qs(user: User) -> QuerySet[Household]:
    """household_list's joins and annotations, plus the members, in 2 queries."""
    return selectors.household_list(user=user).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.active()
            .select_related("person")
            .order_by("start_date", "id"),
        )
    )


class RegionFilter(filters.FilterSet):
    level = filters.ChoiceFilter(choices=Region.Level.choices)
    parent = IntegerFilter(field_name="parent_id")
    code = filters.CharFilter()
    name = filters.CharFilter(lookup_expr="contains")


@extend_schema_view(
    list=extend_schema(summary="Regions in your area"),
    retrieve=extend_schema(summary="One region", responses={200: RegionSerializer, 404: E404}),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    authentication_classes = API_AUTHENTICATION_CLASSES
    serializer_class = RegionSerializer
    queryset = Region.objects.none()  # the model, for RolePermission; rows from get_queryset
    filterset_class = RegionFilter

    def get_queryset(self) -> QuerySet[Region]:
        return region_list(user=_user(self.request))


def _ids_first(view: Any, qs: QuerySet[Any], rows: Any) -> Response:
    """List one page: paginate the ids (COUNT and OFFSET over the bare rows), then read only the
    page's rows with their joins and per-row subqueries (`rows(qs, ids)`)."""
    qs = view.filter_queryset(qs)  # the filter backends (unknown parameters → 400)
    ids = view.paginate_queryset(qs.values_list("pk", flat=True))
    page = rows(qs, ids if ids is not None else qs.values_list("pk", flat=True))
    data = view.get_serializer(page, many=True).data
    return view.get_paginated_response(data) if ids is not None else Response(data)


class HouseholdFilter(SelectorFilterSet):
    q = filters.CharFilter(
        method="noop",
        label="Search: household number; start of an active member's name (a full name is its "
        "own start); an active member's ID number, whole, its last 6+ or first 10+ characters",
    )
    name = filters.CharFilter(method="noop", label="Start of an active member's name")
    id_number = filters.CharFilter(method="noop", label="Full ID number of an active member")
    region = IntegerFilter(method="noop", label="Any region: households in its subtree")
    village = IntegerFilter(method="noop")
    town = IntegerFilter(method="noop")
    district = IntegerFilter(method="noop", label="A district or county-level city")


@extend_schema_view(
    list=extend_schema(summary="Households in your area"),
    retrieve=extend_schema(
        summary="One household with its active members",
        responses={200: HouseholdDetailSerializer, 404: E404},
    ),
)
class HouseholdViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Households of your area; outside it they do not exist for you (404). Updates are
    partial (PATCH)."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    queryset = Household.objects.none()
    filterset_class = HouseholdFilter
    pagination_class = SearchPagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_perms: list[str] | None = None  # set per action (RolePermission)

    def get_queryset(self) -> QuerySet[Household]:
        user = _user(self.request)
        if self.action == "list":
            return selectors.household_list(user=user, **cleaned_filters(self))
        if self.action == "retrieve":
            return _household_detail_qs(user)
        return selectors.household_list(user=user)

    def is_search(self) -> bool:
        return any(self.request.query_params.get(k) for k in ("q", "name", "id_number"))

    def known_count(self) -> int | None:
        return tally.household_list_count(_user(self.request), **cleaned_filters(self))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return _ids_first(self, self.get_queryset(), selectors.household_page)

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return {
            "create": HouseholdCreateSerializer,
            "partial_update": HouseholdUpdateSerializer,
            "retrieve": HouseholdDetailSerializer,
            "remove_member": MemberRemoveSerializer,
        }.get(self.action, HouseholdListSerializer)

    def _detail(self, pk: int) -> dict[str, Any]:
        return HouseholdDetailSerializer(
            _household_detail_qs(_user(self.request)).get(pk=pk),
            context=self.get_serializer_context(),
        ).data

    @extend_schema(
        summary="Register a household with its members",
        request=HouseholdCreateSerializer,
        responses={201: HouseholdDetailSerializer, 400: E400, 403: E403},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = HouseholdCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        person_fields = ser.fields["members"].child  # type: ignore[attr-defined]
        household = services.household_create(
            village=_village(_user(request), d["village"]),
            address=d["address"],
            hukou_type=d["hukou_type"],
            members=[
                services.MemberInput(
                    relation=m["relation"],
                    person=person_fields.person_data(m),
                    start_date=m.get("start_date"),
                )
                for m in d["members"]
            ],
            by=_user(request),
        )
        return Response(self._detail(household.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a household's village, address or hukou",
        request=HouseholdUpdateSerializer,
        responses={200: HouseholdDetailSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        household = self.get_object()
        ser = HouseholdUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        changes = dict(ser.validated_data)
        reason = changes.pop("reason", "")
        expected = changes.pop("expected_updated_at", None)
        if "village" in changes:
            changes["village"] = _village(_user(request), changes["village"])
        services.household_update(
            household=household,
            by=_user(request),
            reason=reason,
            expected_updated_at=expected,
            **changes,
        )
        return Response(self._detail(household.pk))

    @extend_schema(
        summary="End a member's membership (they leave the household)",
        request=MemberRemoveSerializer,
        responses={200: HouseholdDetailSerializer, 400: E400, 403: E403, 404: E404},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="remove-member",
        required_perms=["households.change_membership"],
    )
    def remove_member(self, request: Request, pk: str | None = None) -> Response:
        household = self.get_object()
        ser = MemberRemoveSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        membership = (
            Membership.objects.active().filter(household=household, pk=d["membership"]).first()
        )
        if membership is None:
            raise _unknown("membership", _("Not an active member of this household."))
        services.member_remove(
            membership=membership,
            reason=d["reason"],
            end_date=d.get("end_date"),
            by=_user(request),
        )
        return Response(self._detail(household.pk))


class PersonFilter(SelectorFilterSet):
    name = filters.CharFilter(method="noop", label="Start of the name (or the full name)")
    id_number = filters.CharFilter(method="noop", label="Full ID number")
    region = IntegerFilter(method="noop", label="Any region: persons in its subtree")


@extend_schema_view(
    list=extend_schema(summary="Persons in your area"),
    retrieve=extend_schema(summary="One person", responses={200: PersonListSerializer, 404: E404}),
)
class PersonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Persons of your area; outside it they do not exist for you (404). A person is created
    as a household member (POST here with `household` and `relation`, or within
    POST /households/). Updates are partial (PATCH)."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    queryset = Person.objects.none()
    serializer_class = PersonListSerializer
    filterset_class = PersonFilter
    pagination_class = SearchPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Person]:
        user = _user(self.request)
        if self.action == "list":
            return selectors.person_list(user=user, **cleaned_filters(self))
        return selectors.person_list(user=user)

    def is_search(self) -> bool:
        return any(self.request.query_params.get(k) for k in ("name", "id_number"))

    def known_count(self) -> int | None:
        return tally.person_list_count(_user(self.request), **cleaned_filters(self))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return _ids_first(self, self.get_queryset(), selectors.person_page)

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return {
            "create": PersonCreateSerializer,
            "partial_update": PersonUpdateSerializer,
        }.get(self.action, PersonListSerializer)

    def _detail(self, pk: int) -> dict[str, Any]:
        return PersonListSerializer(
            selectors.person_get(user=_user(self.request), pk=pk),
            context=self.get_serializer_context(),
        ).data

    @extend_schema(
        summary="Add a member to a household: a new person, or an existing one without a household",
        request=PersonCreateSerializer,
        responses={201: PersonListSerializer, 400: E400, 403: E403},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        ser = PersonCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        household = selectors.household_list(user=user).filter(pk=d["household"]).first()
        if household is None:
            raise _unknown("household", _("Unknown household, or outside your area."))
        person = None
        if d.get("person") is not None:
            person = selectors.person_list(user=user).filter(pk=d["person"]).first()
            if person is None:
                raise _unknown("person", _("Unknown person, or outside your area."))
        membership = services.member_add(
            household=household,
            relation=d["relation"],
            person=person,
            person_data=None if person else ser.person_data(d),
            start_date=d.get("start_date"),
            by=user,
        )
        return Response(self._detail(membership.person_id), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a person's details",
        request=PersonUpdateSerializer,
        responses={200: PersonListSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        ser = PersonUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        services.person_update(
            person=person,
            by=_user(request),
            reason=ser.validated_data.get("reason", ""),
            expected_updated_at=ser.validated_data.get("expected_updated_at"),
            **ser.person_data(ser.validated_data),
        )
        return Response(self._detail(person.pk))
