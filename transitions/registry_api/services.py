"""The registry API's work: check a request against the client's grant, answer it, record the
transaction; subscriptions and their notifications. The views are thin: they call these and
log the call (transitions.registry_api.views.RegistryView)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import socket
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from core.models import Region
from households.idnumber import parse_id_number
from transitions.models import (
    RegistryClient,
    RegistryDelivery,
    RegistryNotification,
    RegistrySubscription,
    RegistryTransaction,
)

from .errors import RegistryError
from .fields import BY_NAME, ID_TYPES, NAMES
from .selectors import record_values, region_by_code, registry_records

log = logging.getLogger("xianjie.registry")
ALWAYS = ("person_id",)  # the record's own id: in every record, needs no grant
EVENT_KEYS = ("change", "on")  # what happened, in a notification: not registry fields
QUERY_TYPES = ("idtype-value", "expression")


def granted(client: RegistryClient) -> set[str]:
    return set(client.allowed_fields) | set(ALWAYS)


def client_region_paths(client: RegistryClient) -> list[str]:
    return [r.path for r in client.regions.all()]


# ----------------------------------------------------------------- checks (each a refusal)


def check_fields(client: RegistryClient, names: list[str], *, where: str) -> None:
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise RegistryError(
            "invalid_request",
            _("Unknown field(s): %(names)s. The registry has: %(all)s.")
            % {"names": ", ".join(unknown), "all": ", ".join(NAMES)},
            field=where,
        )
    outside = [n for n in names if n not in granted(client)]
    if outside:
        raise RegistryError(
            "field_not_granted",
            _("Field(s) outside this client's grant: %(names)s.") % {"names": ", ".join(outside)},
            field=where,
        )


def check_region(client: RegistryClient, code: str | None) -> list[str]:
    """The region paths the answer covers: the client's, or the one asked for within them."""
    paths = client_region_paths(client)
    if not code:
        return paths
    region = region_by_code(code)
    if region is None:
        raise RegistryError(
            "unknown_region",
            _("No region has the code %(code)s.") % {"code": code},
            field="search_criteria.region_code",
        )
    if not any(region.path.startswith(p) for p in paths):
        raise RegistryError(
            "region_not_granted",
            _("Region %(code)s is outside this client's regions.") % {"code": code},
            field="search_criteria.region_code",
        )
    return [region.path]


def check_as_of(value: dt.date | None, *, today: dt.date) -> dt.date:
    if value is None:
        return today
    if value > today:
        raise RegistryError(
            "as_of_in_future",
            _(
                "The as-of date %(date)s is in the future; the registry answers only for today "
                "or earlier."
            )
            % {"date": value.isoformat()},
            field="search_criteria.as_of",
        )
    return value


def check_pagination(page_size: int | None, page_number: int | None) -> tuple[int, int]:
    limit = settings.REGISTRY_API_MAX_PAGE_SIZE
    size = settings.REGISTRY_API_DEFAULT_PAGE_SIZE if page_size is None else page_size
    if size > limit:
        raise RegistryError(
            "page_size_over_limit",
            _("page_size %(size)d is over the limit of %(max)d records a page.")
            % {"size": size, "max": limit},
            field="search_criteria.pagination.page_size",
        )
    if size < 1:
        raise RegistryError(
            "bad_pagination",
            _("page_size must be at least 1."),
            field="search_criteria.pagination.page_size",
        )
    number = 1 if page_number is None else page_number
    if number < 1:
        raise RegistryError(
            "bad_pagination",
            _("page_number starts at 1."),
            field="search_criteria.pagination.page_number",
        )
    return size, number


def _typed(name: str, value: Any, *, where: str) -> Any:
    kind = BY_NAME[name].kind
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise RegistryError(
                "malformed_expression",
                _("%(name)s takes a whole number.") % {"name": name},
                field=where,
            )
        return int(value)
    if kind == "date":
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            raise RegistryError(
                "malformed_expression",
                _("%(name)s takes a date YYYY-MM-DD.") % {"name": name},
                field=where,
            )
        return parsed
    if not isinstance(value, str):
        raise RegistryError(
            "malformed_expression", _("%(name)s takes text.") % {"name": name}, field=where
        )
    return value


