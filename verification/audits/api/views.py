"""/api/v1/audits/ and /api/v1/audit-samples/: the same selectors, services, scoping and
separation of duties as the pages. A plan or household outside yours (for an auditor: not of
your own plans, or of a cancelled one) does not exist for you (404); a stale action is 409
(a correction naming a version corrected since included); a rule 403."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import API_AUTHENTICATION_CLASSES, Conflict
from core.api_permissions import RolePermission
from core.http import request_user as _user

from ...models import AuditPlan, AuditSample
from ...permissions import PLAN_AUDIT, RECORD_AUDIT, VIEW_AUDIT
from .. import selectors, services
from .serializers import (
    AssignSerializer,
    CancelSerializer,
    CloseSerializer,
    CorrectSerializer,
    PlanCreateSerializer,
    PlanDetailSerializer,
    PlanSerializer,
    RecordSerializer,
    SampleDetailSerializer,
    SampleSerializer,
)

E400 = OpenApiResponse(description='Invalid input: `{"field": ["message"]}`.')
E403 = OpenApiResponse(description="Your role, or separation of duties, does not allow it.")
E404 = OpenApiResponse(description="No such audit plan or sampled household of yours.")
E409 = OpenApiResponse(
    description="It changed since you read it (e.g. already recorded, corrected meanwhile)."
)
# "stale" (a correction on a version corrected since) is core.api's own 409.
CONFLICTS = ("wrong_status", "already_recorded")


class _ConflictMixin:
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DjangoValidationError) and getattr(exc, "code", None) in CONFLICTS:
            exc = Conflict(exc.messages[0], code="wrong_status")
        return super().handle_exception(exc)  # type: ignore[misc]


def _action(summary: str, request: Any, answer: Any = None) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: answer or PlanDetailSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )


def _input(cls: Any, data: Any) -> dict[str, Any]:
    ser = cls(data=data)
    ser.is_valid(raise_exception=True)
    return dict(ser.validated_data)


@extend_schema_view(
    list=extend_schema(
        summary="Audit plans you may see (auditors: your own, once drawn)",
        parameters=[OpenApiParameter("status", str, enum=AuditPlan.Status.values)],
    ),
    retrieve=extend_schema(summary="One audit plan with its strata, history and allowed actions"),
    create=extend_schema(
        summary="Create a draft plan (city supervisor)",
        request=PlanCreateSerializer,
        responses={201: PlanDetailSerializer, 400: E400, 403: E403},
    ),
)
class AuditPlanViewSet(
    _ConflictMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = AuditPlan.objects.none()
    http_method_names = ["get", "post", "head", "options"]
    required_perms: list[str] | None = None  # set per action
    extra_query_params = ("status",)  # core.api_filters

    def get_queryset(self) -> QuerySet[AuditPlan]:
        user = _user(self.request)
        status_ = self.request.query_params.get("status", "") if self.action == "list" else ""
        if status_ and status_ not in AuditPlan.Status.values:
            raise ValidationError({"status": [f"One of: {', '.join(AuditPlan.Status.values)}."]})
        qs = selectors.audit_plan_list(user=user, status=status_)
        if self.action != "list":
            qs = qs.prefetch_related("strata__town", "transitions__by")
        return qs.prefetch_related("auditors")

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return PlanSerializer if self.action == "list" else PlanDetailSerializer

    def _answer(self, pk: Any, code: int = status.HTTP_200_OK) -> Response:
        plan = self.get_queryset().get(pk=pk)
        return Response(
            PlanDetailSerializer(plan, context={"request": self.request}).data, status=code
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        d = _input(PlanCreateSerializer, request.data)
        plan = services.audit_plan_create(by=_user(request), **d)
        return self._answer(plan.pk, status.HTTP_201_CREATED)

    @_action("Draw the stratified sample (reproducible from the plan's seed)", None)
    @action(detail=True, methods=["post"], required_perms=[PLAN_AUDIT])
    def draw(self, request: Request, pk: str | None = None) -> Response:
        plan = self.get_object()
        services.audit_plan_draw(plan=plan, by=_user(request))
        return self._answer(plan.pk)

    @_action("Change the plan's auditors", AssignSerializer)
    @action(detail=True, methods=["post"], required_perms=[PLAN_AUDIT])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        plan = self.get_object()
        d = _input(AssignSerializer, request.data)
        services.audit_plan_assign(plan=plan, auditors=d["auditors"], by=_user(request))
        return self._answer(plan.pk)

    @_action("Close the audit (a supervisor who recorded nothing in it)", CloseSerializer)
    @action(detail=True, methods=["post"], required_perms=[PLAN_AUDIT])
    def close(self, request: Request, pk: str | None = None) -> Response:
        plan = self.get_object()
        d = _input(CloseSerializer, request.data)
        services.audit_plan_close(plan=plan, by=_user(request), reason=d["reason"])
        return self._answer(plan.pk)

    @_action(
        "Cancel the plan before it is closed (city supervisor; a reason; cannot be undone)",
        CancelSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=[PLAN_AUDIT])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        plan = self.get_object()
        d = _input(CancelSerializer, request.data)
        services.audit_plan_cancel(plan=plan, by=_user(request), reason=d["reason"])
        return self._answer(plan.pk)


@extend_schema_view(
    list=extend_schema(
        summary="Sampled households you may see (auditors: of your own plans only)",
        parameters=[
            OpenApiParameter("plan", int),
            OpenApiParameter("result", str, enum=AuditSample.Result.values),
            OpenApiParameter("frame", str, enum=["recipient", "excluded"]),
            OpenApiParameter("open", str, enum=["1"], description="1: plans not closed yet"),
        ],
    ),
    retrieve=extend_schema(summary="One sampled household, its members masked"),
)
class AuditSampleViewSet(
    _ConflictMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = AuditSample.objects.none()
    http_method_names = ["get", "post", "head", "options"]
    required_perms: list[str] | None = [VIEW_AUDIT]
    extra_query_params = ("plan", "result", "frame", "open")  # core.api_filters

    def get_queryset(self) -> QuerySet[AuditSample]:
        q = self.request.query_params
        filters = selectors.SampleFilters()
        if self.action == "list":
            errors: dict[str, list[str]] = {}
            plan = q.get("plan", "")
            if plan and not plan.isdigit():
                errors["plan"] = ["A plan id."]
            result = q.get("result", "")
            if result and result not in AuditSample.Result.values:
                errors["result"] = [f"One of: {', '.join(AuditSample.Result.values)}."]
            frame = q.get("frame", "")
            if frame and frame not in ("recipient", "excluded"):
                errors["frame"] = ["One of: recipient, excluded."]
            if errors:
                raise ValidationError(errors)
            filters = selectors.SampleFilters(
                plan=int(plan) if plan else None,
                result=result,
                frame=frame,
                open_only=q.get("open") == "1",
            )
        return selectors.audit_sample_list(user=_user(self.request), filters=filters)

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return SampleSerializer if self.action == "list" else SampleDetailSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if self.action in ("retrieve", "record", "correct") and "pk" in self.kwargs:
            sample = selectors.audit_sample_get(user=_user(self.request), pk=self.kwargs["pk"])
            context["members"] = selectors.sample_members(user=_user(self.request), sample=sample)
        return context

    @_action(
        "Record the result on this household (an auditor of its plan; once)",
        RecordSerializer,
        SampleDetailSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=[RECORD_AUDIT])
    def record(self, request: Request, pk: str | None = None) -> Response:
        sample = self.get_object()
        d = _input(RecordSerializer, request.data)
        services.audit_sample_record(sample=sample, by=_user(request), **d)
        fresh = selectors.audit_sample_get(user=_user(request), pk=sample.pk)
        return Response(SampleDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @_action(
        "Correct your own result on this household while the plan is not closed (a reason; "
        "the `version` you read)",
        CorrectSerializer,
        SampleDetailSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=[RECORD_AUDIT])
    def correct(self, request: Request, pk: str | None = None) -> Response:
        sample = self.get_object()
        d = _input(CorrectSerializer, request.data)
        services.audit_sample_correct(sample=sample, by=_user(request), **d)
        fresh = selectors.audit_sample_get(user=_user(request), pk=sample.pk)
        return Response(SampleDetailSerializer(fresh, context=self.get_serializer_context()).data)
