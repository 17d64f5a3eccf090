"""/api/v1/monitoring-cases/: the same selectors and service as the pages. A case outside your
area does not exist for you (404); bad input 400 with the fields; a closed case or a stale
version 409."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api import API_AUTHENTICATION_CLASSES
from core.api_permissions import RolePermission
from core.http import request_user
from transitions.models import MonitoringCase, MonitoringCaseTransition

from ..permissions import CLOSE_MONITORING
from .selectors import monitoring_case_list
from .services import monitoring_case_close
from .workflow import MONITORING


class MonitoringTransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None)

    class Meta:
        model = MonitoringCaseTransition
        fields = ["action", "from_status", "to_status", "by", "at", "reason"]


class MonitoringCaseSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village.code")
    closed_by = serializers.CharField(source="closed_by.username", default=None)
    transitions = MonitoringTransitionSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = MonitoringCase
        fields = [
            "id",
            "household",
            "village",
            "rule",
            "detail",
            "status",
            "opened_on",
            "due_on",
            "outcome",
            "reason",
            "closed_on",
            "closed_by",
            "version",
            "transitions",
            "allowed_actions",
        ]

    def get_allowed_actions(self, case: MonitoringCase) -> list[str]:
        return MONITORING.allowed(case, self.context["request"].user)


class MonitoringCloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=MonitoringCase.Outcome.choices)
    reason = serializers.CharField(max_length=2000)
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


@extend_schema_view(
    list=extend_schema(
        summary="Return-to-poverty monitoring cases in your area",
        parameters=[OpenApiParameter("status", str, enum=list(MonitoringCase.Status.values))],
    ),
    retrieve=extend_schema(summary="One monitoring case with its history"),
)
class MonitoringCaseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = MonitoringCase.objects.none()
    serializer_class = MonitoringCaseSerializer
    http_method_names = ["get", "post", "head", "options"]
    required_perms: list[str] | None = None  # set per action
    extra_query_params = ("status",)  # core.api_filters

    def get_queryset(self) -> QuerySet[MonitoringCase]:
        status = self.request.query_params.get("status", "")
        if status and status not in MonitoringCase.Status.values:
            raise ValidationError({"status": [f"One of: {', '.join(MonitoringCase.Status)}."]})
        return monitoring_case_list(
            user=request_user(self.request), status=status
        ).prefetch_related("transitions__by")

    @extend_schema(
        summary="Close the case with an outcome and a reason (the town's caseworker)",
        request=MonitoringCloseSerializer,
        responses={
            200: MonitoringCaseSerializer,
            400: OpenApiResponse(description='Invalid input: `{"field": ["message"]}`.'),
            403: OpenApiResponse(description="Your role or level does not allow it."),
            404: OpenApiResponse(description="No such case for you."),
            409: OpenApiResponse(description="Closed already, or changed since your version."),
        },
    )
    @action(detail=True, methods=["post"], required_perms=[CLOSE_MONITORING])
    def close(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        ser = MonitoringCloseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        monitoring_case_close(case=case, by=request_user(request), **ser.validated_data)
        fresh = self.get_queryset().get(pk=case.pk)
        return Response(self.get_serializer(fresh).data)


router = SimpleRouter()
router.register("monitoring-cases", MonitoringCaseViewSet, basename="monitoring-case")
urlpatterns = router.urls
