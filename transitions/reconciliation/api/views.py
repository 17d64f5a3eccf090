"""/api/v1/reconciliation-differences/ and /api/v1/inbound-batches/: the same selectors,
services and rules as the pages. What you may not see does not exist for you (404); bad input
400; an explained (or changed meanwhile) difference 409."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import API_AUTHENTICATION_CLASSES
from core.api_permissions import RolePermission
from core.http import request_user as _user

from ...models import Department, Difference, InboundBatch
from .. import inbound, selectors, services
from ..permissions import EXPLAIN, RUN
from .serializers import (
    DifferenceDetailSerializer,
    DifferenceSerializer,
    ExplainSerializer,
    InboundBatchSerializer,
    InboundReceiveSerializer,
    ReconciliationJobSerializer,
)


@extend_schema_view(
    list=extend_schema(
        summary="Reconciliation differences you may see",
        parameters=[
            OpenApiParameter("category", str, enum=list(Difference.Category.values)),
            OpenApiParameter("status", str, enum=list(Difference.State.values)),
            OpenApiParameter("owner", str, enum=list(Department.values)),
        ],
    ),
    retrieve=extend_schema(summary="One difference with its history"),
)
class DifferenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = Difference.objects.none()
    http_method_names = ["get", "post", "head", "options"]
    required_perms: list[str] | None = None
    extra_query_params = ("category", "status", "owner")

    def get_queryset(self) -> QuerySet[Difference]:
        user = _user(self.request)
        if self.action != "list":
            return selectors.difference_list(user=user).prefetch_related("transitions__by")
        q = self.request.query_params
        errors: dict[str, list[str]] = {}
        for name, values in (
            ("category", Difference.Category.values),
            ("status", Difference.State.values),
            ("owner", Department.values),
        ):
            if q.get(name) and q[name] not in values:
                errors[name] = [f"One of: {', '.join(values)}."]
        if errors:
            raise ValidationError(errors)
        return selectors.difference_list(
            user=user,
            filters=selectors.DifferenceFilters(
                category=q.get("category", ""), status=q.get("status", ""), owner=q.get("owner", "")
            ),
        )

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return DifferenceSerializer if self.action == "list" else DifferenceDetailSerializer

    @extend_schema(
        summary="Explain a difference (its owner department, with a reason)",
        request=ExplainSerializer,
        responses={200: DifferenceDetailSerializer},
    )
    @action(detail=True, methods=["post"], required_perms=[EXPLAIN])
    def explain(self, request: Request, pk: str | None = None) -> Response:
        diff = self.get_object()
        ser = ExplainSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.difference_explain(
            difference=diff,
            reason=ser.validated_data["reason"],
            version=ser.validated_data.get("version"),
            by=_user(request),
        )
        fresh = self.get_queryset().get(pk=diff.pk)
        return Response(DifferenceDetailSerializer(fresh, context={"request": request}).data)

    @extend_schema(
        summary="Run the reconciliation (in the background): the job to follow",
        request=None,
        responses={202: ReconciliationJobSerializer},
    )
    @action(detail=False, methods=["post"], required_perms=[RUN])
    def run(self, request: Request) -> Response:
        job = services.reconciliation_run_start(by=_user(request))
        return Response({"job": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(summary="Inbound batches"),
    retrieve=extend_schema(summary="One inbound batch: counts, problems, message"),
    create=extend_schema(
        summary="Receive a file from an outside system (imported in the background)",
        request={"multipart/form-data": InboundReceiveSerializer},
        responses={202: InboundBatchSerializer},
    ),
)
class InboundBatchViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = InboundBatch.objects.none()
    serializer_class = InboundBatchSerializer
    parser_classes = [MultiPartParser, FormParser]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[InboundBatch]:
        return selectors.inbound_batch_list(user=_user(self.request))

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        # RolePermission: POST needs transitions.add_inboundbatch (RECEIVE).
        ser = InboundReceiveSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        batch = inbound.inbound_batch_receive(
            stream=v["stream"],
            sender=v["sender"],
            period=v["period"],
            sequence=v["sequence"],
            upload=v["file"],
            declared_sha256=v["sha256"],
            by=_user(request),
        )
        return Response(InboundBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)
