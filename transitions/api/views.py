"""/api/v1/transitions/, /api/v1/phase-outs/, /api/v1/insurance-enrolments/: the same
selectors, services, scoping and separation-of-duty checks as the pages. Rows outside your
area do not exist for you (404); a stale action is 409; a rule of the policy 403."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from assistance.permissions import CONFIRM_DIBAO
from core.api import API_AUTHENTICATION_CLASSES, Conflict
from core.api_permissions import RolePermission
from core.http import request_user as _user

from .. import enrolments as enrolment_services
from .. import selectors, services
from ..models import Handoff, HandoffKind, InsuranceEnrolment, PhaseOut
from ..permissions import ACT
from ..phaseout import phase_out_reassess
from .serializers import (
    EnrolmentSerializer,
    EnrolmentUpdateSerializer,
    HandoffApproveSerializer,
    HandoffDetailSerializer,
    HandoffListSerializer,
    HandoffReasonSerializer,
    HandoffRequiredReasonSerializer,
    PhaseOutReassessSerializer,
    PhaseOutSerializer,
)

E400 = OpenApiResponse(description='Invalid input: `{"field": ["message"]}`.')
E403 = OpenApiResponse(description="Your role, level or the hand-off's policy does not allow it.")
E404 = OpenApiResponse(description="No such hand-off in your area.")
E409 = OpenApiResponse(description="It changed since you read it (e.g. already decided).")
BOXES = ("inbox", "incoming", "outgoing", "all")


class _ConflictMixin:
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DjangoValidationError) and getattr(exc, "code", None) in (
            "wrong_status",
            "use_handoff",
        ):
            exc = Conflict(exc.messages[0], code="wrong_status")
        return super().handle_exception(exc)  # type: ignore[misc]


def _action(summary: str, request: Any) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: HandoffDetailSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )


@extend_schema_view(
    list=extend_schema(
        summary="Hand-offs in your area",
        parameters=[
            OpenApiParameter(
                "box", str, enum=list(BOXES), description="inbox (default): waiting for you"
            ),
            OpenApiParameter(
                "status", str, enum=["closed", "every"], description="default: under way"
            ),
            OpenApiParameter("kind", str, enum=HandoffKind.values),
            OpenApiParameter("overdue", str, enum=["1"]),
        ],
    ),
    retrieve=extend_schema(summary="One hand-off with its history, decisions, allowed actions"),
)
class HandoffViewSet(
    _ConflictMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = Handoff.objects.none()
    http_method_names = ["get", "post", "head", "options"]
    required_perms: list[str] | None = None  # set per action
    extra_query_params = ("box", "status", "kind", "overdue")  # core.api_filters

    def get_queryset(self) -> QuerySet[Handoff]:
        user = _user(self.request)
        if self.action == "list":
            q = self.request.query_params
            box = q.get("box", "inbox")
            status = q.get("status", "")
            kind = q.get("kind", "")
            errors = {}
            if box not in BOXES:
                errors["box"] = [f"One of: {', '.join(BOXES)}."]
            if status not in ("", "closed", "every"):
                errors["status"] = ["One of: closed, every (or empty)."]
            if kind and kind not in HandoffKind.values:
                errors["kind"] = ["Unknown kind."]
            if errors:
                from rest_framework.exceptions import ValidationError

                raise ValidationError(errors)
            return selectors.handoff_list(
                user=user,
                filters=selectors.HandoffFilters(
                    box=box, status=status, kind=kind, overdue=q.get("overdue") == "1"
                ),
            ).select_related("region")
        return (
            selectors.handoff_list(
                user=user, filters=selectors.HandoffFilters(box="all", status="every")
            )
            .select_related("region", "policy")
            .prefetch_related("transitions__by", "decisions__by")
        )

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return HandoffListSerializer if self.action == "list" else HandoffDetailSerializer

    def _answer(self, pk: Any) -> Response:
        handoff = self.get_queryset().get(pk=pk)
        return Response(HandoffDetailSerializer(handoff, context={"request": self.request}).data)

    def _input(self, cls: Any) -> dict[str, Any]:
        ser = cls(data=self.request.data)
        ser.is_valid(raise_exception=True)
        return dict(ser.validated_data)

    @_action("Acknowledge receipt (the receiving department)", HandoffReasonSerializer)
    @action(detail=True, methods=["post"], required_perms=[ACT])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        handoff = self.get_object()
        d = self._input(HandoffReasonSerializer)
        services.handoff_acknowledge(handoff=handoff, by=_user(request), reason=d["reason"])
        return self._answer(handoff.pk)

    @_action(
        "Approve at the current stage (the policy's role and level; `outcome` where the kind "
        "has outcomes; `causes` for a registration referral)",
        HandoffApproveSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=[ACT])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        handoff = self.get_object()
        d = self._input(HandoffApproveSerializer)
        services.handoff_approve(
            handoff=handoff,
            by=_user(request),
            reason=d["reason"],
            outcome=d["outcome"],
            decided_on=d.get("decided_on") or timezone.localdate(),
            details={"causes": d["causes"]} if d.get("causes") else {},
        )
        return self._answer(handoff.pk)

    @_action("Reject, with the reason", HandoffRequiredReasonSerializer)
    @action(detail=True, methods=["post"], required_perms=[ACT])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        handoff = self.get_object()
        d = self._input(HandoffRequiredReasonSerializer)
        services.handoff_reject(handoff=handoff, by=_user(request), reason=d["reason"])
        return self._answer(handoff.pk)

    @_action(
        "Withdraw (whoever opened it, or the sending department's reviewer)",
        HandoffRequiredReasonSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=[ACT])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        handoff = self.get_object()
        d = self._input(HandoffRequiredReasonSerializer)
        services.handoff_withdraw(handoff=handoff, by=_user(request), reason=d["reason"])
        return self._answer(handoff.pk)


@extend_schema_view(
    list=extend_schema(
        summary="Phase-outs in your area",
        parameters=[OpenApiParameter("status", str, enum=["open", *PhaseOut.Status.values])],
    ),
    retrieve=extend_schema(summary="One phase-out"),
)
class PhaseOutViewSet(
    _ConflictMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = PhaseOut.objects.none()
    serializer_class = PhaseOutSerializer
    http_method_names = ["get", "post", "head", "options"]
    required_perms: list[str] | None = None  # set per action
    extra_query_params = ("status",)

    def get_queryset(self) -> QuerySet[PhaseOut]:
        status = self.request.query_params.get("status", "") if self.action == "list" else ""
        if status and status not in ("open", *PhaseOut.Status.values):
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"status": ["Unknown status."]})
        return selectors.phase_out_list(user=_user(self.request), status=status)

    @extend_schema(
        summary="Re-assess before its hand-off opens (early: with a reason)",
        request=PhaseOutReassessSerializer,
        responses={200: PhaseOutSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )
    @action(detail=True, methods=["post"], required_perms=[CONFIRM_DIBAO])
    def reassess(self, request: Request, pk: str | None = None) -> Response:
        phase_out = self.get_object()
        ser = PhaseOutReassessSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        phase_out = phase_out_reassess(
            phase_out=phase_out,
            outcome=d["outcome"],
            on=d.get("on") or timezone.localdate(),
            reason=d["reason"],
            by=_user(request),
        )
        return Response(PhaseOutSerializer(phase_out).data)


@extend_schema_view(
    list=extend_schema(
        summary="The social-security worklist",
        parameters=[
            OpenApiParameter(
                "status", str, enum=["not_enrolled", *InsuranceEnrolment.Status.values]
            )
        ],
    ),
    retrieve=extend_schema(summary="One person's enrolment"),
    partial_update=extend_schema(
        summary="Record the enrolment status (social-security officers)",
        request=EnrolmentUpdateSerializer,
        responses={200: EnrolmentSerializer, 400: E400, 403: E403, 404: E404},
    ),
)
class EnrolmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = InsuranceEnrolment.objects.none()
    http_method_names = ["get", "patch", "head", "options"]
    extra_query_params = ("status",)

    def get_queryset(self) -> QuerySet[InsuranceEnrolment]:
        status = self.request.query_params.get("status", "") if self.action == "list" else ""
        if status and status not in ("not_enrolled", *InsuranceEnrolment.Status.values):
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"status": ["Unknown status."]})
        return selectors.enrolment_list(user=_user(self.request), status=status)

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return EnrolmentUpdateSerializer if self.action == "partial_update" else EnrolmentSerializer

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        enrolment = self.get_object()
        ser = EnrolmentUpdateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        enrolment = enrolment_services.enrolment_record(
            enrolment=enrolment, by=_user(request), **ser.validated_data
        )
        return Response(EnrolmentSerializer(enrolment).data)
