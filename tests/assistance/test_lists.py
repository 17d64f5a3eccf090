"""The dibao and programme case lists (issue 7, points 7 and 8): every case shows its current
deadline with the days left or overdue, sorted most urgent first; filters by town, village,
status, overdue and application date; whitelisted sortable columns; a masked xlsx export of
exactly what is filtered; the same filters in the page and the API; scope; query counts."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assistance import deadlines, listing
from assistance.dibao import selectors
from assistance.models import DibaoCase, Programme, ProgrammeCase
from assistance.oversight import inbox
from core.calendar import add_working_days
from core.models import AccessLog

from ..conftest import login
from ..factories import VillageFactory, region
from .conftest import APPLIED_ON, build_case, head_of, on_day, poor_household

pytestmark = pytest.mark.django_db
S = DibaoCase.Status
TODAY = dt.date(2026, 11, 20)  # a Friday; no holidays around
LIST = "/api/v1/dibao-cases/"
PROGRAMMES = "/api/v1/programme-cases/"


def make_case(household, by, *, status, applied_on=None, **dates) -> DibaoCase:  # type: ignore[no-untyped-def]
    """A case row in `status` with the given stored dates (no procedure run: fast, and the
    dates are exactly what the test says)."""
    return DibaoCase.objects.create(
        household=household,
        applicant=head_of(household),
        status=status,
        applied_on=applied_on,
        created_by=by,
        **dates,
    )


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def page_ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [c.pk for c in response.context["page"]]


@pytest.fixture
def town_b(db):  # type: ignore[no-untyped-def]
    """A second town of 蓬江区 (潮连街道) with one village."""
    return region("440703005")


@pytest.fixture
def village_c(town_b):  # type: ignore[no-untyped-def]
    return VillageFactory(parent=town_b, code="440703005201", name="潮连丙村")


@pytest.fixture
def cases(cw_baisha, village_a, village_b, village_c):  # type: ignore[no-untyped-def]
    """Five cases of 蓬江区 with deadlines around TODAY."""
    d = dt.date
    return {
        # waiting for acceptance since 12 Nov: 5 days overdue
        "pending": make_case(
            poor_household(village_a),
            cw_baisha,
            status=S.APPLIED,
            applied_on=d(2026, 11, 12),
            acceptance_due=d(2026, 11, 15),
        ),
        # the investigation must start by 18 Nov: 2 days overdue
        "accepted": make_case(
            poor_household(village_b),
            cw_baisha,
            status=S.ACCEPTED,
            applied_on=d(2026, 11, 16),
            accepted_on=d(2026, 11, 16),
            investigation_due=d(2026, 11, 18),
            procedure_due=d(2026, 12, 28),
        ),
        # procedure due in 10 days
        "investigating": make_case(
            poor_household(village_c),
            cw_baisha,
            status=S.INVESTIGATING,
            applied_on=d(2026, 11, 2),
            accepted_on=d(2026, 11, 2),
            investigation_due=d(2026, 11, 5),
            procedure_due=d(2026, 11, 30),
        ),
        # in payment, no deadline running
        "confirmed": make_case(
            poor_household(village_a),
            cw_baisha,
            status=S.CONFIRMED,
            applied_on=d(2026, 10, 8),
            procedure_due=d(2026, 11, 1),  # passed, but the procedure is over
        ),
        "draft": make_case(poor_household(village_b), cw_baisha, status=S.DRAFT),
    }


def order(cases, *names):  # type: ignore[no-untyped-def]
    return [cases[n].pk for n in names]


# ----------------------------------------------------------------------------- deadlines


def test_an_application_gets_its_acceptance_deadline_from_policy(cw_baisha, cw_baisha_2, village_a):
    case = build_case(poor_household(village_a), to=S.APPLIED, maker=cw_baisha, second=cw_baisha_2)
    assert case.acceptance_due == add_working_days(APPLIED_ON, 3) == dt.date(2026, 11, 5)
    listed = selectors.dibao_case_list(user=cw_baisha).get(pk=case.pk)
    assert listed.deadline == case.acceptance_due  # type: ignore[attr-defined]


def test_the_listed_deadline_follows_the_status(cases, ca_pengjiang):
    got = {c.pk: c.deadline for c in selectors.dibao_case_list(user=ca_pengjiang)}  # type: ignore[attr-defined]
    assert got[cases["pending"].pk] == dt.date(2026, 11, 15)  # acceptance
    assert got[cases["accepted"].pk] == dt.date(2026, 11, 18)  # start of the investigation
    assert got[cases["investigating"].pk] == dt.date(2026, 11, 30)  # end of the procedure
    assert got[cases["confirmed"].pk] is None
    assert got[cases["draft"].pk] is None


def test_the_python_deadline_is_the_sql_one(cases, ca_pengjiang, api):
    for case in selectors.dibao_case_list(user=ca_pengjiang):
        fresh = DibaoCase.objects.get(pk=case.pk)  # not annotated
        assert deadlines.case_deadline(fresh) == case.deadline  # type: ignore[attr-defined]
    login(api, ca_pengjiang)
    with on_day(TODAY):
        body = api.get(f"{LIST}{cases['pending'].pk}/").json()
        assert (body["deadline"], body["days_left"]) == ("2026-11-15", -5)
        row = api.get(LIST, {"status": "applied"}).json()["results"][0]
        assert (row["deadline"], row["days_left"]) == ("2026-11-15", -5)


def test_a_township_user_sees_only_its_town(cases, cw_baisha):
    seen = set(selectors.dibao_case_list(user=cw_baisha).values_list("pk", flat=True))
    assert seen == set(order(cases, "pending", "accepted", "confirmed", "draft"))


def test_the_case_follows_its_household_to_another_village(
    cases, cw_baisha, ca_pengjiang, data_admin, village_c
):
    """The lists scope by the case's copy of the household's village (migration 0014): it is
    set on insert whatever the writer, and moves with the household."""
    from households.services import household_update

    case = cases["pending"]
    assert DibaoCase.objects.get(pk=case.pk).village_id == case.household.village_id
    household_update(household=case.household, by=data_admin, village=village_c)
    assert DibaoCase.objects.get(pk=case.pk).village_id == village_c.pk
    seen = set(selectors.dibao_case_list(user=cw_baisha).values_list("pk", flat=True))
    assert case.pk not in seen  # 潮连 is not 白沙's
    assert case.pk in set(selectors.dibao_case_list(user=ca_pengjiang).values_list("pk", flat=True))
    # A save of a stale instance (village_id None in memory) keeps the database's copy right.
    stale = DibaoCase.objects.get(pk=case.pk)
    stale.village_id = None
    stale.save()
    assert DibaoCase.objects.get(pk=case.pk).village_id == village_c.pk


def test_recomputing_a_year_moves_acceptance_deadlines(cases):
    pending = cases["pending"]
    DibaoCase.objects.filter(pk=pending.pk).update(acceptance_due=dt.date(2026, 12, 31))
    assert deadlines.deadlines_recompute_year(2026) >= 1
    pending.refresh_from_db()
    assert pending.acceptance_due == add_working_days(dt.date(2026, 11, 12), 3)


def test_default_order_is_most_overdue_first_and_the_page_says_so(client, cases, ca_pengjiang):
    login(client, ca_pengjiang)
    with on_day(TODAY):
        r = client.get(reverse("assistance:list"))
    assert r.status_code == 200
    assert page_ids(r)[:3] == order(cases, "pending", "accepted", "investigating")
    assert set(page_ids(r)[3:]) == set(order(cases, "confirmed", "draft"))
    html = r.content.decode()
    row = html[html.index(f'data-case="{cases["pending"].pk}"') :]
    row = row[: row.index("</tr>")]
    assert "text-danger" in row and "5 days overdue" in row and "accept the application" in row
    row = html[html.index(f'data-case="{cases["investigating"].pk}"') :]
    assert "10 days left" in row[: row.index("</tr>")]


def test_the_default_order_is_answered_by_its_index(cases, data_admin):
    """assistance migration 0018 indexes the ORDER BY the ORM writes for the default sort; if the
    deadline's definition changes, the planner can no longer use it and this fails."""
    from django.db import connection

    qs = selectors.dibao_case_list(user=data_admin).values_list("pk", flat=True)[:50]
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_sort = off")
        cur.execute("SET LOCAL enable_seqscan = off")
        sql, params = qs.query.sql_with_params()
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "dibao_case_deadline_order" in plan, plan


