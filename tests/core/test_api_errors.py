"""core.api: the error shape shared by DRF's validation and the services' (unit level; the
endpoints' tests check it end to end)."""

from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIRequestFactory

from core.api import exception_handler, nest_errors


def test_dotted_service_keys_nest_under_the_item_index() -> None:
    errors = {"members.1.id_number": ["bad"], "members.1.name": ["missing"], "address": ["x"]}
    assert nest_errors(errors) == {
        "members": {"1": {"id_number": ["bad"], "name": ["missing"]}},
        "address": ["x"],
    }


def test_item_level_non_field_errors() -> None:
    assert nest_errors({"members.0.__all__": ["no"]}) == {
        "members": {"0": {"non_field_errors": ["no"]}}
    }


def test_list_level_messages_go_under_non_field_errors_when_a_list_was_sent() -> None:
    data = {"members": [{}, {}]}
    assert nest_errors({"members": ["one head"]}, data) == {
        "members": {"non_field_errors": ["one head"]}
    }
    # Not a list in the request: a plain field error.
    assert nest_errors({"members": ["one head"]}, {"members": "x"}) == {"members": ["one head"]}
    # Both kinds together.
    assert nest_errors({"members.2.relation": ["r"], "members": ["one head"]}) == {
        "members": {"2": {"relation": ["r"]}, "non_field_errors": ["one head"]}
    }


def _handle(exc: Exception, data=None):  # type: ignore[no-untyped-def]
    request = APIRequestFactory().post("/", data or {}, format="json")
    request.data = data or {}  # what DRF's Request exposes to the handler
    return exception_handler(exc, {"request": request, "view": None})


def test_service_errors_become_http_answers() -> None:
    r = _handle(ValidationError({"members.1.id_number": ["bad"]}), {"members": [{}, {}]})
    assert (r.status_code, r.data) == (400, {"members": {"1": {"id_number": ["bad"]}}})
    r = _handle(ValidationError("whole"))
    assert (r.status_code, r.data) == (400, {"non_field_errors": ["whole"]})
    r = _handle(ValidationError({"__all__": ["whole"]}))
    assert (r.status_code, r.data) == (400, {"non_field_errors": ["whole"]})
    r = _handle(ValidationError("changed", code="stale"))
    assert (r.status_code, r.data["detail"]) == (409, "changed")
    r = _handle(PermissionDenied("no"))
    assert (r.status_code, r.data["detail"]) == (403, "no")


def test_conflict_code_becomes_409() -> None:
    r = _handle(ValidationError("registered meanwhile", code="conflict"))
    assert (r.status_code, r.data["detail"]) == (409, "registered meanwhile")


def test_a_nul_the_database_driver_refuses_is_a_400() -> None:
    exc = ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    r = _handle(exc)
    assert r is not None and r.status_code == 400
    assert "\\x00" in str(r.data["non_field_errors"][0])
    assert _handle(ValueError("something else")) is None  # other errors stay 500s
