"""core.pagination.WindowCountPaginator: Django's pages of primary keys, counted by the page's own
query (COUNT(*) OVER ()) where it can be."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

from core.models import Region
from core.pagination import WindowCountPaginator

from ..factories import VillageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def villages():  # type: ignore[no-untyped-def]
    return [VillageFactory() for _ in range(7)]


def _qs():  # type: ignore[no-untyped-def]
    return (
        Region.objects.filter(level=Region.Level.VILLAGE)
        .order_by("-id")
        .values_list("pk", flat=True)
    )


@pytest.mark.parametrize("number", [1, 2, 3, "2"])
def test_a_page_is_djangos_page_in_one_query(villages, number, django_assert_num_queries):
    theirs = Paginator(_qs(), 3).page(number)
    with django_assert_num_queries(1):
        ours = WindowCountPaginator(_qs(), 3).page(number)
        assert ours.paginator.count == theirs.paginator.count
        assert ours.paginator.num_pages == theirs.paginator.num_pages
    assert list(ours) == list(theirs) and ours.number == theirs.number


def test_past_the_end_and_bad_numbers_behave_as_djangos(villages):
    assert WindowCountPaginator(_qs(), 3).get_page(9).number == 3  # the last page
    assert WindowCountPaginator(_qs(), 3).get_page("x").number == 1
    assert WindowCountPaginator(_qs(), 3).get_page(0).number == 3  # Django: < 1 is "empty"
    with pytest.raises(EmptyPage):
        WindowCountPaginator(_qs(), 3).page(4)
    with pytest.raises(PageNotAnInteger):
        WindowCountPaginator(_qs(), 3).page("x")
    last = WindowCountPaginator(_qs(), 3).get_page(9)
    assert list(last) == list(_qs())[6:]


def test_an_empty_list_has_an_empty_first_page(db, django_assert_num_queries):
    page = WindowCountPaginator(Region.objects.none().values_list("pk", flat=True), 3).get_page(1)
    assert page.paginator.count == 0 and list(page) == []
    with django_assert_num_queries(1):  # no COUNT after an empty first page
        page = WindowCountPaginator(Region.objects.filter(pk=-1).values_list("pk", flat=True), 3)
        page = page.get_page(1)
        assert page.paginator.count == 0 and list(page) == []


def test_distinct_rows_are_counted_by_django(villages, django_assert_num_queries):
    qs = (
        Region.objects.filter(level=Region.Level.VILLAGE)
        .distinct()
        .order_by("id")
        .values_list("pk", flat=True)
    )
    with django_assert_num_queries(2):  # COUNT, then the page
        page = WindowCountPaginator(qs, 3).page(3)
        assert page.paginator.count == 7 and len(page) == 1


def test_page_rows_read_by_id_alone_with_the_lists_joins_and_annotations(
    villages, django_assert_num_queries
):
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    from core.pagination import page_rows

    # A filter through a join (the town) and a multi-valued one (its villages): the rows come
    # once each, in the ids' order, with the list's annotation and related row.
    towns = (
        Region.objects.filter(level=Region.Level.TOWNSHIP, children__in=villages)
        .select_related("parent")
        .annotate(label=Concat(F("parent__name"), Value("/"), F("name")))
        .order_by("-id")
    )
    ids = list(dict.fromkeys(towns.values_list("pk", flat=True)))
    with django_assert_num_queries(1):
        rows = page_rows(towns, list(reversed(ids)))
        assert [r.pk for r in rows] == list(reversed(ids))
        assert all(r.label == f"{r.parent.name}/{r.name}" for r in rows)
    assert page_rows(towns, []) == []
    # An id that no longer exists is left out.
    assert [r.pk for r in page_rows(towns, [ids[0], -5])] == [ids[0]]