def test_the_inbox_lists_a_pending_application_with_its_deadline(client, cw_baisha, cases):
    with on_day(TODAY):
        items = [i for i in inbox.inbox_items(cw_baisha) if i.kind == "accept"]
        assert [(i.deadline, i.overdue) for i in items] == [(dt.date(2026, 11, 15), True)]
        login(client, cw_baisha)
        html = client.get(reverse("assistance_oversight:inbox")).content.decode()
    assert "5 days overdue" in html


# ----------------------------------------------------------------------------- filters


FILTERS = [
    ({"town": "440703005"}, ["investigating"]),
    ({"village": "440703002202"}, ["accepted", "draft"]),
    ({"status": "applied"}, ["pending"]),
    ({"overdue": "on"}, ["pending", "accepted"]),
    ({"applied_from": "2026-11-10", "applied_to": "2026-11-16"}, ["pending", "accepted"]),
    ({"applied_to": "2026-11-02"}, ["investigating", "confirmed"]),
]


def _region_ids(params: dict[str, str]) -> dict[str, str]:
    out = dict(params)
    for key in ("town", "village"):
        if key in out:
            out[key] = str(region(out[key]).pk)
    return out


@pytest.mark.parametrize(("params", "expected"), FILTERS)
def test_page_and_api_filter_alike(client, api, cases, ca_pengjiang, params, expected):  # type: ignore[no-untyped-def]
    params = _region_ids(params)
    api_params = {**params, "overdue": "true"} if "overdue" in params else params
    login(client, ca_pengjiang)
    login(api, ca_pengjiang)
    with on_day(TODAY):
        on_page = page_ids(client.get(reverse("assistance:list"), params))
        in_api = ids(api.get(LIST, api_params))
    assert set(on_page) == set(order(cases, *expected))
    assert in_api == on_page


