"""/api/v1/exchange-batches/: the same selectors, services and rules as the pages. A batch you
may not see does not exist for you (404); bad input 400; an acknowledged batch 409."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
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

from core.api import API_AUTHENTICATION_CLASSES
from core.api_permissions import RolePermission
from core.http import request_user as _user
from core.months import parse_month

from ...models import ExchangeBatch
from .. import selectors, services
from ..permissions import ACKNOWLEDGE, BUILD
from ..streams import STREAMS
from .serializers import (
    ExchangeAcknowledgeSerializer,
    ExchangeBatchDetailSerializer,
    ExchangeBatchListSerializer,
    ExchangeBuildJobSerializer,
    ExchangeBuildSerializer,
)

E400 = OpenApiResponse(description='Invalid input: `{"field": ["message"]}`.')
E403 = OpenApiResponse(description="Your role or department does not allow it.")
E404 = OpenApiResponse(description="No such batch for you.")
E409 = OpenApiResponse(description="Already acknowledged.")


@extend_schema_view(
    list=extend_schema(
        summary="Exchange batches you may see",
        parameters=[
            OpenApiParameter("stream", str, enum=list(STREAMS)),
            OpenApiParameter("period", str, description="YYYY-MM"),
            OpenApiParameter("status", str, enum=list(selectors.STATUSES)),
        ],
    ),
    retrieve=extend_schema(summary="One batch: manifest, files, verification, history"),
)
class ExchangeBatchViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = ExchangeBatch.objects.none()
    http_method_names = ["get", "post", "head", "options"]
    required_perms: list[str] | None = None  # set per action
    extra_query_params = ("stream", "period", "status")  # core.api_filters

    def get_queryset(self) -> QuerySet[ExchangeBatch]:
        user = _user(self.request)
        today = timezone.localdate()
        if self.action != "list":
            return (
                selectors.exchange_batch_list(user=user, on=today)
                .select_related("previous")
                .prefetch_related("files", "transitions__by")
            )
        q = self.request.query_params
        errors: dict[str, list[str]] = {}
        stream, state = q.get("stream", ""), q.get("status", "")
        if stream and stream not in STREAMS:
            errors["stream"] = ["Unknown stream."]
        if state and state not in selectors.STATUSES:
            errors["status"] = [f"One of: {', '.join(selectors.STATUSES)}."]
        period = None
        if q.get("period"):
            try:
                period = parse_month(q["period"])
            except Exception:
                errors["period"] = ["Give the period as YYYY-MM."]
        if errors:
            raise ValidationError(errors)
        return selectors.exchange_batch_list(
            user=user,
            filters=selectors.BatchFilters(stream=stream, period=period, status=state),
            on=today,
        )

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return (
            ExchangeBatchListSerializer if self.action == "list" else ExchangeBatchDetailSerializer
        )

    def _answer(self, pk: Any, code: int = 200) -> Response:
        batch = self.get_queryset().get(pk=pk)
        return Response(
            ExchangeBatchDetailSerializer(batch, context={"request": self.request}).data,
            status=code,
        )

    @extend_schema(
        summary="Build a stream's batch for a month (in the background). 202: the job to "
        "follow; 200: the month's batch, built already.",
        request=ExchangeBuildSerializer,
        responses={
            200: ExchangeBatchDetailSerializer,
            202: ExchangeBuildJobSerializer,
            400: E400,
            403: E403,
        },
    )
    @action(detail=False, methods=["post"], required_perms=[BUILD])
    def build(self, request: Request) -> Response:
        ser = ExchangeBuildSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        started = services.exchange_batch_build_start(
            stream=ser.validated_data["stream"],
            period=ser.validated_data["period"],
            by=_user(request),
        )
        if isinstance(started, ExchangeBatch):
            return self._answer(started.pk)
        return Response(
            {"job": started.pk, "status": started.status}, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        summary="Acknowledge receipt (the receiving department, at city level)",
        request=ExchangeAcknowledgeSerializer,
        responses={200: ExchangeBatchDetailSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )
    @action(detail=True, methods=["post"], required_perms=[ACKNOWLEDGE])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        batch = self.get_object()
        ser = ExchangeAcknowledgeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.exchange_batch_acknowledge(
            batch=batch, by=_user(request), reason=ser.validated_data["reason"]
        )
        return self._answer(batch.pk)