def parse_expression(client: RegistryClient, expression: Any) -> list[tuple[str, str, Any]]:
    """`[{"attribute_name", "operator", "attribute_value"}, …]`, all to hold (AND)."""
    where = "search_criteria.query.expression"
    if not isinstance(expression, list) or len(expression) > 20:
        raise RegistryError(
            "malformed_expression",
            _(
                'The expression is a list of up to 20 conditions {"attribute_name", "operator", '
                '"attribute_value"}, all of which must hold (an empty list: every record).'
            ),
            field=where,
        )
    conditions = []
    for i, cond in enumerate(expression):
        at = f"{where}.{i}"
        if not isinstance(cond, dict) or set(cond) != {
            "attribute_name",
            "operator",
            "attribute_value",
        }:
            raise RegistryError(
                "malformed_expression",
                _("Condition %(i)d must have exactly attribute_name, operator and attribute_value.")
                % {"i": i},
                field=at,
            )
        name, operator, value = cond["attribute_name"], cond["operator"], cond["attribute_value"]
        if not isinstance(name, str) or name not in BY_NAME:
            raise RegistryError(
                "malformed_expression",
                _("Condition %(i)d: unknown attribute %(name)r.") % {"i": i, "name": name},
                field=f"{at}.attribute_name",
            )
        check_fields(client, [name], where=f"{at}.attribute_name")
        operators = BY_NAME[name].operators
        if operator not in operators:
            raise RegistryError(
                "malformed_expression",
                _("Condition %(i)d: %(name)s accepts the operators %(ops)s, not %(op)r.")
                % {"i": i, "name": name, "ops": ", ".join(operators) or "—", "op": operator},
                field=f"{at}.operator",
            )
        if operator == "in":
            if not isinstance(value, list) or not value or len(value) > 100:
                raise RegistryError(
                    "malformed_expression",
                    _("Condition %(i)d: 'in' takes a list of 1 to 100 values.") % {"i": i},
                    field=f"{at}.attribute_value",
                )
            value = [_typed(name, v, where=f"{at}.attribute_value") for v in value]
        else:
            value = _typed(name, value, where=f"{at}.attribute_value")
        conditions.append((name, operator, value))
    return conditions


def parse_id_query(client: RegistryClient, query: Any) -> list[tuple[str, str, Any]]:
    where = "search_criteria.query"
    if not isinstance(query, dict) or set(query) != {"type", "value"}:
        raise RegistryError(
            "invalid_request",
            _('An idtype-value query is {"type": <ID type>, "value": <value>}.'),
            field=where,
        )
    id_type, value = query["type"], query["value"]
    if id_type not in ID_TYPES:
        raise RegistryError(
            "unknown_id_type",
            _("Unknown ID type %(type)r; the registry knows: %(known)s.")
            % {"type": id_type, "known": ", ".join(ID_TYPES)},
            field=f"{where}.type",
        )
    name = ID_TYPES[id_type]
    check_fields(client, [name], where=f"{where}.type")
    if name == "id_number":
        try:
            value = parse_id_number(str(value)).number
        except ValidationError as e:
            raise RegistryError(
                "bad_id_value",
                _("Not a valid resident ID number: %(error)s") % {"error": " ".join(e.messages)},
                field=f"{where}.value",
            ) from e
    else:
        if isinstance(value, bool) or not str(value).isdigit():
            raise RegistryError(
                "bad_id_value",
                _("%(type)s takes a whole number.") % {"type": id_type},
                field=f"{where}.value",
            )
        value = int(value)
    return [(name, "eq", value)]


# ----------------------------------------------------------------- transactions


def transaction_open(
    *, client: RegistryClient, kind: str, reference_id: str = ""
) -> RegistryTransaction:
    return RegistryTransaction.objects.create(
        client=client,
        kind=kind,
        reference_id=(reference_id or "")[:64],
        status=RegistryTransaction.Status.RECEIVED,
    )


def transaction_close(
    txn: RegistryTransaction, *, ok: bool, records: int = 0, total: int = 0, error: str = ""
) -> None:
    txn.status = RegistryTransaction.Status.SUCCEEDED if ok else RegistryTransaction.Status.REJECTED
    txn.record_count, txn.total_count, txn.error_code = records, total, error
    txn.completed_at = timezone.now()
    txn.save(update_fields=["status", "record_count", "total_count", "error_code", "completed_at"])


