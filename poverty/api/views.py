"""/api/v1/poverty-records/: thin viewset over poverty.selectors and poverty.services (the same
functions as the pages).

- a role without the permission → 403, before any lookup;
- records outside the user's area do not exist for them: lists leave them out, detail and
  actions answer 404; a household in the request body outside the area → 400 on that field;
- a service's field errors → 400 `{"field": [...]}`; a status the action does not allow
  (code "wrong_status") → 409; anything else the user may not do (separation of duties, level)
  → 403 with the reason.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import API_AUTHENTICATION_CLASSES, Conflict
from core.api_filters import IntegerFilter, Pagination, SelectorFilterSet, cleaned_filters
from core.api_permissions import RolePermission
from core.http import request_user as _user
from households import selectors as household_selectors
from poverty import selectors, services
from poverty.api.serializers import (
    AssistanceMeasureSerializer,
    AssistanceMeasureWriteSerializer,
    PovertyConfirmExitSerializer,
    PovertyProposeExitSerializer,
    PovertyReasonSerializer,
    PovertyRecordDetailSerializer,
    PovertyRecordListSerializer,
    PovertyRegisterSerializer,
    PovertyReturnSerializer,
)
from poverty.models import (
    AssistanceMeasure,
    ExitCertificate,
    PovertyCause,
    PovertyRecord,
    PovertyRecordTransition,
)
from poverty.permissions import ADD_MEASURE, CHANGE_RECORD, CONFIRM_EXIT

E400 = OpenApiResponse(description='Invalid input: `{"field": ["message"]}`. Nothing is saved.')
E403 = OpenApiResponse(
    description="Your role does not allow this action (e.g. whoever proposed the exit "
    "recording its confirmation: separation of duties)."
)
E404 = OpenApiResponse(description="Not found, or outside your area (the two are not told apart).")
E409 = OpenApiResponse(
    description="The record's status does not allow this action (someone may have acted "
    "already). Reload and retry. Nothing is saved."
)


class PovertyRecordFilter(SelectorFilterSet):
    q = filters.CharFilter(method="noop", help_text="Record number, member name or ID number.")
    status = filters.ChoiceFilter(method="noop", choices=PovertyRecord.Status.choices)
    cause = filters.ChoiceFilter(method="noop", choices=PovertyCause.choices)
    town = IntegerFilter(method="noop")
    village = IntegerFilter(method="noop")
    household = IntegerFilter(method="noop")

    class Meta:
        model = PovertyRecord
        fields: list[str] = []


def _action(summary: str, request: Any, code: int = 200) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        responses={code: PovertyRecordDetailSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )


@extend_schema_view(
    list=extend_schema(summary="Poverty records in your area"),
    retrieve=extend_schema(
        summary="One poverty record with its measures, certificates and history",
        responses={200: PovertyRecordDetailSerializer, 404: E404},
    ),
)
class PovertyRecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = PovertyRecord.objects.none()  # the model, for RolePermission
    filterset_class = PovertyRecordFilter
    pagination_class = Pagination
    http_method_names = ["get", "post", "head", "options"]
    required_perms: list[str] | None = None

    def get_queryset(self) -> QuerySet[PovertyRecord]:
        user = _user(self.request)
        if self.action == "list":
            return selectors.poverty_record_list(user=user, **cleaned_filters(self))
        if self.action == "retrieve":
            return self._detail_qs()
        return selectors.poverty_record_list(user=user)

    def _detail_qs(self) -> QuerySet[PovertyRecord]:
        return selectors.poverty_record_list(user=_user(self.request)).prefetch_related(
            Prefetch("transitions", queryset=PovertyRecordTransition.objects.select_related("by")),
            Prefetch("measures", queryset=AssistanceMeasure.objects.order_by("-started_on", "-id")),
            Prefetch("certificates", queryset=ExitCertificate.objects.order_by("-id")),
        )

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action == "retrieve":
            return PovertyRecordDetailSerializer
        if self.action == "create":
            return PovertyRegisterSerializer
        return PovertyRecordListSerializer

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DjangoValidationError) and getattr(exc, "code", None) == "wrong_status":
            exc = Conflict(exc.messages[0], code="wrong_status")
        return super().handle_exception(exc)

    def _detail(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        record = self._detail_qs().get(pk=pk)
        data = PovertyRecordDetailSerializer(record, context=self.get_serializer_context()).data
        return Response(data, status=code)

    def _input(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        ser = serializer_class(data=self.request.data)
        ser.is_valid(raise_exception=True)
        return dict(ser.validated_data)

    @extend_schema(
        summary="Register a household in the poverty register",
        request=PovertyRegisterSerializer,
        responses={201: PovertyRecordDetailSerializer, 400: E400, 403: E403},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        d = self._input(PovertyRegisterSerializer)
        household = household_selectors.household_list(user=user).filter(pk=d["household"]).first()
        if household is None:
            raise DjangoValidationError(
                {"household": [_("Unknown household, or outside your area.")]}
            )
        record = services.poverty_record_register(
            household=household,
            registered_on=d["registered_on"],
            causes=d["causes"],
            reason=d.get("reason", ""),
            by=user,
        )
        return self._detail(record.pk, status.HTTP_201_CREATED)

    @_action("Propose the exit (assisted → exit proposed)", PovertyProposeExitSerializer)
    @action(detail=True, methods=["post"], url_path="propose-exit", required_perms=[CHANGE_RECORD])
    def propose_exit(self, request: Request, pk: str | None = None) -> Response:
        record = self.get_object()
        d = self._input(PovertyProposeExitSerializer)
        services.poverty_record_propose_exit(
            record=record,
            on=d["on"],
            income_per_capita=d["income_per_capita"],
            evidence=d["evidence"],
            by=_user(request),
        )
        return self._detail(record.pk)

    @_action(
        "Record the government's confirmation of the exit (issues the certificate)",
        PovertyConfirmExitSerializer,
    )
    @action(detail=True, methods=["post"], url_path="confirm-exit", required_perms=[CONFIRM_EXIT])
    def confirm_exit(self, request: Request, pk: str | None = None) -> Response:
        record = self.get_object()
        d = self._input(PovertyConfirmExitSerializer)
        services.poverty_record_confirm_exit(
            record=record,
            confirmed_on=d["confirmed_on"],
            document_no=d["document_no"],
            confirming_level=d["confirming_level"],
            by=_user(request),
        )
        return self._detail(record.pk)

    @_action("Record the return to poverty (exit confirmed → returned)", PovertyReturnSerializer)
    @action(detail=True, methods=["post"], url_path="return", required_perms=[CHANGE_RECORD])
    def return_to_poverty(self, request: Request, pk: str | None = None) -> Response:
        record = self.get_object()
        d = self._input(PovertyReturnSerializer)
        services.poverty_record_return(
            record=record, on=d["on"], reason=d["reason"], by=_user(request)
        )
        return self._detail(record.pk)

    @_action(
        "Withdraw the exit proposal (exit proposed → assisted; e.g. not confirmed)",
        PovertyReasonSerializer,
    )
    @action(detail=True, methods=["post"], url_path="withdraw-exit", required_perms=[CHANGE_RECORD])
    def withdraw_exit(self, request: Request, pk: str | None = None) -> Response:
        record = self.get_object()
        d = self._input(PovertyReasonSerializer)
        services.poverty_record_withdraw_exit(record=record, reason=d["reason"], by=_user(request))
        return self._detail(record.pk)

    @_action(
        "Report that the household cannot exit through industry or employment",
        PovertyReasonSerializer,
    )
    @action(detail=True, methods=["post"], url_path="cannot-exit", required_perms=[CHANGE_RECORD])
    def cannot_exit(self, request: Request, pk: str | None = None) -> Response:
        record = self.get_object()
        d = self._input(PovertyReasonSerializer)
        services.poverty_record_report_cannot_exit(
            record=record, reason=d["reason"], by=_user(request)
        )
        return self._detail(record.pk)

    @extend_schema(
        summary="Record an assistance measure for the record's household",
        request=AssistanceMeasureWriteSerializer,
        responses={201: AssistanceMeasureSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )
    @action(detail=True, methods=["post"], url_path="measures", required_perms=[ADD_MEASURE])
    def measures(self, request: Request, pk: str | None = None) -> Response:
        record = self.get_object()
        d = self._input(AssistanceMeasureWriteSerializer)
        measure = services.assistance_measure_record(
            household=record.household,
            kind=d["kind"],
            started_on=d["started_on"],
            department=d["department"],
            responsible_person=d["responsible_person"],
            funds=d.get("funds"),
            outcome=d.get("outcome", ""),
            by=_user(request),
        )
        return Response(AssistanceMeasureSerializer(measure).data, status=status.HTTP_201_CREATED)
