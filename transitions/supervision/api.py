"""/api/v1/supervision/: the dashboard's figures (the same selector as the page), for the
districts the caller supervises. Another role: 403; a bad month: 400 with the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import API_AUTHENTICATION_CLASSES
from core.http import request_user
from core.months import month_start, parse_month

from .selectors import MEASURES, supervision_allowed, supervision_month


class SupervisionFigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    percent = serializers.BooleanField()
    values = serializers.DictField(
        child=serializers.CharField(allow_null=True),
        help_text="By district code; the empty code is the total of the districts shown.",
    )


class SupervisionMeasureSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    figures = SupervisionFigureSerializer(many=True)


class SupervisionDistrictSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SupervisionTownSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    recipients = serializers.IntegerField()
    caseworkers = serializers.IntegerField()
    per_caseworker = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)


class SupervisionSerializer(serializers.Serializer):
    month = serializers.CharField()
    as_of = serializers.DateField()
    districts = SupervisionDistrictSerializer(many=True)
    measures = SupervisionMeasureSerializer(many=True)
    towns = SupervisionTownSerializer(many=True)


def _json(v: Any) -> Any:
    return str(v) if isinstance(v, Decimal) else v


class SupervisionView(APIView):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Supervision figures of a month, by district",
        parameters=[OpenApiParameter("month", str, description="YYYY-MM (default: this month)")],
        responses={
            200: SupervisionSerializer,
            400: OpenApiResponse(description='Invalid input: `{"month": ["message"]}`.'),
            403: OpenApiResponse(description="Your role does not supervise districts."),
        },
    )
    def get(self, request: Request) -> Response:
        user = request_user(request)
        if not supervision_allowed(user):
            raise PermissionDenied("Your role cannot see the supervision report.")
        current = month_start(timezone.localdate())
        text = request.query_params.get("month", "").strip()
        month: dt.date = current
        if text:
            try:
                month = parse_month(text)
            except DjangoValidationError as e:
                raise ValidationError({"month": e.messages}) from e
            if month > current:
                raise ValidationError({"month": ["Choose this month or an earlier one."]})
        report = supervision_month(user=user, month=month)
        cols = report.columns
        return Response(
            {
                "month": f"{report.month:%Y-%m}",
                "as_of": report.as_of.isoformat(),
                "districts": [{"code": c.code, "name": c.name} for c in cols],
                "measures": [
                    {
                        "key": m.key,
                        "title": str(m.title),
                        "figures": [
                            {
                                "key": f.key,
                                "label": str(f.label),
                                "percent": f.percent,
                                "values": {c.code: _json(f.value(c)) for c in cols},
                            }
                            for f in m.figures
                        ],
                    }
                    for m in MEASURES
                ],
                "towns": [
                    {
                        "code": t.region.code,
                        "name": t.region.name,
                        "recipients": t.recipients,
                        "caseworkers": t.caseworkers,
                        "per_caseworker": _json(t.per_caseworker),
                    }
                    for d in report.districts
                    for t in d.towns
                ],
            }
        )


urlpatterns = [path("supervision/", SupervisionView.as_view(), name="api-supervision")]