def transaction_get(*, client: RegistryClient, transaction_id: Any) -> RegistryTransaction:
    txn = RegistryTransaction.objects.filter(client=client, pk=transaction_id).first()
    if txn is None:
        raise RegistryError(
            "not_found",
            _("This client has no transaction with that id."),
            field="transaction_id",
        )
    return txn


# ----------------------------------------------------------------- search


@dataclass
class SearchResult:
    as_of: dt.date
    page_size: int
    page_number: int
    total_count: int
    records: list[dict[str, Any]] = field(default_factory=list)


def registry_search(*, client: RegistryClient, criteria: dict[str, Any]) -> SearchResult:
    """`criteria` as validated by SearchCriteriaSerializer (shape only); the grant and the
    query are checked here, in this order, each refusal with its own code."""
    query_type = criteria["query_type"]
    if query_type not in QUERY_TYPES:
        raise RegistryError(
            "unknown_query_type",
            _("Unknown query_type %(type)r; use one of %(known)s.")
            % {"type": query_type, "known": ", ".join(QUERY_TYPES)},
            field="search_criteria.query_type",
        )
    names = list(criteria.get("fields") or [n for n in NAMES if n in granted(client)])
    check_fields(client, names, where="search_criteria.fields")
    if "person_id" not in names:
        names.insert(0, "person_id")
    paths = check_region(client, criteria.get("region_code"))
    on = check_as_of(criteria.get("as_of"), today=timezone.localdate())
    pagination = criteria.get("pagination") or {}
    size, number = check_pagination(pagination.get("page_size"), pagination.get("page_number"))
    if query_type == "idtype-value":
        conditions = parse_id_query(client, criteria.get("query"))
    else:
        query = criteria.get("query")
        if not isinstance(query, dict) or set(query) != {"expression"}:
            raise RegistryError(
                "malformed_expression",
                _('An expression query is {"expression": [conditions]}.'),
                field="search_criteria.query",
            )
        conditions = parse_expression(client, query["expression"])
    qs = registry_records(region_paths=paths, on=on, conditions=conditions)
    total = qs.count()
    start = (number - 1) * size
    page = list(qs[start : start + size]) if start < total else []
    return SearchResult(
        as_of=on,
        page_size=size,
        page_number=number,
        total_count=total,
        records=[record_values(p, names) for p in page],
    )


# ----------------------------------------------------------------- subscriptions


