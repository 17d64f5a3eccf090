"""/api/v1/cross-check-runs/ and /api/v1/findings/: thin viewsets over the checks' selectors and
services (the same functions as the pages).

- a role without the permission → 403, before any lookup;
- runs and findings outside the user's area do not exist for them (404); a region, case or
  household in the body outside the area → 400 on that field;
- no signed authorisation → 400 (`non_field_errors`): no authorisation, no check;
- a state the action does not allow (someone resolved it first) → 409; separation of duties,
  level, a rule that cannot be waived → 403 with the reason.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from assistance.dibao import selectors as dibao_selectors
from core.api import API_AUTHENTICATION_CLASSES
from core.api_filters import IntegerFilter, Pagination, SelectorFilterSet, cleaned_filters
from core.api_permissions import RolePermission
from core.http import request_user as _user
from core.scope import visible_regions
from households import selectors as household_selectors
from verification.checks import selectors, services
from verification.checks.api.serializers import (
    CrossCheckRunCreateSerializer,
    CrossCheckRunSerializer,
    FindingConfirmSerializer,
    FindingDetailSerializer,
    FindingReasonSerializer,
    FindingSerializer,
)
from verification.models import CrossCheckRun, Finding, FindingTransition
from verification.permissions import RESOLVE_FINDING, WAIVE_FINDING

E400 = OpenApiResponse(description='Invalid input: `{"field": ["message"]}`. Nothing is saved.')
E403 = OpenApiResponse(
    description="Your role does not allow this action (e.g. whoever confirmed the finding "
    "waiving it: separation of duties)."
)
E404 = OpenApiResponse(description="Not found, or outside your area (the two are not told apart).")
E409 = OpenApiResponse(
    description="The finding's state does not allow this action (someone may have resolved it "
    "already). Reload and retry. Nothing is saved."
)


class RunFilter(SelectorFilterSet):
    status = filters.CharFilter(method="noop", help_text="queued, running, done or failed.")
    scope = filters.ChoiceFilter(method="noop", choices=CrossCheckRun.Scope.choices)

    class Meta:
        model = CrossCheckRun
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Cross-check runs in your area"),
    retrieve=extend_schema(
        summary="One cross-check run: scope, snapshots, rule versions, progress, counts",
        responses={200: CrossCheckRunSerializer, 404: E404},
    ),
)
class CrossCheckRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = CrossCheckRun.objects.none()
    filterset_class = RunFilter
    pagination_class = Pagination
    serializer_class = CrossCheckRunSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[CrossCheckRun]:
        user = _user(self.request)
        if self.action == "list":
            return selectors.run_list(user=user, **cleaned_filters(self))
        return selectors.run_list(user=user)

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action == "create":
            return CrossCheckRunCreateSerializer
        return CrossCheckRunSerializer

    @extend_schema(
        summary="Start a cross-check (queued; poll the run for progress)",
        request=CrossCheckRunCreateSerializer,
        responses={201: CrossCheckRunSerializer, 400: E400, 403: E403},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        ser = CrossCheckRunCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        kw: dict[str, Any] = {"scope": d["scope"], "by": user}
        if d.get("region") is not None:
            region = visible_regions(user).filter(pk=d["region"]).first()
            if region is None:
                raise DjangoValidationError(
                    {"region": [_("Unknown region, or outside your area.")]}
                )
            kw["region"] = region
        if d.get("cases"):
            cases = list(
                dibao_selectors.dibao_case_list(user=user).filter(pk__in=d["cases"])  # type: ignore[arg-type]
            )
            if len(cases) != len(set(d["cases"])):
                raise DjangoValidationError({"cases": [_("Unknown case, or outside your area.")]})
            kw["cases"] = cases
        if d.get("household") is not None:
            household = (
                household_selectors.household_list(user=user).filter(pk=d["household"]).first()
            )
            if household is None:
                raise DjangoValidationError(
                    {"household": [_("Unknown household, or outside your area.")]}
                )
            kw["household"] = household
        run = services.cross_check_run_start(**kw)
        return Response(CrossCheckRunSerializer(run).data, status=status.HTTP_201_CREATED)


class FindingFilter(SelectorFilterSet):
    state = filters.ChoiceFilter(method="noop", choices=Finding.State.choices)
    category = filters.CharFilter(
        method="noop", help_text="disqualifying, income or informational."
    )
    kind = filters.CharFilter(method="noop", help_text="A dataset kind, e.g. motor_vehicle.")
    rule = filters.CharFilter(method="noop", help_text="A rule code, e.g. motor_vehicle.")
    town = IntegerFilter(method="noop")
    village = IntegerFilter(method="noop")
    household = IntegerFilter(method="noop")
    case = IntegerFilter(method="noop")

    class Meta:
        model = Finding
        fields: list[str] = []


def _resolve(summary: str, request: Any) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: FindingDetailSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )


@extend_schema_view(
    list=extend_schema(summary="Cross-check findings in your area"),
    retrieve=extend_schema(
        summary="One finding with its evidence and history",
        responses={200: FindingDetailSerializer, 404: E404},
    ),
)
class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [RolePermission]
    queryset = Finding.objects.none()
    filterset_class = FindingFilter
    pagination_class = Pagination
    http_method_names = ["get", "post", "head", "options"]
    required_perms: list[str] | None = None

    def get_queryset(self) -> QuerySet[Finding]:
        user = _user(self.request)
        if self.action == "list":
            return selectors.finding_list(user=user, **cleaned_filters(self)).prefetch_related(
                "transitions"
            )
        return self._detail_qs()

    def _detail_qs(self) -> QuerySet[Finding]:
        return selectors.finding_list(user=_user(self.request)).prefetch_related(
            Prefetch("transitions", queryset=FindingTransition.objects.select_related("by"))
        )

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action == "list":
            return FindingSerializer
        return FindingDetailSerializer

    def _done(self, pk: int) -> Response:
        finding = self._detail_qs().get(pk=pk)
        return Response(
            FindingDetailSerializer(finding, context=self.get_serializer_context()).data
        )

    @_resolve(
        "Confirm the finding (optionally opening a review of the case)", FindingConfirmSerializer
    )
    @action(detail=True, methods=["post"], required_perms=[RESOLVE_FINDING])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        finding = self.get_object()
        ser = FindingConfirmSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.finding_confirm(
            finding=finding,
            by=_user(request),
            reason=ser.validated_data["reason"],
            open_review=ser.validated_data["open_review"],
        )
        return self._done(finding.pk)

    @_resolve("Dismiss the finding with a reason", FindingReasonSerializer)
    @action(detail=True, methods=["post"], required_perms=[RESOLVE_FINDING])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        finding = self.get_object()
        ser = FindingReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.finding_dismiss(
            finding=finding, by=_user(request), reason=ser.validated_data["reason"]
        )
        return self._done(finding.pk)

    @_resolve("Waive the finding with a reason (civil-affairs reviewer)", FindingReasonSerializer)
    @action(detail=True, methods=["post"], required_perms=[WAIVE_FINDING])
    def waive(self, request: Request, pk: str | None = None) -> Response:
        finding = self.get_object()
        ser = FindingReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.finding_waive(
            finding=finding, by=_user(request), reason=ser.validated_data["reason"]
        )
        return self._done(finding.pk)
