"""/api/dci/v1/registry/…: search, subscribe, unsubscribe, txn/status. Thin: shape checked by
the serializers, everything else by transitions.registry_api.services. Every call, answered or
refused, is logged by RegistryView.finalize_response (one RegistryCall: client, endpoint,
status, refusal code, what was asked, how many records)."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, parsers, renderers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.masking import mask_id_number
from transitions.models import RegistryCall, RegistryTransaction

from ..auth import ClientPrincipal, ClientThrottle, IsRegistryClient, RegistryAuthentication
from ..errors import NO_CREDENTIALS, RegistryAuthError, RegistryError
from ..services import (
    registry_search,
    subscription_create,
    subscription_end,
    transaction_close,
    transaction_get,
    transaction_open,
)
from .serializers import (
    ErrorSerializer,
    SearchRequestSerializer,
    SearchResponseSerializer,
    SubscribeRequestSerializer,
    SubscribeResponseSerializer,
    TxnStatusRequestSerializer,
    TxnStatusResponseSerializer,
    UnsubscribeRequestSerializer,
)

TAG = ["DCI social registry"]
REFUSALS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Bad request (code says what).")),
    401: OpenApiResponse(
        ErrorSerializer, description=_("Expired, unknown or foreign credentials.")
    ),
    403: OpenApiResponse(ErrorSerializer, description=_("Fields or regions outside the grant.")),
}
ERROR_EXAMPLES = [
    OpenApiExample(
        "Page size over the limit",
        value={
            "detail": "page_size 500 is over the limit of 100 records a page.",
            "code": "page_size_over_limit",
            "field": "search_criteria.pagination.page_size",
            "transaction_id": "0b5c3f2e-8d7a-4c1e-9f00-2a4b6c8d0e11",
        },
        response_only=True,
        status_codes=["400"],
    ),
    OpenApiExample(
        "Expired client",
        value={
            "detail": "This registry client's access expired on 2026-06-30 23:59.",
            "code": "client_expired",
        },
        response_only=True,
        status_codes=["401"],
    ),
    OpenApiExample(
        "Field outside the grant",
        value={
            "detail": "Field(s) outside this client's grant: phone.",
            "code": "field_not_granted",
            "field": "search_criteria.fields",
        },
        response_only=True,
        status_codes=["403"],
    ),
]


def _summary(data: Any) -> dict[str, Any]:
    """What was asked, for the log (an ID number masked: the log is read by more people)."""
    if not isinstance(data, dict):
        return {}
    out = {k: v for k, v in data.items() if k != "search_criteria"}
    criteria = data.get("search_criteria")
    if isinstance(criteria, dict):
        criteria = dict(criteria)
        query = criteria.get("query")
        if isinstance(query, dict) and query.get("type") == "id_number":
            criteria["query"] = {**query, "value": mask_id_number(str(query.get("value", "")))}
        out["search_criteria"] = criteria
    return out


class RegistryView(APIView):
    authentication_classes = [RegistryAuthentication]
    permission_classes = [IsRegistryClient]
    throttle_classes = [ClientThrottle]
    parser_classes = [parsers.JSONParser]
    renderer_classes = [renderers.JSONRenderer]
    endpoint = ""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.record_count = 0
        self.txn: RegistryTransaction | None = None
        self.summary: dict[str, Any] = {}
        super().initial(request, *args, **kwargs)

    @property
    def client(self) -> Any:
        user = self.request.user
        if isinstance(user, ClientPrincipal):
            return user.client
        return getattr(self.request._request, "registry_client", None)

    def open_transaction(self, kind: str) -> RegistryTransaction:
        """The call's transaction (its id in every answer and refusal), named by the client's
        reference_id if it gave one."""
        data = self.request.data
        reference = str(data.get("reference_id", "")) if isinstance(data, dict) else ""
        self.txn = transaction_open(client=self.client, kind=kind, reference_id=reference)
        return self.txn

    def subscription_answer(self, subscription: Any) -> Response:
        """A subscribe or unsubscribe call's answer, its transaction closed as succeeded."""
        assert self.txn is not None
        transaction_close(self.txn, ok=True)
        return Response(
            {
                "transaction_id": str(self.txn.pk),
                "reference_id": self.txn.reference_id,
                "status": self.txn.status,
                "subscription_id": subscription.pk,
            }
        )

    def shape(self, serializer_class: Any) -> dict[str, Any]:
        self.summary = _summary(self.request.data)
        serializer = serializer_class(data=self.request.data)
        if not serializer.is_valid():
            raise exceptions.ValidationError(serializer.errors)
        return dict(serializer.validated_data)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, exceptions.NotAuthenticated):
            exc = RegistryAuthError("no_credentials", NO_CREDENTIALS)
        response = super().handle_exception(exc)
        if isinstance(exc, RegistryError):
            code, body = exc.registry_code, exc.body()
        elif isinstance(exc, exceptions.ValidationError):
            code = "invalid_request"
            body = {
                "detail": _("The request body does not have the documented shape."),
                "code": code,
                "errors": response.data,
            }
        elif isinstance(exc, exceptions.Throttled):
            code, body = "throttled", {"detail": str(exc.detail), "code": "throttled"}
        else:
            code = getattr(exc, "default_code", "error")
            body = {"detail": str(getattr(exc, "detail", exc)), "code": code}
        if self.txn is not None:
            transaction_close(self.txn, ok=False, error=code)
            body["transaction_id"] = str(self.txn.pk)
        response.data = body
        self.error_code, self.error_message = code, body["detail"]
        return response

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        RegistryCall.objects.create(
            client=self.client,
            client_id_seen=getattr(request._request, "registry_client_id_seen", ""),
            transaction=getattr(self, "txn", None),
            endpoint=self.endpoint,
            method=request.method or "",
            status_code=response.status_code,
            error_code=getattr(self, "error_code", ""),
            message=str(getattr(self, "error_message", "")),
            request_summary=getattr(self, "summary", {}),
            record_count=getattr(self, "record_count", 0),
            remote_addr=request.META.get("REMOTE_ADDR") or None,
        )
        return response