def _internal_address(host: str) -> bool:
    """A loopback, private, link-local or reserved IP address (a callback must not reach the
    server's own network)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def check_callback_url(url: str) -> str:
    parts = urlsplit(url)
    secure = parts.scheme == "https" or (parts.scheme == "http" and settings.DEBUG)
    host = (parts.hostname or "").lower()
    if not secure or not host:
        raise RegistryError(
            "bad_callback_url",
            _("The callback URL must be an https:// address."),
            field="callback_url",
        )
    if host == "localhost" or host.endswith(".localhost") or _internal_address(host):
        raise RegistryError(
            "bad_callback_url",
            _("The callback URL may not point to an internal address."),
            field="callback_url",
        )
    return url


def subscription_create(
    *,
    client: RegistryClient,
    txn: RegistryTransaction,
    region_code: str,
    event_types: list[str],
    callback_url: str,
) -> RegistrySubscription:
    known = RegistrySubscription.Event.values
    unknown = [e for e in event_types if e not in known]
    if unknown or not event_types:
        raise RegistryError(
            "unknown_event_type",
            _("Unknown event type(s): %(names)s; the registry sends: %(known)s.")
            % {"names": ", ".join(unknown) or "—", "known": ", ".join(known)},
            field="event_types",
        )
    try:
        path = check_region(client, region_code)[0]
    except RegistryError as e:
        e.field = "region_code"
        raise
    check_callback_url(callback_url)
    return RegistrySubscription.objects.create(
        transaction=txn,
        client=client,
        region=Region.objects.get(path=path),
        event_types=sorted(set(event_types)),
        callback_url=callback_url,
    )


def subscription_end(*, client: RegistryClient, subscription_id: Any) -> RegistrySubscription:
    with transaction.atomic():
        sub = (
            RegistrySubscription.objects.select_for_update()
            .filter(client=client, pk=subscription_id, is_active=True)
            .first()
        )
        if sub is None:
            raise RegistryError(
                "not_found",
                _("This client has no active subscription with that id."),
                field="subscription_id",
            )
        sub.is_active, sub.ended_at = False, timezone.now()
        sub.save(update_fields=["is_active", "ended_at"])
    return sub


def _prefixes(path: str) -> list[str]:
    out, acc = [], ""
    for code in path.rstrip(".").split("."):
        acc += code + "."
        out.append(acc)
    return out


def _live_subscriptions(event_type: str) -> Any:
    return RegistrySubscription.objects.filter(
        is_active=True,
        event_types__contains=[event_type],
        client__is_active=True,
        client__expires_at__gt=timezone.now(),
    )


def anyone_subscribed(event_type: str) -> bool:
    """One query, so that a save no one listens to costs no more (the receivers ask first)."""
    return bool(_live_subscriptions(event_type).exists())


def notifications_queue(*, event_type: str, village: Region, record: dict[str, Any]) -> int:
    """Queue `record` for every active subscription to `event_type` covering `village`, of an
    active, unexpired client whose grant still covers the subscription's region; each gets only
    the fields of its grant. Delivered by a Celery task after the commit (never in the request)."""
    from .tasks import deliver_registry_notification

    now = timezone.now()
    subs = (
        _live_subscriptions(event_type)
        .filter(region__path__in=_prefixes(village.path))
        .select_related("client", "region")
        .prefetch_related("client__regions")
    )
    created = []
    for sub in subs:
        if not any(sub.region.path.startswith(r.path) for r in sub.client.regions.all()):
            continue
        allowed = granted(sub.client)
        payload = {
            "event_type": event_type,
            "subscription_id": sub.pk,
            "occurred_at": now.isoformat(),
            "record": {
                k: v
                for k, v in record.items()
                if k in EVENT_KEYS or k.removeprefix("previous_") in allowed
            },
        }
        created.append(
            RegistryNotification(subscription=sub, event_type=event_type, payload=payload)
        )
    RegistryNotification.objects.bulk_create(created)
    for n in created:
        transaction.on_commit(partial(deliver_registry_notification.delay, str(n.pk)))
    return len(created)


def http_post(url: str, payload: dict[str, Any], *, timeout: float) -> int:
    """POST the JSON payload; the HTTP status. Tests replace this function."""
    import requests

    host = urlsplit(url).hostname or ""
    # Checked again when sending: a name may resolve to an internal address by then.
    for *_rest, sockaddr in socket.getaddrinfo(host, 443):
        if _internal_address(str(sockaddr[0])):
            raise ValueError(f"{host} resolves to an internal address")
    response = requests.post(url, json=payload, timeout=timeout, allow_redirects=False)
    return response.status_code


def notification_deliver(*, notification_id: Any) -> bool | None:
    """One delivery attempt, recorded. True delivered, False failed (retry), None nothing to do
    (already delivered, given up, or the subscription ended)."""
    n = (
        RegistryNotification.objects.select_related("subscription")
        .filter(pk=notification_id)
        .first()
    )
    if n is None or n.status != RegistryNotification.Status.QUEUED:
        return None
    if not n.subscription.is_active:
        return None
    body = {"notification_id": str(n.pk), **n.payload}
    # The HTTP call is outside any transaction: no row lock is held while a subscriber answers.
    code: int | None = None
    error = ""
    try:
        code = http_post(n.subscription.callback_url, body, timeout=10)
    except Exception as e:  # network errors: recorded, retried
        error = f"{type(e).__name__}: {e}"[:500]
    ok = code is not None and 200 <= code < 300
    with transaction.atomic():
        n = RegistryNotification.objects.select_for_update().get(pk=n.pk)
        RegistryDelivery.objects.create(notification=n, ok=ok, status_code=code, error=error)
        n.attempts += 1
        if ok:
            n.status, n.delivered_at = RegistryNotification.Status.DELIVERED, timezone.now()
        elif n.attempts >= settings.REGISTRY_NOTIFY_MAX_ATTEMPTS:
            n.status = RegistryNotification.Status.FAILED
        n.save(update_fields=["status", "attempts", "delivered_at"])
    return ok
