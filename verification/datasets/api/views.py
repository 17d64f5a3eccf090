"""/api/v1/datasets/: list, retrieve, upload (multipart), approve, refuse, errors — the same
selectors and services as the pages. Wrong status or a file already uploaded: 409; field errors:
400; a user who may not act: 403. Row errors carry ID numbers: city data administrators only."""

from __future__ import annotations

from typing import Any

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

from core.api import API_AUTHENTICATION_CLASSES
from core.api_permissions import RolePermission
from core.http import request_user as _user

from ...models import DatasetSnapshot, KindChoices
from ...permissions import APPROVE_DATASET, IMPORT_DATASET
from .. import selectors, services
from .serializers import (
    DatasetReasonSerializer,
    DatasetRequiredReasonSerializer,
    RowErrorPageSerializer,
    RowErrorSerializer,
    SnapshotDetailSerializer,
    SnapshotSerializer,
    SnapshotUploadSerializer,
)

E400 = OpenApiResponse(description='Invalid input: `{"field": ["message"]}`.')
E403 = OpenApiResponse(description="Your role or level does not allow it (or you uploaded it).")
E409 = OpenApiResponse(
    description="It changed since you read it (wrong status), or the same file was uploaded."
)


def _action(summary: str, request: Any) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: SnapshotDetailSerializer, 400: E400, 403: E403, 409: E409},
    )


@extend_schema_view(
    list=extend_schema(
        summary="Dataset snapshots (newest first)",
        parameters=[
            OpenApiParameter(
                "kind", str, description="One dataset: " + ", ".join(KindChoices.values)
            ),
            OpenApiParameter(
                "status", str, description="One status: " + ", ".join(DatasetSnapshot.Status.values)
            ),
        ],
    ),
    retrieve=extend_schema(summary="One snapshot: counts, progress, history, allowed actions"),
)
class DatasetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = DatasetSnapshot.objects.none()
    http_method_names = ["get", "post", "head", "options"]
    required_perms: list[str] | None = None  # set per action
    extra_query_params = ("kind", "status")  # core.api_filters

    def get_queryset(self) -> QuerySet[DatasetSnapshot]:
        user = _user(self.request)
        if self.action == "list":
            q = self.request.query_params
            kind, st = q.get("kind", ""), q.get("status", "")
            errors = {}
            if kind and kind not in KindChoices.values:
                errors["kind"] = ["Unknown dataset."]
            if st and st not in DatasetSnapshot.Status.values:
                errors["status"] = ["Unknown status."]
            if errors:
                raise ValidationError(errors)
            return selectors.snapshot_list(
                user=user, filters=selectors.SnapshotFilters(kind=kind, status=st)
            )
        return selectors.snapshot_list(user=user).prefetch_related("transitions__by")

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action == "list":
            return SnapshotSerializer
        if self.action == "create":
            return SnapshotUploadSerializer
        if self.action == "errors":
            return RowErrorSerializer
        return SnapshotDetailSerializer

    def _answer(self, pk: Any, code: int = status.HTTP_200_OK) -> Response:
        snapshot = self.get_queryset().get(pk=pk)
        data = SnapshotDetailSerializer(snapshot, context={"request": self.request}).data
        return Response(data, status=code)

    def _input(self, cls: Any) -> dict[str, Any]:
        ser = cls(data=self.request.data)
        ser.is_valid(raise_exception=True)
        return dict(ser.validated_data)

    @extend_schema(
        summary="Upload a department's file (multipart: kind, as_of, file); validated in the "
        "background — poll the snapshot's progress",
        request={"multipart/form-data": SnapshotUploadSerializer},
        responses={201: SnapshotDetailSerializer, 400: E400, 403: E403, 409: E409},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        d = self._input(SnapshotUploadSerializer)
        snapshot = services.dataset_upload(
            kind=d["kind"], as_of=d["as_of"], file=d["file"], by=_user(request)
        )
        return self._answer(snapshot.pk, status.HTTP_201_CREATED)

    @_action(
        "Approve (a data administrator other than the uploader); merged in the background",
        DatasetReasonSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=[APPROVE_DATASET])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        snapshot = self.get_object()
        d = self._input(DatasetReasonSerializer)
        services.dataset_approve(snapshot=snapshot, by=_user(request), reason=d["reason"])
        return self._answer(snapshot.pk)

    @_action("Refuse, with the reason", DatasetRequiredReasonSerializer)
    @action(detail=True, methods=["post"], required_perms=[APPROVE_DATASET])
    def refuse(self, request: Request, pk: str | None = None) -> Response:
        snapshot = self.get_object()
        d = self._input(DatasetRequiredReasonSerializer)
        services.dataset_refuse(snapshot=snapshot, by=_user(request), reason=d["reason"])
        return self._answer(snapshot.pk)

    @extend_schema(
        summary="The snapshot's bad cells (row, column, value, message); data administrators",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: RowErrorPageSerializer, 403: E403},
    )
    @action(detail=True, methods=["get"], required_perms=[IMPORT_DATASET])
    def errors(self, request: Request, pk: str | None = None) -> Response:
        snapshot = self.get_object()
        rows = selectors.row_error_list(user=_user(request), snapshot=snapshot)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(RowErrorSerializer(page, many=True).data)
