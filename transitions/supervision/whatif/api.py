"""/api/v1/what-if/: the same selectors and services as the pages. POST a proposal: 202 and the
scenario (simulated in the background; poll it); bad input 400 with field errors
(`effective_month`, `standards.<code>.urban|rural`, `supplements.<category>`,
`price_trigger_pct`, `title`); a scenario you may not see does not exist for you (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api import API_AUTHENTICATION_CLASSES
from core.api_permissions import RolePermission
from core.http import request_user as _user

from ...models import WhatIfDistrict, WhatIfScenario
from . import selectors, services


class WhatIfDistrictSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="county.code")
    county_name = serializers.CharField(source="county.name")

    class Meta:
        model = WhatIfDistrict
        fields = [
            "county",
            "county_name",
            "households",
            "active",
            "pending",
            "changed",
            "became_eligible",
            "became_ineligible",
            "current_monthly",
            "proposed_monthly",
            "monthly_difference",
            "yearly_difference",
        ]


class WhatIfScenarioSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username")
    effective_month = serializers.DateField(format="%Y-%m")
    districts = WhatIfDistrictSerializer(many=True, read_only=True)
    job = serializers.IntegerField(source="job_id", allow_null=True)

    class Meta:
        model = WhatIfScenario
        fields = [
            "id",
            "title",
            "effective_month",
            "status",
            "changes",
            "baseline",
            "created_by",
            "created_at",
            "finished_at",
            "seconds",
            "job",
            "districts",
        ]


class StandardInput(serializers.Serializer):
    urban = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    rural = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class WhatIfInput(serializers.Serializer):
    """Numbers as strings or numbers; the service checks them (the same rules as the page)."""

    title = serializers.CharField(max_length=200)
    effective_month = serializers.CharField(help_text="YYYY-MM")
    standards = serializers.DictField(
        child=StandardInput(), required=False, help_text='{"440703": {"urban": "950"}}'
    )
    supplements = serializers.DictField(
        child=serializers.CharField(), required=False, help_text='{"aged_70": "25"}'
    )
    price_trigger_pct = serializers.CharField(required=False, allow_null=True, allow_blank=True)


@extend_schema_view(
    list=extend_schema(summary="What-if scenarios you may see"),
    retrieve=extend_schema(summary="A scenario with its per-district results"),
    create=extend_schema(
        summary="Simulate a proposed standard, supplement rate or trigger (in the background)",
        request=WhatIfInput,
        responses={
            202: WhatIfScenarioSerializer,
            400: OpenApiResponse(description='Invalid input: `{"field": ["message"]}`.'),
            403: OpenApiResponse(description="Only data administrators."),
        },
    ),
)
class WhatIfViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = WhatIfScenario.objects.none()
    serializer_class = WhatIfScenarioSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[WhatIfScenario]:
        return selectors.whatif_list(user=_user(self.request)).prefetch_related("districts__county")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = WhatIfInput(data=request.data)
        ser.is_valid(raise_exception=True)
        scenario = services.whatif_start(**ser.validated_data, by=_user(request))
        scenario = self.get_queryset().get(pk=scenario.pk)
        return Response(
            WhatIfScenarioSerializer(scenario, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )


router = SimpleRouter()
router.register("what-if", WhatIfViewSet, basename="what-if")
urlpatterns = router.urls