def test_a_date_range_the_wrong_way_round_is_refused_in_chinese_terms(
    client, api, cw_baisha, cases
):  # type: ignore[no-untyped-def]
    bad = {"applied_from": "2026-11-20", "applied_to": "2026-11-01"}
    login(client, cw_baisha)
    r = client.get(reverse("assistance:list"), bad)
    assert r.status_code == 400
    assert page_ids(r) == []
    assert "The end date must not be before the start date." in r.content.decode()
    r = client.get(reverse("assistance:list"), {"applied_from": "2026-13-45"})
    assert r.status_code == 400 and 'data-testid="error-applied_from"' in r.content.decode()
    login(api, cw_baisha)
    r = api.get(LIST, bad)
    assert r.status_code == 400
    assert r.json()["applied_to"] == ["The end date must not be before the start date."]


def test_sorting_is_whitelisted_toggles_and_survives_paging(client, api, cases, ca_pengjiang):  # type: ignore[no-untyped-def]
    login(client, ca_pengjiang)
    login(api, ca_pengjiang)
    with on_day(TODAY):
        r = client.get(reverse("assistance:list"), {"sort": "-applied_on"})
        assert page_ids(r)[:4] == order(cases, "accepted", "pending", "investigating", "confirmed")
        assert r.context["sorts"]["applied_on"]["state"] == "desc"
        assert "sort=applied_on" in r.context["sorts"]["applied_on"]["query"]  # toggles
        assert "sort=-applied_on" in r.context["query"]  # the pager's links keep it
        # An unknown key on the page: ignored, the default order applies.
        r = client.get(reverse("assistance:list"), {"sort": "household__address"})
        assert r.status_code == 200
        assert page_ids(r)[:3] == order(cases, "pending", "accepted", "investigating")
        assert ids(api.get(LIST, {"sort": "applied_on"}))[:2] == order(
            cases, "confirmed", "investigating"
        )
    # ... and in the API a 400.
    r = api.get(LIST, {"sort": "household__address"})
    assert r.status_code == 400 and "sort" in r.json()
    assert api.get(LIST, {"colour": "red"}).status_code == 400


def test_pager_links_keep_filters_and_sort(client, cw_baisha, village_a):  # type: ignore[no-untyped-def]
    for _ in range(51):
        make_case(poor_household(village_a, members=((40, "head"),)), cw_baisha, status=S.DRAFT)
    login(client, cw_baisha)
    html = client.get(reverse("assistance:list"), {"status": "draft", "sort": "case"}).content
    assert b"status=draft&amp;sort=case&amp;page=2" in html


# ----------------------------------------------------------------------------- villages


def test_a_district_user_gets_towns_and_no_village_list_until_a_town_is_chosen(
    client, ca_pengjiang, village_a, village_b, village_c
):
    login(client, ca_pengjiang)
    form = client.get(reverse("assistance:list")).context["form"]
    villages = form.fields["village"].widget.choices
    assert villages == [("", "Choose a town first")]
    towns = dict(form.fields["town"].widget.choices)
    assert region("440703002").pk in towns and region("440781001").pk not in towns
    baisha = region("440703002").pk
    form = client.get(reverse("assistance:list"), {"town": baisha}).context["form"]
    assert [v for v, _ in form.fields["village"].widget.choices[1:]] == [
        village_a.pk,
        village_b.pk,
    ]
    # The HTMX options for a town: only its villages.
    r = client.get(reverse("assistance:village_options"), {"town": baisha})
    assert village_a.name in r.content.decode() and village_c.name not in r.content.decode()


