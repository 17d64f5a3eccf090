"""/api/v1/programme-cases/ and /api/v1/outreach-reports/: thin viewsets over
assistance.programmes.services (scoped reads, writes through the services).

Access as everywhere in the API: a role without the permission → 403 before any lookup; rows
outside the user's area → 404; a household, person or village outside the area named in a body
→ 400 on that field ("unknown").
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from assistance.listing import PROGRAMME_SORTS, CaseFilterSet, IdsFirstPagination, sort_choices
from assistance.models import OutreachReport, Programme, ProgrammeCase, ProgrammeTransition
from assistance.permissions import CHANGE_OUTREACH, DECIDE_PROGRAMME
from assistance.programmes import outreach
from assistance.programmes import selectors as programme_selectors
from assistance.programmes import services as svc
from assistance.programmes import workflow as programme_workflow
from assistance.programmes.workflow import PROGRAMME
from core.api import API_AUTHENTICATION_CLASSES
from core.api_fields import AllowedActionsField
from core.api_filters import cleaned_filters
from core.http import request_user as _user
from core.models import Region, User
from core.selectors import villages_for
from core.workflow import has_any_perm
from households.models import Household, Person
from households.selectors import household_list

E400 = OpenApiResponse(description='Invalid input: `{"field": ["message"]}`.')
E403 = OpenApiResponse(description="Your role does not allow this action.")
E404 = OpenApiResponse(description="Not found, or outside your area (the two are not told apart).")


def _household(user: User, pk: int | None) -> Household:
    h = household_list(user=user).filter(pk=pk).first() if pk else None
    if h is None:
        raise ValidationError({"household": [_("Unknown household, or outside your area.")]})
    return h


def _person(household: Household, pk: int | None, field: str = "person") -> Person | None:
    if not pk:
        return None
    person = Person.objects.filter(
        pk=pk, memberships__household=household, memberships__end_date__isnull=True
    ).first()
    if person is None:
        raise ValidationError({field: [_("Not an active member of this household.")]})
    return person


# ----------------------------------------------------------------------------- serializers


class TransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None, read_only=True)

    class Meta:
        model = ProgrammeTransition
        fields = ["action", "from_status", "to_status", "by", "at", "reason"]
        read_only_fields = fields


class ProgrammeCaseSerializer(serializers.ModelSerializer):
    household_village = serializers.CharField(source="household.village.name", read_only=True)
    person_name = serializers.CharField(source="person.name", default=None, read_only=True)
    documentation_overdue = serializers.SerializerMethodField()

    class Meta:
        model = ProgrammeCase
        fields = [
            "id", "programme", "status", "household", "household_village", "person",
            "person_name", "cause", "event_date", "emergency", "requested_amount", "amount",
            "details", "applied_on", "decided_on", "paid_on", "documentation_due",
            "documented_on", "documentation_overdue", "reason",
        ]  # fmt: skip
        read_only_fields = fields

    def get_documentation_overdue(self, obj: ProgrammeCase) -> bool:
        return programme_selectors.documentation_overdue(obj)


class ProgrammeCaseDetailSerializer(ProgrammeCaseSerializer):
    transitions = TransitionSerializer(many=True, read_only=True)
    allowed_actions = AllowedActionsField(PROGRAMME)

    class Meta(ProgrammeCaseSerializer.Meta):
        fields = [
            *ProgrammeCaseSerializer.Meta.fields,
            "computation",
            "allowed_actions",
            "transitions",
        ]
        read_only_fields = fields


class ProgrammeDetailsSerializer(serializers.Serializer):
    """Programme-specific facts (only those of the chosen programme may be given)."""

    no_income = serializers.BooleanField(required=False, help_text=gettext_lazy("tekun"))
    no_legal_supporter = serializers.BooleanField(required=False, help_text=gettext_lazy("tekun"))
    per_capita_income = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, help_text=gettext_lazy("low_income")
    )
    compliant_out_of_pocket = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, help_text=gettext_lazy("medical")
    )
    annual_household_income = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, help_text=gettext_lazy("medical")
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ProgrammeApplySerializer(serializers.Serializer):
    programme = serializers.ChoiceField(choices=Programme.choices)
    household = serializers.IntegerField()
    person = serializers.IntegerField(required=False, allow_null=True)
    applied_on = serializers.DateField(required=False)
    cause = serializers.ChoiceField(
        choices=programme_workflow.TemporaryCause.choices, required=False, allow_blank=True
    )
    event_date = serializers.DateField(required=False, allow_null=True)
    emergency = serializers.BooleanField(required=False, default=False)
    requested_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    details = ProgrammeDetailsSerializer(required=False)


class ApproveSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    on = serializers.DateField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RefuseSerializer(serializers.Serializer):
    on = serializers.DateField(required=False)
    reason = serializers.CharField(max_length=2000)


class DateSerializer(serializers.Serializer):
    on = serializers.DateField(required=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class OutreachReportSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    reported_by = serializers.CharField(source="reported_by.username", read_only=True)
    handled_by = serializers.CharField(source="handled_by.username", default=None, read_only=True)

    class Meta:
        model = OutreachReport
        fields = [
            "id", "village", "village_name", "household", "subject_name", "description",
            "status", "closed_reason", "dibao_case", "programme_case", "reported_by",
            "reported_at", "handled_by", "handled_at",
        ]  # fmt: skip
        read_only_fields = fields


class OutreachCreateSerializer(serializers.Serializer):
    village = serializers.IntegerField()
    household = serializers.IntegerField(required=False, allow_null=True)
    subject_name = serializers.CharField(max_length=50)
    description = serializers.CharField(max_length=5000)


class OutreachConvertSerializer(serializers.Serializer):
    target = serializers.ChoiceField(
        choices=[("dibao", "dibao"), *Programme.choices],
        help_text=gettext_lazy("`dibao` opens a dibao case; otherwise a programme application."),
    )
    household = serializers.IntegerField(required=False, allow_null=True)
    applicant = serializers.IntegerField(required=False, allow_null=True)
    agent_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    person = serializers.IntegerField(required=False, allow_null=True)
    cause = serializers.ChoiceField(
        choices=programme_workflow.TemporaryCause.choices, required=False, allow_blank=True
    )
    event_date = serializers.DateField(required=False, allow_null=True)
    emergency = serializers.BooleanField(required=False, default=False)
    details = ProgrammeDetailsSerializer(required=False)


# ----------------------------------------------------------------------------- viewsets


class ProgrammeCaseFilter(CaseFilterSet):
    """The page's filters (assistance.listing.ProgrammeListForm), applied by the one selector;
    an unknown `sort` key is a 400."""

    programme = filters.ChoiceFilter(choices=Programme.choices, method="noop")
    status = filters.ChoiceFilter(choices=ProgrammeCase.Status.choices, method="noop")
    overdue = filters.BooleanFilter(
        method="noop", label="Only emergency aid with documents overdue"
    )
    sort = filters.ChoiceFilter(
        choices=sort_choices(PROGRAMME_SORTS),
        method="noop",
        label="Order: a key, or -key for descending (default: deadline, then newest)",
    )


@extend_schema_view(
    list=extend_schema(summary="Programme cases in your area"),
    retrieve=extend_schema(
        summary="One programme case with its computation and history",
        responses={200: ProgrammeCaseDetailSerializer, 404: E404},
    ),
)
class ProgrammeCaseViewSet(
    IdsFirstPagination,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Applications to tekun, low-income recognition, temporary, medical, education, disaster
    and housing aid; approve/refuse (district civil affairs), pay, document (temporary aid)."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    queryset = ProgrammeCase.objects.none()
    filterset_class = ProgrammeCaseFilter
    required_perms: list[str] | None = None

    def get_queryset(self) -> QuerySet[ProgrammeCase]:
        if self.action == "list":
            return programme_selectors.programme_cases(
                user=_user(self.request), **cleaned_filters(self)
            )
        qs = programme_selectors.programme_cases(user=_user(self.request))
        if self.action == "retrieve":
            qs = qs.prefetch_related("transitions__by")
        return qs

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action == "retrieve":
            return ProgrammeCaseDetailSerializer
        if self.action == "create":
            return ProgrammeApplySerializer
        return ProgrammeCaseSerializer

    def _detail(self, case: ProgrammeCase) -> Response:
        fresh = (
            programme_selectors.programme_cases(user=_user(self.request))
            .prefetch_related("transitions__by")
            .get(pk=case.pk)
        )
        return Response(
            ProgrammeCaseDetailSerializer(fresh, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="Apply to a programme",
        request=ProgrammeApplySerializer,
        responses={201: ProgrammeCaseDetailSerializer, 400: E400, 403: E403},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = ProgrammeApplySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        user = _user(request)
        household = _household(user, d["household"])
        case = svc.programme_apply(
            programme=d["programme"],
            household=household,
            person=_person(household, d.get("person")),
            by=user,
            applied_on=d.get("applied_on"),
            cause=d.get("cause", ""),
            event_date=d.get("event_date"),
            emergency=d.get("emergency", False),
            requested_amount=d.get("requested_amount"),
            **d.get("details", {}),
        )
        response = self._detail(case)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        summary="Approve with an amount (district civil affairs)",
        request=ApproveSerializer,
        responses={200: ProgrammeCaseDetailSerializer, 400: E400, 403: E403, 404: E404},
    )
    @action(detail=True, methods=["post"], required_perms=[DECIDE_PROGRAMME])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        ser = ApproveSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        case = svc.programme_approve(
            case=case,
            amount=d.get("amount"),
            on=d.get("on") or timezone.localdate(),
            by=_user(request),
            reason=d.get("reason", ""),
        )
        return self._detail(case)

    @extend_schema(
        summary="Refuse with written reasons (district civil affairs)",
        request=RefuseSerializer,
        responses={200: ProgrammeCaseDetailSerializer, 400: E400, 403: E403, 404: E404},
    )
    @action(detail=True, methods=["post"], required_perms=[DECIDE_PROGRAMME])
    def refuse(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        ser = RefuseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        case = svc.programme_refuse(
            case=case, on=d.get("on") or timezone.localdate(), by=_user(request), reason=d["reason"]
        )
        return self._detail(case)

    def _act_guard(self) -> None:
        # 403 before 404 for a role that may never act; the service checks the rest.
        if not has_any_perm(_user(self.request), PROGRAMME["pay"].permission):
            raise PermissionDenied(_("Your role does not allow this action."))

    @extend_schema(
        summary="Record the payment",
        request=DateSerializer,
        responses={200: ProgrammeCaseDetailSerializer, 400: E400, 403: E403, 404: E404},
    )
    @action(detail=True, methods=["post"], required_perms=["assistance.view_programmecase"])
    def pay(self, request: Request, pk: str | None = None) -> Response:
        self._act_guard()
        case = self.get_object()
        ser = DateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = svc.programme_pay(
            case=case, on=ser.validated_data.get("on") or timezone.localdate(), by=_user(request)
        )
        return self._detail(case)

    @extend_schema(
        summary="Record the documents of temporary assistance",
        request=DateSerializer,
        responses={200: ProgrammeCaseDetailSerializer, 400: E400, 403: E403, 404: E404},
    )
    @action(detail=True, methods=["post"], required_perms=["assistance.view_programmecase"])
    def document(self, request: Request, pk: str | None = None) -> Response:
        self._act_guard()
        case = self.get_object()
        ser = DateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = svc.programme_document(
            case=case, on=ser.validated_data.get("on") or timezone.localdate(), by=_user(request)
        )
        return self._detail(case)

    @extend_schema(
        summary="Withdraw, cancel or end with a reason",
        request=ReasonSerializer,
        responses={200: ProgrammeCaseDetailSerializer, 400: E400, 403: E403, 404: E404},
    )
    @action(detail=True, methods=["post"], required_perms=["assistance.view_programmecase"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        self._act_guard()
        case = self.get_object()
        ser = ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = svc.programme_close(
            case=case, by=_user(request), reason=ser.validated_data["reason"]
        )
        return self._detail(case)


class OutreachFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=OutreachReport.Status.choices)


@extend_schema_view(
    list=extend_schema(
        summary="Outreach reports in your area (a village assistant: their village)"
    ),
    retrieve=extend_schema(
        summary="One outreach report", responses={200: OutreachReportSerializer, 404: E404}
    ),
)
class OutreachReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """主动发现: reports of households in need; a caseworker turns one into an application or
    closes it with a reason."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    queryset = OutreachReport.objects.none()
    serializer_class = OutreachReportSerializer
    filterset_class = OutreachFilter
    required_perms: list[str] | None = None

    def get_queryset(self) -> QuerySet[OutreachReport]:
        return programme_selectors.outreach_reports(user=_user(self.request))

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return OutreachCreateSerializer if self.action == "create" else OutreachReportSerializer

    def _detail(self, report: OutreachReport) -> Response:
        fresh = programme_selectors.outreach_reports(user=_user(self.request)).get(pk=report.pk)
        return Response(OutreachReportSerializer(fresh).data)

    @extend_schema(
        summary="Report a household in need",
        request=OutreachCreateSerializer,
        responses={201: OutreachReportSerializer, 400: E400, 403: E403},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = OutreachCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        user = _user(request)
        village: Region | None = villages_for(user).filter(pk=d["village"]).first()
        if village is None:
            raise ValidationError({"village": [_("Unknown village, or outside your area.")]})
        household = _household(user, d["household"]) if d.get("household") else None
        report = outreach.outreach_report(
            village=village,
            subject_name=d["subject_name"],
            description=d["description"],
            household=household,
            by=user,
        )
        response = self._detail(report)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        summary="Turn the report into a dibao case or a programme application",
        request=OutreachConvertSerializer,
        responses={200: OutreachReportSerializer, 400: E400, 403: E403, 404: E404},
    )
    @action(detail=True, methods=["post"], required_perms=[CHANGE_OUTREACH])
    def convert(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        ser = OutreachConvertSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        user = _user(request)
        household = _household(user, d["household"]) if d.get("household") else report.household
        extra: dict[str, Any] = {}
        if household is not None:
            extra = {
                "applicant": _person(household, d.get("applicant"), "applicant"),
                "person": _person(household, d.get("person")),
            }
        if d["target"] != "dibao":
            extra |= {
                "cause": d.get("cause", ""),
                "event_date": d.get("event_date"),
                "emergency": d.get("emergency", False),
                **d.get("details", {}),
            }
            extra.pop("applicant", None)
        else:
            extra.pop("person", None)
            extra["agent_name"] = d.get("agent_name", "")
        report = outreach.outreach_convert(
            report=report, by=user, programme=d["target"], household=household, **extra
        )
        return self._detail(report)

    @extend_schema(
        summary="Close the report with a reason",
        request=ReasonSerializer,
        responses={200: OutreachReportSerializer, 400: E400, 403: E403, 404: E404},
    )
    @action(detail=True, methods=["post"], required_perms=[CHANGE_OUTREACH])
    def close(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        ser = ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        report = outreach.outreach_close(
            report=report, reason=ser.validated_data["reason"], by=_user(request)
        )
        return self._detail(report)
