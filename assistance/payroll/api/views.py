"""/api/v1/payrolls/: the monthly dibao payrolls of your area.

- GET /payrolls/ (filters `county`, `month` YYYY-MM, `status`), GET /payrolls/{id}/;
- GET /payrolls/{id}/lines/ (paginated, by case; `missing_account=true`: only the lines
  without a bank account), GET /payrolls/{id}/job/ (the build's progress);
- POST /payrolls/build/ `{"county": id, "month": "YYYY-MM"}` → 202 with the job to poll
  (`assistance.add_payroll`); an approved (locked) month → 409;
- POST /payrolls/{id}/approve/ (`assistance.change_payroll`, the district's civil-affairs
  reviewer) → 200; already approved, or still building (also a rebuild queued or running) → 409.

Access as everywhere (core.api): a role without the permission → 403 before any lookup; a payroll
outside your area → 404; a district outside it in a request body → 400 on `county`.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from assistance.models import Payroll, PayrollLine
from assistance.payroll import selectors as payroll_selectors
from assistance.payroll import services
from assistance.payroll.workflow import PAYROLL
from assistance.permissions import APPROVE_PAYROLL, BUILD_PAYROLL
from core.api import API_AUTHENTICATION_CLASSES, Conflict
from core.api_fields import AllowedActionsField
from core.api_filters import IntegerFilter, SelectorFilterSet, cleaned_filters
from core.http import request_user as _user
from core.models import Job, Region
from core.months import parse_month
from core.scope import visible_regions

E400 = OpenApiResponse(description='Invalid input: `{"field": ["message"]}`.')
E403 = OpenApiResponse(description="Your role does not allow this action.")
E404 = OpenApiResponse(description="Not found, or outside your area (the two are not told apart).")
E409 = OpenApiResponse(
    description="The payroll is approved (locked), already approved, or still being built."
)


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "status",
            "percent",
            "progress_done",
            "progress_total",
            "message",
            "result",
            "created_at",
            "finished_at",
        ]


class PayrollSerializer(serializers.ModelSerializer):
    county_name = serializers.CharField(source="county.name", read_only=True)
    month = serializers.DateField(format="%Y-%m")
    built_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    approved_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Payroll
        fields = [
            "id",
            "county",
            "county_name",
            "month",
            "status",
            "line_count",
            "total",
            "built_at",
            "built_by",
            "approved_at",
            "approved_by",
            "job",
        ]
        read_only_fields = fields


class PayrollDetailSerializer(PayrollSerializer):
    allowed_actions = AllowedActionsField(PAYROLL)

    class Meta(PayrollSerializer.Meta):
        fields = [*PayrollSerializer.Meta.fields, "allowed_actions"]
        read_only_fields = fields


class PayrollLineSerializer(serializers.ModelSerializer):
    case_no = serializers.SerializerMethodField()
    bank_account = serializers.SerializerMethodField(
        help_text="Masked to the last 4 digits; the full number is only in the bank file."
    )

    class Meta:
        model = PayrollLine
        fields = [
            "id",
            "case",
            "case_no",
            "month",
            "award",
            "payee_name",
            "bank_name",
            "bank_account",
            "members",
            "base_amount",
            "supplement_amount",
            "price_subsidy",
            "total",
        ]
        read_only_fields = fields

    def get_case_no(self, obj: PayrollLine) -> str:
        return f"DB{obj.case_id:06d}"

    def get_bank_account(self, obj: PayrollLine) -> str:
        return f"…{obj.bank_account[-4:]}" if obj.bank_account else ""


class BuildSerializer(serializers.Serializer):
    county = serializers.IntegerField(help_text="The district (county-level region) id.")
    month = serializers.CharField(help_text="YYYY-MM")


class BuildStartedSerializer(serializers.Serializer):
    payroll = serializers.IntegerField()
    job = JobSerializer()


class PayrollFilter(SelectorFilterSet):
    county = IntegerFilter(method="noop")
    month = filters.CharFilter(method="noop", label="YYYY-MM")
    status = filters.ChoiceFilter(method="noop", choices=Payroll.Status.choices)


@extend_schema_view(
    list=extend_schema(summary="Payrolls of your area"),
    retrieve=extend_schema(summary="One payroll", responses={200: PayrollSerializer, 404: E404}),
)
class PayrollViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    authentication_classes = API_AUTHENTICATION_CLASSES
    queryset = Payroll.objects.none()  # the model, for RolePermission; rows from get_queryset
    serializer_class = PayrollSerializer
    filterset_class = PayrollFilter
    required_perms: list[str] | None = None  # set per action (RolePermission)

    def get_queryset(self) -> QuerySet[Payroll]:
        qs = payroll_selectors.payroll_list(user=_user(self.request)).select_related("built_by")
        if self.action != "list":
            return qs
        d = cleaned_filters(self)
        if d.get("county"):
            qs = qs.filter(county_id=d["county"])
        if d.get("status"):
            qs = qs.filter(status=d["status"])
        if d.get("month"):
            try:
                qs = qs.filter(month=parse_month(d["month"]))
            except DjangoValidationError as exc:
                raise ValidationError(exc.message_dict) from None
        return qs

    @extend_schema(
        summary="Build (or rebuild) a district's payroll for a month, in the background",
        request=BuildSerializer,
        responses={202: BuildStartedSerializer, 400: E400, 403: E403, 409: E409},
    )
    @action(detail=False, methods=["post"], required_perms=[BUILD_PAYROLL])
    def build(self, request: Request) -> Response:
        ser = BuildSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        county = (
            visible_regions(_user(request))
            .filter(level=Region.Level.COUNTY, pk=d["county"])
            .first()
        )
        if county is None:
            raise ValidationError({"county": [_("Unknown district, or outside your area.")]})
        month = parse_month(d["month"])
        try:
            job = services.payroll_build_start(county=county, month=month, by=_user(request))
        except DjangoValidationError as exc:
            if getattr(exc, "code", None) == "locked":
                raise Conflict(exc.messages[0]) from None
            raise
        payroll = Payroll.objects.get(county=county, month=month)
        return Response(
            {"payroll": payroll.pk, "job": JobSerializer(job).data},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        summary="Approve a draft payroll (locks it)",
        request=None,
        responses={200: PayrollDetailSerializer, 403: E403, 404: E404, 409: E409},
    )
    @action(detail=True, methods=["post"], required_perms=[APPROVE_PAYROLL])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        payroll = self.get_object()
        try:
            payroll = services.payroll_approve(payroll=payroll, by=_user(request))
        except DjangoValidationError as exc:
            if getattr(exc, "code", None) in ("approved", "building", "build_failed", "empty"):
                raise Conflict(exc.messages[0]) from None
            raise
        fresh = self.get_queryset().get(pk=payroll.pk)
        return Response(PayrollDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="The payroll's lines, by case",
        parameters=[
            OpenApiParameter(
                "missing_account", bool, description="Only the lines without a bank account"
            )
        ],
        responses={200: PayrollLineSerializer(many=True), 404: E404},
    )
    @action(detail=True, methods=["get"], required_perms=["assistance.view_payroll"])
    def lines(self, request: Request, pk: str | None = None) -> Response:
        payroll = self.get_object()
        missing = request.query_params.get("missing_account", "").lower() in ("1", "true")
        qs = payroll_selectors.payroll_lines(payroll=payroll, missing_account=missing)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(PayrollLineSerializer(page, many=True).data)

    @extend_schema(
        summary="The progress of the payroll's latest build",
        responses={200: JobSerializer, 404: E404},
    )
    @action(detail=True, methods=["get"], required_perms=["assistance.view_payroll"])
    def job(self, request: Request, pk: str | None = None) -> Response:
        payroll = self.get_object()
        if payroll.job_id is None:
            raise NotFound(_("This payroll has no build job."))
        return Response(JobSerializer(Job.objects.get(pk=payroll.job_id)).data)

    def get_serializer_class(self) -> Any:
        return PayrollDetailSerializer if self.action == "retrieve" else PayrollSerializer
