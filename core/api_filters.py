"""Query-parameter filters shared by every app's API.

A viewset's FilterSet declares and validates its query parameters (and documents them in the
schema); the filtering itself is the selector's, called in get_queryset with `cleaned_filters`.
"""

from typing import Any

from django import forms
from django_filters import rest_framework as filters
from rest_framework.exceptions import ValidationError


class IntegerFilter(filters.NumberFilter):
    """An id: a whole number, so `?village=1.5` or `?village=abc` is a 400, not a 500."""

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
        raise ValidationError(filterset.errors)
    return {k: v for k, v in filterset.form.cleaned_data.items() if v not in (None, "")}
