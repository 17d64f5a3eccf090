"""Pagination for searches: a search's total is counted only up to a cap.

Counting every match is the expensive part of a broad search — 陈 matches 45,840 households in
the city, and counting them means joining 77,637 persons to their memberships (about a second),
while the first page, newest first, takes a few milliseconds. Nobody pages through 45,840
results: past SEARCH_COUNT_CAP the page says "more than 1,000, narrow the search" and offers the
first 1,000. Browsing without a search keeps the exact count (page 500 of the city's list is
reachable)."""

from functools import partial
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


class KnownCountPaginator(Paginator):
    """A paginator told its total (households.tally) instead of counting the rows."""

    def __init__(self, object_list: Any, per_page: int, *, count: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


def paginator_for(search: bool, known_count: int | None) -> Any:
    """The paginator class of a list: a search counts up to the cap; a list without one takes
    its known total when there is one, else counts."""
    if search:
        return CappedCountPaginator
    if known_count is not None:
        return partial(KnownCountPaginator, count=known_count)
    return Paginator


class SearchPagination(Pagination):
    """The API's pagination (core.api_filters.Pagination) with the search's capped count: when
    the view says the request is a search (`view.is_search()`), `count` is at most 1,000 and
    `count_capped` says whether there were more."""

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        search = bool(view is not None and view.is_search())
        known = getattr(view, "known_count", None)
        count = None if search or known is None else known()
        self.django_paginator_class = paginator_for(search, count)
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