def test_a_township_user_gets_the_villages_of_the_town(client, cw_baisha, village_a, village_b):
    login(client, cw_baisha)
    form = client.get(reverse("assistance:list")).context["form"]
    assert {v for v, _ in form.fields["village"].widget.choices[1:]} == {village_a.pk, village_b.pk}


def test_village_options_stay_in_scope(client, cw_taicheng, village_a):
    login(client, cw_taicheng)
    r = client.get(reverse("assistance:village_options"), {"town": region("440703002").pk})
    assert village_a.name not in r.content.decode()


# ----------------------------------------------------------------------------- export


def _sheet(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(
        io.BytesIO(b"".join(response.streaming_content))
        if response.streaming
        else io.BytesIO(response.content)
    )
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


def test_export_is_what_is_filtered_masked_and_formula_safe(client, cw_baisha, cases):
    head = head_of(cases["pending"].household)
    head.name = "=HYPERLINK(1)"
    head.save()
    head = head_of(cases["accepted"].household)
    head.name = "黄大伟"
    head.save()
    login(client, cw_baisha)
    with on_day(TODAY):
        r = client.get(reverse("assistance:export"), {"overdue": "on"})
    rows = _sheet(r)
    assert rows[0][0] == "Case" and "Deadline" in rows[0]
    body = {row[0]: row for row in rows[1:]}
    assert set(body) == {str(cases["pending"]), str(cases["accepted"])}
    accepted = body[str(cases["accepted"])]
    assert "黄*伟" in accepted and "黄大伟" not in accepted
    assert "2 days overdue" in accepted
    pending = body[str(cases["pending"])]
    assert all(not str(v).startswith("=") for v in pending if v is not None)
    assert AccessLog.objects.filter(user=cw_baisha, action=AccessLog.Action.EXPORT).count() == 1
    # The page offers it with the same query.
    with on_day(TODAY):
        html = client.get(reverse("assistance:list"), {"overdue": "on"}).content.decode()
    assert reverse("assistance:export") + "?overdue=on" in html


def test_export_refuses_bad_input_and_too_many_rows(client, cw_baisha, cases, monkeypatch):
    login(client, cw_baisha)
    r = client.get(
        reverse("assistance:export"), {"applied_from": "2026-11-20", "applied_to": "2026-11-01"}
    )
    assert r.status_code == 302
    monkeypatch.setattr(listing, "EXPORT_MAX_ROWS", 2)
    r = client.get(reverse("assistance:export"), follow=True)
    assert "narrow the filter" in r.content.decode()


def test_export_needs_its_permission(client, va_baisha, cases):
    login(client, va_baisha)
    html = client.get(reverse("assistance:list")).content.decode()
    assert 'data-testid="case-export"' not in html
    assert client.get(reverse("assistance:export")).status_code == 403


# ----------------------------------------------------------------------------- scope


@pytest.mark.parametrize("persona", ["cw_taicheng", "ca_taishan"])
def test_another_district_sees_and_exports_none_of_it(client, api, cases, request, persona):  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(persona)
    login(client, user)
    baisha = region("440703002").pk
    r = client.get(reverse("assistance:list"), {"town": baisha})
    assert page_ids(r) == []
    assert page_ids(client.get(reverse("assistance:list"))) == []
    rows = _sheet(client.get(reverse("assistance:export"), {"town": baisha}))
    assert rows[1:] == []
    login(api, user)
    assert ids(api.get(LIST, {"town": baisha})) == []
    assert ids(api.get(LIST)) == []


# ----------------------------------------------------------------------------- query counts


def _fifty(cw_baisha, village_a):  # type: ignore[no-untyped-def]
    for i in range(50):
        make_case(
            poor_household(village_a, members=((40, "head"),)),
            cw_baisha,
            status=S.APPLIED if i % 2 else S.ACCEPTED,
            applied_on=dt.date(2026, 11, 2),
            acceptance_due=dt.date(2026, 11, 5),
            investigation_due=dt.date(2026, 11, 5 + i % 10),
        )


def test_list_page_and_api_query_counts_at_50_rows(
    client, api, cw_baisha, village_a, django_assert_max_num_queries
):
    _fifty(cw_baisha, village_a)
    login(client, cw_baisha)
    login(api, cw_baisha)
    town = region("440703002").pk
    params = {"town": town, "applied_from": "2026-11-01", "sort": "-deadline"}
    client.get(reverse("assistance:list"))  # warm up session and content types
    with django_assert_max_num_queries(10):  # 9 + the header's unread-notifications count
        r = client.get(reverse("assistance:list"), params)
    assert len(r.context["page"]) == 50
    with django_assert_max_num_queries(6):
        assert len(ids(api.get(LIST, {**params, "page_size": 50}))) == 50
    with django_assert_max_num_queries(9):
        _sheet(client.get(reverse("assistance:export"), params))


# ----------------------------------------------------------------------------- programmes


def make_programme(household, by, **kw) -> ProgrammeCase:  # type: ignore[no-untyped-def]
    return ProgrammeCase.objects.create(household=household, created_by=by, **kw)


@pytest.fixture
def programme_cases(cw_baisha, village_a, village_c):  # type: ignore[no-untyped-def]
    return {
        "late_documents": make_programme(
            poor_household(village_a),
            cw_baisha,
            programme=Programme.TEMPORARY,
            status=ProgrammeCase.Status.PAID,
            emergency=True,
            applied_on=dt.date(2026, 11, 3),
            paid_on=dt.date(2026, 11, 3),
            documentation_due=dt.date(2026, 11, 17),
            amount=Decimal("800"),
        ),
        "medical": make_programme(
            poor_household(village_c),
            cw_baisha,
            programme=Programme.MEDICAL,
            applied_on=dt.date(2026, 11, 10),
        ),
        "documented": make_programme(
            poor_household(village_a),
            cw_baisha,
            programme=Programme.TEMPORARY,
            status=ProgrammeCase.Status.PAID,
            emergency=True,
            applied_on=dt.date(2026, 10, 3),
            documentation_due=dt.date(2026, 10, 17),
            documented_on=dt.date(2026, 10, 10),
        ),
    }


def test_programme_list_filters_sorts_and_shows_overdue_documents(
    client, api, ca_pengjiang, programme_cases
):
    login(client, ca_pengjiang)
    login(api, ca_pengjiang)
    pc = programme_cases
    with on_day(TODAY):
        r = client.get(reverse("assistance_programmes:list"))
        assert page_ids(r)[0] == pc["late_documents"].pk
        assert "3 days overdue" in r.content.decode()
        r = client.get(reverse("assistance_programmes:list"), {"overdue": "on"})
        assert page_ids(r) == [pc["late_documents"].pk]
        town = region("440703005").pk
        r = client.get(reverse("assistance_programmes:list"), {"town": town})
        assert page_ids(r) == [pc["medical"].pk]
        assert ids(api.get(PROGRAMMES, {"town": town})) == [pc["medical"].pk]
        r = client.get(reverse("assistance_programmes:list"), {"sort": "applied_on"})
        assert page_ids(r) == [pc["documented"].pk, pc["late_documents"].pk, pc["medical"].pk]
        assert ids(api.get(PROGRAMMES, {"overdue": "true"})) == [pc["late_documents"].pk]
    bad = {"applied_from": "2026-11-20", "applied_to": "2026-11-01"}
    assert client.get(reverse("assistance_programmes:list"), bad).status_code == 400
    assert api.get(PROGRAMMES, bad).status_code == 400
    assert api.get(PROGRAMMES, {"sort": "nonsense"}).status_code == 400


def test_programme_export_and_scope(client, cw_baisha, cw_taicheng, programme_cases):
    pc = programme_cases
    login(client, cw_baisha)
    with on_day(TODAY):
        rows = _sheet(client.get(reverse("assistance_programmes:export"), {"overdue": "on"}))
    assert [row[0] for row in rows[1:]] == [pc["late_documents"].pk]
    login(client, cw_taicheng)
    assert page_ids(client.get(reverse("assistance_programmes:list"))) == []
    assert _sheet(client.get(reverse("assistance_programmes:export")))[1:] == []


def test_programme_list_query_count_at_50_rows(
    client, cw_baisha, village_a, django_assert_max_num_queries
):
    for _ in range(50):
        make_programme(
            poor_household(village_a, members=((40, "head"),)),
            cw_baisha,
            programme=Programme.MEDICAL,
            applied_on=dt.date(2026, 11, 10),
        )
    login(client, cw_baisha)
    client.get(reverse("assistance_programmes:list"))
    with django_assert_max_num_queries(10):  # 9 + the header's unread-notifications count
        r = client.get(reverse("assistance_programmes:list"), {"town": region("440703002").pk})
    assert len(r.context["page"]) == 50
