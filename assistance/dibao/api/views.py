"""Thin viewsets for dibao cases and policy data: scoped reads from selectors, every write through
assistance.dibao.services (the same functions as the pages).

Access, the same as /households/:

- authentication: session or `Authorization: Token <key>`; none → 401;
- a role without the permission → 403, decided before any lookup (same answer for every id);
- cases outside the user's area do not exist for them: lists leave them out; detail, actions and
  the computation answer 404;
- a reference in a request body (household, person, investigator, investigation) that is unknown
  or outside the area → 400 on that field.

Errors (core.api): 400 with field errors (items of list fields keyed by their 0-based index,
`{"incomes": {"1": {"person": ["..."]}}}`); 403 / 404 `{"detail": "..."}`. An action the case's
status does not allow (the services' code "wrong_status") is **409 Conflict** with
`{"detail": "..."}`: the request was well-formed, but the case is no longer (or not yet) in a
state for it — usually someone else acted first; reload and retry.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from assistance.dibao import selectors, services
from assistance.dibao.api.serializers import (
    AttachmentSerializer,
    CaseReviewSerializer,
    CategorySupplementSerializer,
    DibaoAcceptSerializer,
    DibaoApplySerializer,
    DibaoAttachmentWriteSerializer,
    DibaoCaseCreateSerializer,
    DibaoCaseDetailSerializer,
    DibaoCaseListSerializer,
    DibaoComputationSerializer,
    DibaoConfirmSerializer,
    DibaoDeclarationsSerializer,
    DibaoInvestigationWriteSerializer,
    DibaoObjectSerializer,
    DibaoProposeSerializer,
    DibaoReasonSerializer,
    DibaoReceiveSerializer,
    DibaoRefuseSerializer,
    DibaoReproposeSerializer,
    DibaoReviewCloseSerializer,
    DibaoSignSerializer,
    DibaoStandardSerializer,
    DibaoStartNoticeSerializer,
    PolicyParameterSerializer,
)
from assistance.listing import DIBAO_SORTS, CaseFilterSet, IdsFirstPagination, sort_choices
from assistance.models import (
    Attachment,
    CaseReview,
    CategorySupplement,
    DibaoCase,
    DibaoStandard,
    Investigation,
    PolicyParameter,
    PublicNotice,
    SupplementCategory,
)
from assistance.permissions import CONFIRM_DIBAO
from core.api import API_AUTHENTICATION_CLASSES, Conflict
from core.api_filters import IntegerFilter, cleaned_filters
from core.api_permissions import RolePermission
from core.http import request_user as _user
from core.models import User, is_overlap_violation
from core.scope import region_in_scope
from core.services import require_perm
from core.workflow import has_any_perm
from households import selectors as household_selectors
from households.models import Person

E400 = OpenApiResponse(
    description='Invalid input: `{"field": ["message"]}`; in a list field errors are keyed by the '
    'item\'s 0-based index: `{"incomes": {"1": {"person": ["message"]}}}`. Errors not tied to '
    'a field (a rule of the procedure): `{"non_field_errors": ["message"]}`. Nothing is saved.'
)
E403 = OpenApiResponse(
    description="Your role does not allow this action (e.g. the proposer confirming their own "
    "proposal, or a township where confirmation is not delegated)."
)
E404 = OpenApiResponse(description="Not found, or outside your area (the two are not told apart).")
E409 = OpenApiResponse(
    description='The case\'s status does not allow this action (`{"detail": "message"}`, '
    'service code "wrong_status"): someone may have acted on it already. Reload and retry. '
    "Nothing is saved."
)

CHANGE = "assistance.change_dibaocase"
VIEW = "assistance.view_dibaocase"


def _today() -> dt.date:
    return timezone.localdate()


class ActionPermission(RolePermission):
    """RolePermission, plus `any_perms` on an action: one of them is enough (a refusal is the
    township's before the proposal and the confirming level's after it)."""

    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        any_perms = getattr(view, "any_perms", None)
        if any_perms is not None:
            user = request.user
            return bool(user and user.is_authenticated) and has_any_perm(user, tuple(any_perms))
        return super().has_permission(request, view)


# ----------------------------------------------------------------------------- dibao cases


def _case_detail_qs(user: User) -> QuerySet[DibaoCase]:
    """The case with everything the detail shows, in a fixed number of queries."""
    return selectors.dibao_case_list(user=user).prefetch_related(
        "transitions__by",
        "incomes__person",
        "incomes__income_type",
        "expenditures__person",
        "expenditures__expenditure_type",
        "properties__person",
        "investigations__investigators",
        "investigations__named_investigators",
        Prefetch(
            "investigations__attachments", queryset=Attachment.objects.order_by("uploaded_at")
        ),
        Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "id")),
        Prefetch(
            "notices", queryset=PublicNotice.objects.prefetch_related("objections").order_by("id")
        ),
        "awards",
        Prefetch("reviews", queryset=CaseReview.objects.order_by("opened_on", "id")),
        "persons_without_supporter",
    )


class DibaoCaseFilter(CaseFilterSet):
    """The page's filters (assistance.listing.DibaoListForm is the base form, so a date range
    the wrong way round is refused with the same message); an unknown `sort` key is a 400 here,
    where the page ignores it."""

    status = filters.ChoiceFilter(choices=DibaoCase.Status.choices, method="noop")
    q = filters.CharFilter(
        method="noop",
        label="Search: case number (DB000042), member name or ID number, place, address",
    )
    overdue = filters.BooleanFilter(method="noop", label="Only cases past their deadline")
    sort = filters.ChoiceFilter(
        choices=sort_choices(DIBAO_SORTS),
        method="noop",
        label="Order: a key, or -key for descending (default: deadline, most urgent first)",
    )


class ComputationQuery(serializers.Serializer):
    on = serializers.DateField(required=False)


def _unknown(field: str, message: str) -> DjangoValidationError:
    # A Django error, so that core.api gives it the same shape as the services' errors (for a
    # list field such as `investigators`: `{"investigators": {"non_field_errors": [...]}}`).
    return DjangoValidationError({field: [message]})


def _persons(user: User, ids: list[int | None]) -> dict[int, Person]:
    wanted = {i for i in ids if i is not None}
    found = household_selectors.person_list(user=user).filter(pk__in=wanted)
    return {p.pk: p for p in found}


def _person(user: User, field: str, pk: int | None) -> Person | None:
    if pk is None:
        return None
    person = _persons(user, [pk]).get(pk)
    if person is None:
        raise _unknown(field, _("Unknown person, or outside your area."))
    return person


def _case_action(
    *, summary: str, request: Any = None, responses: dict[int, Any] | None = None, **kw: Any
) -> Any:
    """The schema of a POST action on one case (the answer is the case, as in GET)."""
    return extend_schema(
        summary=summary,
        request=request,
        responses=responses
        or {200: DibaoCaseDetailSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
        **kw,
    )


@extend_schema_view(
    list=extend_schema(summary="Dibao cases in your area"),
    retrieve=extend_schema(
        summary="One dibao case with its procedure",
        responses={200: DibaoCaseDetailSerializer, 404: E404},
    ),
)
class DibaoCaseViewSet(
    IdsFirstPagination,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Dibao cases of your area; outside it they do not exist for you (404). One POST action
    per step of the procedure (domain.md §5), each calling the service the pages call."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [ActionPermission]
    queryset = DibaoCase.objects.none()  # the model, for RolePermission; rows from get_queryset
    filterset_class = DibaoCaseFilter
    http_method_names = ["get", "post", "head", "options"]
    required_perms: list[str] | None = None  # set per action
    any_perms: list[str] | None = None

    def get_queryset(self) -> QuerySet[DibaoCase]:
        user = _user(self.request)
        if self.action == "list":
            return selectors.dibao_case_list(user=user, **cleaned_filters(self))
        if self.action == "retrieve":
            return _case_detail_qs(user)
        return selectors.dibao_case_list(user=user)

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action == "retrieve":
            return DibaoCaseDetailSerializer
        if self.action == "create":
            return DibaoCaseCreateSerializer
        return DibaoCaseListSerializer

    def handle_exception(self, exc: Exception) -> Response:
        code = getattr(exc, "code", None)
        # The published amount no longer holds (household data changed): a conflict too.
        if isinstance(exc, DjangoValidationError) and code in ("wrong_status", "data_changed"):
            exc = Conflict(exc.messages[0], code=code)
        return super().handle_exception(exc)

    # --- helpers

    def _detail(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        case = _case_detail_qs(_user(self.request)).get(pk=pk)
        data = DibaoCaseDetailSerializer(case, context=self.get_serializer_context()).data
        return Response(data, status=code)

    def _input(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        ser = serializer_class(data=self.request.data)
        ser.is_valid(raise_exception=True)
        return dict(ser.validated_data)

    # --- create

    @extend_schema(
        summary="Open a dibao case (draft) for a household",
        request=DibaoCaseCreateSerializer,
        responses={201: DibaoCaseDetailSerializer, 400: E400, 403: E403},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        d = self._input(DibaoCaseCreateSerializer)
        household = household_selectors.household_list(user=user).filter(pk=d["household"]).first()
        if household is None:
            raise _unknown("household", _("Unknown household, or outside your area."))
        case = services.dibao_case_create(
            household=household,
            unit=d["unit"],
            single_person=_person(user, "single_person", d.get("single_person")),
            applicant=_person(user, "applicant", d.get("applicant")),
            agent_name=d.get("agent_name", ""),
            relative_of_staff=d["relative_of_staff"],
            relative_note=d.get("relative_note", ""),
            by=user,
        )
        return self._detail(case.pk, status.HTTP_201_CREATED)

    # --- application and acceptance

    @_case_action(
        summary="Record the signed data-check authorisation and good-faith declaration",
        request=DibaoSignSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=[CHANGE])
    def sign(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoSignSerializer)
        services.dibao_case_sign(
            case=case,
            authorization_on=d["authorization_on"],
            good_faith_on=d["good_faith_on"],
            by=_user(request),
        )
        return self._detail(case.pk)

    @_case_action(summary="Submit the application (draft → applied)", request=DibaoApplySerializer)
    @action(detail=True, methods=["post"], required_perms=[CHANGE])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoApplySerializer)
        services.dibao_case_apply(
            case=case, applied_on=d.get("applied_on") or _today(), by=_user(request)
        )
        return self._detail(case.pk)

    @_case_action(
        summary="Accept the application (applied → accepted; starts the clocks)",
        request=DibaoAcceptSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=[CHANGE])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoAcceptSerializer)
        services.dibao_case_accept(
            case=case, accepted_on=d.get("accepted_on") or _today(), by=_user(request)
        )
        return self._detail(case.pk)

    @_case_action(
        summary="Receive at the window in one step: application, signatures, acceptance (and the "
        "start of the investigation); each a declared action with its own history row",
        request=DibaoReceiveSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=[CHANGE])
    def receive(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoReceiveSerializer)
        today = _today()
        services.dibao_case_receive(
            case=case,
            applied_on=d.get("applied_on") or today,
            authorization_on=d.get("authorization_on") or today,
            good_faith_on=d.get("good_faith_on") or today,
            accepted_on=d.get("accepted_on") or today,
            start_investigation=d["start_investigation"],
            by=_user(request),
        )
        return self._detail(case.pk)

    @_case_action(
        summary="Use the extended procedure limit, with the reason", request=DibaoReasonSerializer
    )
    @action(detail=True, methods=["post"], required_perms=[CHANGE])
    def extend(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoReasonSerializer)
        services.dibao_case_extend(case=case, reason=d["reason"], by=_user(request))
        return self._detail(case.pk)

    @_case_action(summary="Start the investigation (accepted → investigating)", request=None)
    @action(detail=True, methods=["post"], url_path="start-investigation", required_perms=[CHANGE])
    def start_investigation(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        services.dibao_case_start_investigation(case=case, by=_user(request))
        return self._detail(case.pk)

    # --- declarations, investigation, attachments

    @_case_action(
        summary="Replace the income, expenditure and property declarations as a whole",
        request=DibaoDeclarationsSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=[CHANGE])
    def declarations(self, request: Request, pk: str | None = None) -> Response:
        user = _user(request)
        case = self.get_object()
        d = self._input(DibaoDeclarationsSerializer)
        groups = ("incomes", "expenditures", "properties")
        persons = _persons(user, [row.get("person") for g in groups for row in d[g]])
        errors: dict[str, list[str]] = {}
        for group in groups:
            for i, row in enumerate(d[group]):
                if "person_id" in row:  # properties: PropertyDeclarationSerializer's source
                    row["person"] = row.pop("person_id")
                pid = row.get("person")
                if pid is not None and pid not in persons:
                    errors[f"{group}.{i}.person"] = [_("Unknown person, or outside your area.")]
                row["person"] = persons.get(pid) if pid is not None else None
        if errors:
            raise DjangoValidationError(errors)
        services.declarations_replace(
            case=case,
            incomes=[dict(r) for r in d["incomes"]],
            expenditures=[dict(r) for r in d["expenditures"]],
            properties=[dict(r) for r in d["properties"]],
            by=user,
        )
        return self._detail(case.pk)

    @_case_action(
        summary="Record the home visit (at least two investigators, users or named persons) and "
        "its findings",
        request=DibaoInvestigationWriteSerializer,
        responses={201: DibaoCaseDetailSerializer, 400: E400, 403: E403, 404: E404, 409: E409},
    )
    @action(detail=True, methods=["post"], required_perms=[CHANGE])
    def investigation(self, request: Request, pk: str | None = None) -> Response:
        user = _user(request)
        case = self.get_object()
        d = self._input(DibaoInvestigationWriteSerializer)
        # Investigators must be users whose area covers the case; anyone else is "unknown".
        village = case.household.village
        ids = d["investigators"]
        users = {
            u.pk: u
            for u in User.objects.filter(pk__in=ids, is_active=True).select_related("region")
            if region_in_scope(u, village)
        }
        if any(i not in users for i in ids):
            raise _unknown(
                "investigators", _("Unknown user, or not responsible for this case's area.")
            )
        without = None
        if d.get("persons_without_supporter") is not None:
            wanted = d["persons_without_supporter"]
            found = _persons(user, wanted)
            if any(i not in found for i in wanted):
                raise _unknown(
                    "persons_without_supporter", _("Unknown person, or outside your area.")
                )
            without = [found[i] for i in wanted]
        services.investigation_record(
            case=case,
            home_visit_on=d["home_visit_on"],
            investigators=[users[i] for i in ids],
            named=[dict(p) for p in d["named_investigators"]],
            findings=d["findings"],
            neighbour_interviews=d["neighbour_interviews"],
            evidence_requests=d["evidence_requests"],
            persons_without_supporter=without,
            by=user,
        )
        return self._detail(case.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Attach a photo or scan (JPEG, PNG or PDF, at most 10 MB; checked by content)",
        request={"multipart/form-data": DibaoAttachmentWriteSerializer},
        responses={201: AttachmentSerializer, 400: E400, 403: E403, 404: E404},
    )
    @action(
        detail=True,
        methods=["post"],
        required_perms=[CHANGE],
        parser_classes=[MultiPartParser, FormParser],
    )
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoAttachmentWriteSerializer)
        investigation = None
        if d.get("investigation") is not None:
            investigation = Investigation.objects.filter(pk=d["investigation"], case=case).first()
            if investigation is None:
                raise _unknown("investigation", _("Unknown investigation of this case."))
        attachment = services.attachment_add(
            case=case,
            uploaded=d["file"],
            investigation=investigation,
            description=d.get("description", ""),
            by=_user(request),
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    # --- proposal, notice, decision

    @_case_action(
        summary="Township proposal with the computed amount (investigating → proposed)",
        request=DibaoProposeSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=["assistance.propose_dibaocase"])
    def propose(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoProposeSerializer)
        services.dibao_case_propose(
            case=case, on=d.get("on") or _today(), reason=d["reason"], by=_user(request)
        )
        return self._detail(case.pk)

    @_case_action(
        summary="Post the public notice (proposed → in notice)", request=DibaoStartNoticeSerializer
    )
    @action(detail=True, methods=["post"], url_path="start-notice", required_perms=[CHANGE])
    def start_notice(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoStartNoticeSerializer)
        services.dibao_case_start_notice(
            case=case,
            starts_on=d.get("starts_on") or _today(),
            backdate_reason=d["backdate_reason"],
            by=_user(request),
        )
        return self._detail(case.pk)

    @_case_action(
        summary="Record an objection during the notice (in notice → investigating)",
        request=DibaoObjectSerializer,
    )
    @action(
        detail=True, methods=["post"], url_path="object", url_name="object", required_perms=[CHANGE]
    )
    def object_(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoObjectSerializer)
        services.dibao_case_object(
            case=case,
            received_on=d.get("received_on") or _today(),
            content=d["content"],
            objector=d["objector"],
            by=_user(request),
        )
        return self._detail(case.pk)

    @_case_action(
        summary="Confirm the case (in notice → confirmed); not by the proposer",
        request=DibaoConfirmSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=[CONFIRM_DIBAO])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoConfirmSerializer)
        services.dibao_case_confirm(
            case=case, on=d.get("on") or _today(), reason=d["reason"], by=_user(request)
        )
        return self._detail(case.pk)

    @_case_action(
        summary="Refuse in writing, with reasons (the township before the proposal, the "
        "confirming level after it)",
        request=DibaoRefuseSerializer,
    )
    @action(detail=True, methods=["post"], any_perms=[CHANGE, CONFIRM_DIBAO])
    def refuse(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoRefuseSerializer)
        services.dibao_case_refuse(
            case=case, on=d.get("on") or _today(), reasons=d["reasons"], by=_user(request)
        )
        return self._detail(case.pk)

    @_case_action(
        summary="Send back for a new proposal and notice (in notice → investigating), when the "
        "household's data changed during the notice; the deciding level, not the proposer",
        request=DibaoReproposeSerializer,
    )
    @action(detail=True, methods=["post"], required_perms=[CONFIRM_DIBAO])
    def repropose(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoReproposeSerializer)
        services.dibao_case_repropose(case=case, reason=d["reason"], by=_user(request))
        return self._detail(case.pk)

    @_case_action(summary="Withdraw the application", request=DibaoReasonSerializer)
    @action(detail=True, methods=["post"], required_perms=[CHANGE])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoReasonSerializer)
        services.dibao_case_withdraw(case=case, reason=d["reason"], by=_user(request))
        return self._detail(case.pk)

    # --- dynamic management

    @_case_action(
        summary="Open a review (active or confirmed → under review)", request=CaseReviewSerializer
    )
    @action(detail=True, methods=["post"], url_path="review-open", required_perms=[CHANGE])
    def review_open(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(CaseReviewSerializer)
        services.review_open(
            case=case, kind=d["kind"], reason=d["reason"], on=d.get("on"), by=_user(request)
        )
        return self._detail(case.pk)

    @_case_action(
        summary="Close the review in progress with its outcome (recomputes the amount)",
        request=DibaoReviewCloseSerializer,
    )
    @action(detail=True, methods=["post"], url_path="review-close", required_perms=[CHANGE])
    def review_close(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoReviewCloseSerializer)
        review = case.reviews.filter(closed_on__isnull=True).first()
        if review is None:
            raise DjangoValidationError(
                _("This case has no review in progress."), code="wrong_status"
            )
        services.review_close(
            review=review,
            outcome=d["outcome"],
            on=d.get("on") or _today(),
            reason=d["reason"],
            by=_user(request),
        )
        return self._detail(case.pk)

    @_case_action(summary="Suspend payments", request=DibaoReasonSerializer)
    @action(detail=True, methods=["post"], required_perms=[CHANGE])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoReasonSerializer)
        services.dibao_case_suspend(case=case, reason=d["reason"], by=_user(request))
        return self._detail(case.pk)

    @_case_action(summary="Resume a suspended case", request=DibaoReasonSerializer)
    @action(detail=True, methods=["post"], required_perms=[CHANGE])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoReasonSerializer)
        services.dibao_case_resume(case=case, reason=d["reason"], by=_user(request))
        return self._detail(case.pk)

    @_case_action(summary="End the benefit", request=DibaoReasonSerializer)
    @action(detail=True, methods=["post"], required_perms=[CHANGE])
    def terminate(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        d = self._input(DibaoReasonSerializer)
        services.dibao_case_terminate(case=case, reason=d["reason"], by=_user(request))
        return self._detail(case.pk)

    # --- live computation

    @extend_schema(
        summary="The benefit computed now from the declarations and the policy in force",
        parameters=[
            OpenApiParameter(
                "on",
                OpenApiTypes.DATE,
                description="Use the policy in force on this date (default: today).",
            )
        ],
        responses={200: DibaoComputationSerializer, 400: E400, 404: E404},
    )
    @action(detail=True, methods=["get"], required_perms=[VIEW], filterset_class=None)
    def computation(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        query = ComputationQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("on") or _today()
        data = services.case_breakdown(case, on=on).as_json()
        data["property_findings"] = services.case_property_findings(case, on=on)
        return Response(data)


# ----------------------------------------------------------------------------- policy data


class InForceFilterSet(filters.FilterSet):
    on = filters.DateFilter(method="in_force", label="Only the rows in force on this date")

    def in_force(self, qs, name, value):  # type: ignore[no-untyped-def]
        return qs.in_force(value)


class DibaoStandardFilter(InForceFilterSet):
    county = IntegerFilter(field_name="county_id")


class PolicyParameterFilter(InForceFilterSet):
    key = filters.ChoiceFilter(choices=PolicyParameter.Key.choices)


class CategorySupplementFilter(InForceFilterSet):
    category = filters.ChoiceFilter(choices=SupplementCategory.choices)


def _standard_overlap(obj: DibaoStandard, clash: DibaoStandard) -> DjangoValidationError:
    return DjangoValidationError(
        _(
            "This period overlaps the standard of %(county)s in force from %(start)s to "
            "%(end)s. End that one first (set its valid to), or choose other dates."
        )
        % {
            "county": obj.county.name,
            "start": clash.valid_from.isoformat(),
            "end": clash.valid_to.isoformat() if clash.valid_to else _("open-ended"),
        },
        code="overlap",
    )


@transaction.atomic
def _standard_save(
    *, standard: DibaoStandard | None, data: dict[str, Any], by: User
) -> DibaoStandard:
    """Create or change a dibao standard (a service; belongs in assistance.dibao.services):
    valid_to ≥ valid_from and no other standard of the county in force over any day of the
    period. The database's exclusion constraint is the guarantee (two overlapping periods
    written at once: the second is refused); the check before it only names the clash."""
    require_perm(
        by,
        "assistance.add_dibaostandard" if standard is None else "assistance.change_dibaostandard",
    )
    obj = standard or DibaoStandard()
    for key, value in data.items():
        setattr(obj, key, value)
    if obj.valid_to and obj.valid_to < obj.valid_from:
        raise DjangoValidationError(
            {"valid_to": [_("The end date is before the start date.")]}, code="invalid"
        )
    clash = obj.overlap_clash()
    if clash is not None:
        raise _standard_overlap(obj, clash)  # type: ignore[arg-type]
    obj.updated_by = by
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as e:
        if not is_overlap_violation(e):
            raise
        # A concurrent write committed an overlapping period after the check above.
        raise DjangoValidationError(
            _("This period overlaps another period of the same value."), code="overlap"
        ) from e
    return obj


@extend_schema_view(
    list=extend_schema(summary="Dibao standards (yuan per person per month), by county"),
    retrieve=extend_schema(
        summary="One dibao standard", responses={200: DibaoStandardSerializer, 404: E404}
    ),
)
class DibaoStandardViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Dibao standards of every county (policy data is public within the system). Reading needs
    the view permission; creating and changing them is the data administrator's. Updates are
    partial (PATCH)."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    serializer_class = DibaoStandardSerializer
    queryset = DibaoStandard.objects.select_related("county").order_by(
        "county__code", "-valid_from"
    )
    filterset_class = DibaoStandardFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(
        summary="Add a dibao standard (data administrators)",
        responses={201: DibaoStandardSerializer, 400: E400, 403: E403},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = DibaoStandardSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        obj = _standard_save(standard=None, data=dict(ser.validated_data), by=_user(request))
        return Response(DibaoStandardSerializer(obj).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a dibao standard (data administrators)",
        responses={200: DibaoStandardSerializer, 400: E400, 403: E403, 404: E404},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        standard = self.get_object()
        ser = DibaoStandardSerializer(standard, data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        obj = _standard_save(standard=standard, data=dict(ser.validated_data), by=_user(request))
        return Response(DibaoStandardSerializer(obj).data)


@extend_schema_view(
    list=extend_schema(summary="Policy parameters (procedure and programme numbers)"),
    retrieve=extend_schema(
        summary="One policy parameter", responses={200: PolicyParameterSerializer, 404: E404}
    ),
)
class PolicyParameterViewSet(viewsets.ReadOnlyModelViewSet):
    """Read only here; the data administrator maintains them in the admin."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    serializer_class = PolicyParameterSerializer
    queryset = PolicyParameter.objects.order_by("key", "-valid_from")
    filterset_class = PolicyParameterFilter


@extend_schema_view(
    list=extend_schema(summary="Category supplements (% of the standard)"),
    retrieve=extend_schema(
        summary="One category supplement", responses={200: CategorySupplementSerializer, 404: E404}
    ),
)
class CategorySupplementViewSet(viewsets.ReadOnlyModelViewSet):
    """Read only here; the data administrator maintains them in the admin."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    serializer_class = CategorySupplementSerializer
    queryset = CategorySupplement.objects.order_by("category", "-valid_from")
    filterset_class = CategorySupplementFilter