SEARCH_EXAMPLES = [
    OpenApiExample(
        "By ID type and value",
        value={
            "reference_id": "sic-2026-12-0001",
            "search_criteria": {
                "reg_type": "person",
                "query_type": "idtype-value",
                "query": {"type": "id_number", "value": "440524188001010014"},
                "fields": ["name", "household_id", "dibao_status"],
            },
        },
        request_only=True,
    ),
    OpenApiExample(
        "By expression, as of a past date, paged",
        value={
            "reference_id": "sic-2026-12-0002",
            "search_criteria": {
                "query_type": "expression",
                "query": {
                    "expression": [
                        {
                            "attribute_name": "dibao_status",
                            "operator": "in",
                            "attribute_value": ["active", "confirmed"],
                        },
                        {
                            "attribute_name": "birth_date",
                            "operator": "lte",
                            "attribute_value": "1966-12-31",
                        },
                    ]
                },
                "region_code": "440703002",
                "as_of": "2026-06-30",
                "pagination": {"page_size": 50, "page_number": 2},
            },
        },
        request_only=True,
    ),
    OpenApiExample(
        "Answer",
        value={
            "transaction_id": "0b5c3f2e-8d7a-4c1e-9f00-2a4b6c8d0e11",
            "reference_id": "sic-2026-12-0002",
            "status": "succ",
            "as_of": "2026-06-30",
            "pagination": {"page_size": 50, "page_number": 2, "total_count": 73},
            "reg_records": [
                {
                    "person_id": 812,
                    "name": "陈大文",
                    "household_id": 301,
                    "region_code": "440703002201",
                    "dibao_status": "active",
                }
            ],
        },
        response_only=True,
        status_codes=["200"],
    ),
]


