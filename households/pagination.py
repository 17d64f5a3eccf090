"""Pagination for searches: a search's total is counted only up to a cap.

Counting every match is the expensive part of a broad search — 陈 matches 45,840 households in
the city, and counting them means joining 77,637 persons to their memberships (about a second),
while the first page, newest first, takes a few milliseconds. Nobody pages through 45,840
results: past SEARCH_COUNT_CAP the page says "more than 1,000, narrow the search" and offers the
first 1,000. Browsing without a search keeps the exact count (page 500 of the city's list is
reachable)."""

from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from core.api_filters import Pagination

SEARCH_COUNT_CAP = 1_000


class CappedCountPaginator(Paginator):
    """Counts at most `cap` + 1 rows (`SELECT count(*) FROM (… LIMIT 1001)`, unordered, so the
    planner may stop early); `capped` says there were more than `cap`, and then only the first
    `cap` rows are paged through."""

    cap = SEARCH_COUNT_CAP

    @cached_property
    def _counted(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()  # type: ignore[attr-defined]

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap


class SearchPagination(Pagination):
    """The API's pagination (core.api_filters.Pagination) with the search's capped count: when
    the view says the request is a search (`view.is_search()`), `count` is at most 1,000 and
    `count_capped` says whether there were more."""

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        search = bool(view is not None and view.is_search())
        self.django_paginator_class = CappedCountPaginator if search else Paginator
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Any:
        response = super().get_paginated_response(data)
        capped = bool(getattr(getattr(self.page, "paginator", None), "capped", False))
        response.data = {"count_capped": capped, **response.data}
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        out = super().get_paginated_response_schema(schema)
        out["properties"] = {
            "count_capped": {
                "type": "boolean",
                "description": "A search (q, name or id_number) counts at most "
                f"{SEARCH_COUNT_CAP:,} matches: true when there are more (then `count` is "
                f"{SEARCH_COUNT_CAP:,} and only those are paged through). Narrow the search.",
            },
            **out["properties"],
        }
        return out
