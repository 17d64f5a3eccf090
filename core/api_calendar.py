"""/api/v1/calendar/<year>/: a year's holidays and adjusted working days (the data administrator's
calendar page, for connected systems). GET reads, PUT replaces the year; others get 403."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import API_AUTHENTICATION_CLASSES
from .calendar import (
    CALENDAR_PERM,
    Span,
    calendar_year_enter,
    package_knows,
    spans_of,
    year_has_data,
)
from .http import request_user
from .models import CalendarYear


class CanEditCalendar(BasePermission):
    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        return bool(request.user and request.user.has_perm(CALENDAR_PERM))


class SpanSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(required=False, help_text="The last day; the start if omitted.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class CalendarYearSerializer(serializers.Serializer):
    holidays = SpanSerializer(many=True)
    working_days = SpanSerializer(many=True)
    complete = serializers.BooleanField()
    source_document = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )


class CalendarYearOutSerializer(CalendarYearSerializer):
    year = serializers.IntegerField()
    has_data = serializers.BooleanField()
    built_in = serializers.BooleanField()


def _out(year: int) -> dict:
    entered = CalendarYear.objects.filter(year=year).first()

    def rows(working: bool) -> list[dict]:
        return [
            {"start": s.start.isoformat(), "end": s.end.isoformat(), "note": s.note}
            for s in spans_of(year, working=working)
        ]

    return {
        "year": year,
        "has_data": year_has_data(year),
        "built_in": package_knows(year),
        "complete": bool(entered and entered.complete),
        "source_document": entered.source if entered else "",
        "holidays": rows(False),
        "working_days": rows(True),
    }


class CalendarYearView(APIView):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [IsAuthenticated, CanEditCalendar]

    @extend_schema(
        summary="A year's holidays and adjusted working days", responses=CalendarYearOutSerializer
    )
    def get(self, request: Request, year: int) -> Response:
        return Response(_out(year))

    @extend_schema(
        summary="Replace a year's holidays and adjusted working days (stored deadlines follow)",
        request=CalendarYearSerializer,
        responses=CalendarYearOutSerializer,
    )
    def put(self, request: Request, year: int) -> Response:
        ser = CalendarYearSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data

        def spans(items: list[dict]) -> list[Span]:
            return [Span(i["start"], i.get("end") or i["start"], i.get("note", "")) for i in items]

        calendar_year_enter(
            year=year,
            holidays=spans(d["holidays"]),
            working_days=spans(d["working_days"]),
            complete=d["complete"],
            source=d.get("source_document", ""),
            by=request_user(request),
        )
        return Response(_out(year))
