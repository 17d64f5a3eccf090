"""Query parameters of every list endpoint: declared, validated, and nothing else accepted.

- `SelectorFilterSet` declares and validates a list's filters (and documents them in the
  OpenAPI schema); the filtering itself is the selector's, called in get_queryset with
  `cleaned_filters(view)`.
- `UnknownParametersFilter` (a default filter backend, so every list endpoint has it): a query
  parameter the endpoint does not declare is a 400 naming it. Without it `?search=陈` returned
  the whole list, which a client could not tell from a search result.
- `Pagination`: `page` and `page_size` (default 50, at most `MAX_PAGE_SIZE`).

Accepted on a list: its filterset's fields, the paginator's `page`/`page_size`, `format`, the
search/ordering parameter of a SearchFilter/OrderingFilter if the view uses one, and any names
the view declares in `extra_query_params`.
"""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions
from rest_framework.filters import BaseFilterBackend, OrderingFilter, SearchFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(filters.NumberFilter):
    field_class = forms.IntegerField


class SelectorFilterSet(filters.FilterSet):
    """Declares and validates the query parameters (and documents them in the schema); the
    filtering itself is the selector's, called in get_queryset."""

    def noop(self, qs, name, value):  # type: ignore[no-untyped-def]
        return qs


def cleaned_filters(view: Any) -> dict[str, Any]:
    """The query parameters, checked by the view's FilterSet (bad values → 400, never a 500)."""
    filterset = view.filterset_class(view.request.query_params, queryset=view.queryset)
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    return {k: v for k, v in filterset.form.cleaned_data.items() if v not in (None, "")}


class Pagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = _(
        "Rows per page: 1 to %(max)d (default %(default)d). Outside that range the answer is 400."
    ) % {"max": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}

    def get_page_size(self, request: Any) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        # ASCII digits only: "²".isdigit() is true and int("²") fails.
        if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}
                    ]
                }
            )
        return int(raw)


class UnknownParameters(exceptions.APIException):
    status_code = 400
    default_code = "unknown_parameters"


def _filterset_names(filterset_class: Any, queryset: Any) -> set[str]:
    names: set[str] = set()
    for name, field in filterset_class(queryset=queryset).form.fields.items():
        suffixes = getattr(field.widget, "suffixes", None)  # range filters: name_min, name_max
        if suffixes:
            names |= {f"{name}_{s}" if s else name for s in suffixes}
        else:
            names.add(name)
    return names


def allowed_parameters(view: Any, request: Any, queryset: Any) -> set[str]:
    names = {api_settings.URL_FORMAT_OVERRIDE or "format"}
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        names |= {
            getattr(paginator, attr)
            for attr in ("page_query_param", "page_size_query_param")
            if getattr(paginator, attr, None)
        }
    for backend_class in getattr(view, "filter_backends", ()):
        if issubclass(backend_class, filters.DjangoFilterBackend):
            filterset_class = backend_class().get_filterset_class(view, queryset)
            if filterset_class is not None:
                names |= _filterset_names(filterset_class, queryset)
        elif issubclass(backend_class, SearchFilter):
            names.add(backend_class.search_param)
        elif issubclass(backend_class, OrderingFilter):
            names.add(backend_class.ordering_param)
    names |= set(getattr(view, "extra_query_params", ()))
    return names


class UnknownParametersFilter(BaseFilterBackend):
    """Refuses a list request carrying a query parameter the endpoint does not declare."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        if getattr(view, "action", "list") != "list":
            return queryset  # detail and actions read their own parameters
        allowed = allowed_parameters(view, request, queryset)
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise UnknownParameters(
                {
                    "detail": _(
                        "Unknown query parameter(s): %(unknown)s. This list accepts: %(allowed)s."
                    )
                    % {"unknown": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))},
                    "unknown_parameters": unknown,
                }
            )
        return queryset