class SearchView(RegistryView):
    """Search the social registry by ID type and value, or by an expression; one page of
    records with the total count, as of a date when asked."""

    endpoint = "search"

    @extend_schema(
        tags=TAG,
        operation_id="dci_registry_sync_search",
        request=SearchRequestSerializer,
        responses={200: SearchResponseSerializer, **REFUSALS},
        examples=SEARCH_EXAMPLES + ERROR_EXAMPLES,
    )
    def post(self, request: Request) -> Response:
        client = self.client
        txn = self.open_transaction(RegistryTransaction.Kind.SEARCH)
        data = self.shape(SearchRequestSerializer)
        result = registry_search(client=client, criteria=dict(data["search_criteria"]))
        self.record_count = len(result.records)
        transaction_close(txn, ok=True, records=self.record_count, total=result.total_count)
        return Response(
            {
                "transaction_id": str(txn.pk),
                "reference_id": txn.reference_id,
                "status": txn.status,
                "as_of": result.as_of.isoformat(),
                "pagination": {
                    "page_size": result.page_size,
                    "page_number": result.page_number,
                    "total_count": result.total_count,
                },
                "reg_records": result.records,
            }
        )


class SubscribeView(RegistryView):
    """Subscribe to changes in a region (within the grant): each change is POSTed to the
    callback URL with the granted fields only, by a background task, retried on failure."""

    endpoint = "subscribe"

    @extend_schema(
        tags=TAG,
        operation_id="dci_registry_subscribe",
        request=SubscribeRequestSerializer,
        responses={200: SubscribeResponseSerializer, **REFUSALS},
        examples=[
            OpenApiExample(
                "Dibao changes in 白沙街道",
                value={
                    "reference_id": "sub-1",
                    "region_code": "440703002",
                    "event_types": ["dibao_status", "membership"],
                    "callback_url": "https://hrss.example.gov.cn/dci/notify",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Subscribed",
                value={
                    "transaction_id": "6f1d2c3b-4a59-4e8f-8d7c-6b5a4f3e2d1c",
                    "reference_id": "sub-1",
                    "status": "succ",
                    "subscription_id": 7,
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        client = self.client
        txn = self.open_transaction(RegistryTransaction.Kind.SUBSCRIBE)
        data = self.shape(SubscribeRequestSerializer)
        sub = subscription_create(
            client=client,
            txn=txn,
            region_code=data["region_code"],
            event_types=list(data["event_types"]),
            callback_url=data["callback_url"],
        )
        return self.subscription_answer(sub)


class UnsubscribeView(RegistryView):
    """End one of the client's subscriptions."""

    endpoint = "unsubscribe"

    @extend_schema(
        tags=TAG,
        operation_id="dci_registry_unsubscribe",
        request=UnsubscribeRequestSerializer,
        responses={200: SubscribeResponseSerializer, **REFUSALS},
        examples=[
            OpenApiExample("End subscription 7", value={"subscription_id": 7}, request_only=True)
        ],
    )
    def post(self, request: Request) -> Response:
        client = self.client
        self.open_transaction(RegistryTransaction.Kind.UNSUBSCRIBE)
        data = self.shape(UnsubscribeRequestSerializer)
        sub = subscription_end(client=client, subscription_id=data["subscription_id"])
        return self.subscription_answer(sub)


class TxnStatusView(RegistryView):
    """The status of one of the client's transactions (another client's: 404)."""

    endpoint = "txn_status"

    @extend_schema(
        tags=TAG,
        operation_id="dci_registry_txn_status",
        request=TxnStatusRequestSerializer,
        responses={200: TxnStatusResponseSerializer, **REFUSALS},
        examples=[
            OpenApiExample(
                "Ask",
                value={"transaction_id": "0b5c3f2e-8d7a-4c1e-9f00-2a4b6c8d0e11"},
                request_only=True,
            ),
            OpenApiExample(
                "Answer",
                value={
                    "transaction_id": "0b5c3f2e-8d7a-4c1e-9f00-2a4b6c8d0e11",
                    "kind": "search",
                    "reference_id": "sic-2026-12-0002",
                    "status": "succ",
                    "record_count": 23,
                    "total_count": 73,
                    "error_code": "",
                    "created_at": "2026-12-03T10:00:00+08:00",
                    "completed_at": "2026-12-03T10:00:00+08:00",
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.shape(TxnStatusRequestSerializer)
        txn = transaction_get(client=self.client, transaction_id=data["transaction_id"])
        return Response(TxnStatusResponseSerializer(txn).data)
