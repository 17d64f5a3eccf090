"""/api/v1/household-scores/: list (filter by household), retrieve, and POST to compute a
household's score now — the same selectors and service as the pages, the same scoping.

- a role without VIEW_SCORE → 403 (reads); without COMPUTE_SCORE → 403 (POST);
- scores of households outside the user's area do not exist for them (404); a household in the
  body outside the area → 400 on that field; a case not the household's → 400 on `case`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from assistance.models import DibaoCase
from core.api import API_AUTHENTICATION_CLASSES
from core.api_filters import IntegerFilter, Pagination, SelectorFilterSet, cleaned_filters
from core.api_permissions import RolePermission
from core.http import request_user as _user
from households import selectors as household_selectors
from verification.models import HouseholdScore
from verification.scores import selectors, services
from verification.scores.permissions import COMPUTE_SCORE, VIEW_SCORE

E400 = OpenApiResponse(description='Invalid input: `{"field": ["message"]}`. Nothing is saved.')
E403 = OpenApiResponse(description="Your role does not allow this.")
E404 = OpenApiResponse(description="Not found, or outside your area (the two are not told apart).")


class FactorSerializer(serializers.Serializer):
    input = serializers.CharField(help_text="The factor's input (a ratio to the standard).")
    normalised = serializers.CharField(help_text="0 to 1; 1 is the poorest.")
    weight = serializers.CharField()
    contribution = serializers.CharField(help_text="normalised × weight, points of the score.")


class FactorsSerializer(serializers.Serializer):
    income = FactorSerializer()
    property = FactorSerializer()
    expenditure = FactorSerializer()
    snapshots = serializers.DictField(
        child=serializers.IntegerField(), help_text="The dataset snapshot used per kind."
    )


class HouseholdScoreSerializer(serializers.ModelSerializer):
    weights_version = serializers.CharField(source="weights.version", read_only=True)
    computed_by = serializers.CharField(
        source="computed_by.username", read_only=True, allow_null=True, default=None
    )
    factors = serializers.SerializerMethodField()

    class Meta:
        model = HouseholdScore
        fields = [
            "id",
            "household",
            "case",
            "on",
            "score",
            "weights",
            "weights_version",
            "factors",
            "computed_at",
            "computed_by",
        ]
        read_only_fields = fields

    @extend_schema_field(FactorsSerializer)
    def get_factors(self, obj: HouseholdScore) -> dict[str, Any]:
        return obj.factors  # type: ignore[no-any-return]


class HouseholdScoreComputeSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    case = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The case whose declarations are used; default: the household's newest case.",
    )


class HouseholdScoreFilter(SelectorFilterSet):
    household = IntegerFilter(method="noop")

    class Meta:
        model = HouseholdScore
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Household poverty scores in your area"),
    retrieve=extend_schema(
        summary="One household poverty score with each factor's contribution",
        responses={200: HouseholdScoreSerializer, 404: E404},
    ),
)
class HouseholdScoreViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = HouseholdScore.objects.none()
    serializer_class = HouseholdScoreSerializer
    filterset_class = HouseholdScoreFilter
    pagination_class = Pagination
    http_method_names = ["get", "post", "head", "options"]

    @property
    def required_perms(self) -> list[str]:
        return [COMPUTE_SCORE] if self.request.method == "POST" else [VIEW_SCORE]

    def get_queryset(self) -> QuerySet[HouseholdScore]:
        user = _user(self.request)
        if self.action == "list":
            return selectors.household_score_list(user=user, **cleaned_filters(self))
        return selectors.household_score_list(user=user)

    @extend_schema(
        summary="Compute a household's poverty score now (weights in force today)",
        request=HouseholdScoreComputeSerializer,
        responses={201: HouseholdScoreSerializer, 400: E400, 403: E403},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        ser = HouseholdScoreComputeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        household = household_selectors.household_list(user=user).filter(pk=d["household"]).first()
        if household is None:
            raise serializers.ValidationError(
                {"household": [_("Unknown household, or outside your area.")]}
            )
        case = None
        if d.get("case"):
            case = DibaoCase.objects.filter(pk=d["case"], household=household).first()
            if case is None:
                raise serializers.ValidationError(
                    {"case": [_("This case is not the household's.")]}
                )
        try:
            score = services.household_score_compute(
                household=household, case=case, on=timezone.localdate(), by=user
            )
        except DjangoValidationError as e:
            if hasattr(e, "error_dict"):
                raise serializers.ValidationError(e.message_dict) from e
            raise serializers.ValidationError({"non_field_errors": e.messages}) from e
        score = selectors.household_score_list(user=user).get(pk=score.pk)
        return Response(HouseholdScoreSerializer(score).data, status=status.HTTP_201_CREATED)
