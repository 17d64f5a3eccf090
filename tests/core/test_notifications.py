"""In-app notifications (core.notifications): who gets what for each event, sent inside the
action's transaction; a user's own only (page, HTMX and API); the header badge costs one query.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assistance.dibao import services as dibao
from assistance.models import DibaoCase
from assistance.payroll import services as payroll
from assistance.programmes import services as programmes
from core.models import Notification, Region
from core.notifications.recipients import users_for
from core.notifications.services import Target, notification_send
from core.roles import Role
from tests.assistance.conftest import (
    APPLIED_ON,
    CONFIRM_ON,
    DEC,
    build_case,
    build_confirmed,
    on_day,
    poor_household,
)

from ..conftest import login
from ..factories import UserFactory, region

pytestmark = pytest.mark.django_db
S = DibaoCase.Status


@pytest.fixture
def cw_baisha_2(db, baisha):  # type: ignore[no-untyped-def]
    return UserFactory(username="cw_baisha_2", role=Role.CASEWORKER, region=baisha)


@pytest.fixture
def everyone(  # type: ignore[no-untyped-def]
    cw_baisha, cw_baisha_2, va_baisha, ca_pengjiang, ca_pengjiang_2, cw_taicheng, ca_taishan
):
    return {
        u.username: u
        for u in (
            cw_baisha,
            cw_baisha_2,
            va_baisha,
            ca_pengjiang,
            ca_pengjiang_2,
            cw_taicheng,
            ca_taishan,
        )
    }


def received(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def note_for(user, **kw):  # type: ignore[no-untyped-def]
    defaults = {
        "kind": "test.event",
        "title": "案件 DB000001 已审批确认",
        "target_url": "/dibao/1/",
    }
    return Notification.objects.create(recipient=user, **{**defaults, **kw})


# ============================================================================ recipients


def test_users_for_finds_by_role_and_region(everyone, village_a):
    from assistance.permissions import CHANGE, CONFIRM_DIBAO

    town = {u.username for u in users_for(village_a, perm=CHANGE, levels=(Region.Level.TOWNSHIP,))}
    assert town == {"cw_baisha", "cw_baisha_2"}
    district = {
        u.username for u in users_for(village_a, perm=CONFIRM_DIBAO, levels=(Region.Level.COUNTY,))
    }
    assert district == {"ca_pengjiang", "ca_pengjiang_2"}
    assert not users_for(None, perm=CHANGE).exists()
    everyone["cw_baisha_2"].is_active = False
    everyone["cw_baisha_2"].save()
    assert {u.username for u in users_for(village_a, perm=CHANGE)} == {"cw_baisha"}


# ============================================================================ dibao events


def _to_notice(cw_baisha, cw_baisha_2, village_a):  # type: ignore[no-untyped-def]
    return build_case(
        poor_household(village_a), to=S.IN_NOTICE, maker=cw_baisha, second=cw_baisha_2
    )


def _confirmed(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):  # type: ignore[no-untyped-def]
    return build_confirmed(village_a, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)


def _object(u, village_a):  # type: ignore[no-untyped-def]
    case = _to_notice(u["cw_baisha"], u["cw_baisha_2"], village_a)
    with on_day(dt.date(2026, 11, 8)):
        dibao.dibao_case_object(
            case=case, received_on=dt.date(2026, 11, 8), content="有车", by=u["cw_baisha"]
        )


def _refuse(u, village_a):  # type: ignore[no-untyped-def]
    case = _to_notice(u["cw_baisha"], u["cw_baisha_2"], village_a)
    with on_day(CONFIRM_ON):
        dibao.dibao_case_refuse(case=case, on=CONFIRM_ON, reasons="收入超标", by=u["ca_pengjiang"])


def _return(u, village_a):  # type: ignore[no-untyped-def]
    case = _to_notice(u["cw_baisha"], u["cw_baisha_2"], village_a)
    with on_day(CONFIRM_ON):
        dibao.dibao_case_repropose(case=case, by=u["ca_pengjiang"], reason="公示内容有误")


def _review_due(u, village_a):  # type: ignore[no-untyped-def]
    case = _confirmed(u["cw_baisha"], u["cw_baisha_2"], u["ca_pengjiang"], village_a)
    Notification.objects.all().delete()
    with on_day(dt.date(2026, 11, 20)):
        dibao.review_open(case=case, kind="periodic", reason="", by=None)


@pytest.mark.parametrize(
    ("event", "kind", "expected"),
    [
        # The township's proposal hands the decision to the district's reviewers.
        (
            lambda u, v: build_case(
                poor_household(v), to=S.PROPOSED, maker=u["cw_baisha"], second=u["cw_baisha_2"]
            ),
            "dibao.proposed",
            {"ca_pengjiang", "ca_pengjiang_2"},
        ),
        # Decisions report back to the caseworkers of the case's town.
        (
            lambda u, v: _confirmed(u["cw_baisha"], u["cw_baisha_2"], u["ca_pengjiang"], v),
            "dibao.confirmed",
            {"cw_baisha", "cw_baisha_2"},
        ),
        (_refuse, "dibao.refused", {"cw_baisha", "cw_baisha_2"}),
        (_return, "dibao.returned", {"cw_baisha", "cw_baisha_2"}),
        # Recorded by cw_baisha: the actor is never told of their own action.
        (_object, "dibao.objected", {"cw_baisha_2"}),
        # Opened by the nightly job (no actor): everyone of the town.
        (_review_due, "dibao.review_due", {"cw_baisha", "cw_baisha_2"}),
    ],
    ids=["proposed", "confirmed", "refused", "returned", "objected", "review_due"],
)
def test_dibao_events_reach_the_right_people(event, kind, expected, everyone, village_a):
    event(everyone, village_a)
    assert received(kind) == expected
    # Nobody of another district (or the village assistant) is told anything.
    others = Notification.objects.filter(
        recipient__username__in=["cw_taicheng", "ca_taishan", "va_baisha"]
    )
    assert not others.exists()
    note = Notification.objects.filter(kind=kind).first()
    case = DibaoCase.objects.order_by("-pk").first()
    assert note.target_url == reverse("assistance:detail", args=[case.pk])
    assert note.target_label == str(case) and str(case) in note.title
    assert note.region == case.household.village


def test_titles_are_chinese_whatever_the_senders_language(everyone, village_a):
    from django.utils import translation

    with translation.override("en"):
        _confirmed(
            everyone["cw_baisha"], everyone["cw_baisha_2"], everyone["ca_pengjiang"], village_a
        )
    note = Notification.objects.filter(kind="dibao.confirmed").first()
    assert "已审批确认" in note.title


def test_a_refused_action_sends_nothing(everyone, village_a):
    """The notification is written in the action's transaction: a refusal rolls it back."""
    from django.core.exceptions import ValidationError

    case = _to_notice(everyone["cw_baisha"], everyone["cw_baisha_2"], village_a)
    Notification.objects.all().delete()
    with on_day(dt.date(2026, 11, 9)), pytest.raises(ValidationError):
        # The notice runs until 12 November: confirming now is refused.
        dibao.dibao_case_confirm(case=case, on=dt.date(2026, 11, 9), by=everyone["ca_pengjiang"])
    assert not Notification.objects.exists()


def test_send_rolls_back_with_the_business_transaction(cw_baisha, cw_baisha_2):
    with pytest.raises(RuntimeError), transaction.atomic():
        notification_send(
            recipients=[cw_baisha, cw_baisha_2], kind="x", title="t", target=None, by=None
        )
        raise RuntimeError
    assert not Notification.objects.exists()
    sent = notification_send(
        recipients=[cw_baisha, cw_baisha, cw_baisha_2],
        kind="x",
        title="t",
        target=Target(url="/a/", label="A"),
        by=cw_baisha,
    )
    assert [n.recipient_id for n in sent] == [cw_baisha_2.pk]  # once each, not the actor


# ============================================================================ other events


def test_programme_decisions_report_to_the_towns_caseworkers(everyone, village_a):
    h = poor_household(village_a, members=((65, "head"), (40, "child")))
    applied = [
        programmes.programme_apply(
            programme="education", household=h, by=everyone["cw_baisha"], applied_on=APPLIED_ON
        )
        for _ in range(2)
    ]
    on = dt.date(2026, 11, 3)
    programmes.programme_approve(
        case=applied[0], amount=Decimal("1000"), on=on, by=everyone["ca_pengjiang"], reason="学费"
    )
    programmes.programme_refuse(case=applied[1], on=on, by=everyone["ca_pengjiang"], reason="重复")
    assert received("programme.approved") == {"cw_baisha", "cw_baisha_2"}
    assert received("programme.refused") == {"cw_baisha", "cw_baisha_2"}
    note = Notification.objects.get(kind="programme.approved", recipient=everyone["cw_baisha"])
    assert note.target_url == reverse("assistance_programmes:detail", args=[applied[0].pk])
    assert not Notification.objects.filter(recipient__username__in=["cw_taicheng", "ca_taishan"])


def test_payroll_built_tells_the_approvers_and_approved_tells_the_builder(everyone, village_a):
    _confirmed(everyone["cw_baisha"], everyone["cw_baisha_2"], everyone["ca_pengjiang"], village_a)
    district = region("440703")
    draft = payroll.payroll_build(county=district, month=DEC, by=everyone["ca_pengjiang"]).payroll
    # The builder may not approve it: only the other reviewer is asked to.
    assert received("payroll.built") == {"ca_pengjiang_2"}
    note = Notification.objects.get(kind="payroll.built")
    assert note.target_url == reverse("assistance_payroll:detail", args=[draft.pk])
    assert "2026-12" in note.title and note.region == district
    payroll.payroll_approve(payroll=draft, by=everyone["ca_pengjiang_2"])
    assert received("payroll.approved") == {"ca_pengjiang"}
    assert not Notification.objects.filter(
        kind__startswith="payroll", recipient__username__in=["ca_taishan", "cw_baisha"]
    )


# ============================================================================ the page


def test_page_lists_own_notifications_unread_first(client, cw_baisha, cw_taicheng):
    old = note_for(cw_baisha, title="旧通知")
    read = note_for(cw_baisha, title="已读通知")
    read.read_at = read.created_at
    read.save()
    new = note_for(cw_baisha, title="新通知")
    note_for(cw_taicheng, title="台城的通知")
    body = login(client, cw_baisha).get(reverse("notifications:list")).content.decode()
    assert body.index("新通知") < body.index("旧通知") < body.index("已读通知")
    assert "台城的通知" not in body
    body = client.get(reverse("notifications:list") + "?unread=1").content.decode()
    assert "已读通知" not in body and "新通知" in body
    assert old.pk and new.pk


def test_mark_one_read_with_htmx_updates_the_row_and_the_badge(client, cw_baisha):
    note = note_for(cw_baisha)
    note_for(cw_baisha)
    c = login(client, cw_baisha)
    resp = c.post(reverse("notifications:read", args=[note.pk]), HTTP_HX_REQUEST="true")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert f'id="notification-{note.pk}"' in body and 'data-read="1"' in body
    assert 'hx-swap-oob="true"' in body and 'data-unread="1"' in body
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_read_without_csrf_is_refused(cw_baisha):
    from django.test import Client

    note = note_for(cw_baisha)
    c = Client(enforce_csrf_checks=True)
    c.force_login(cw_baisha)
    assert c.post(reverse("notifications:read", args=[note.pk])).status_code == 403
    note.refresh_from_db()
    assert note.read_at is None


def test_open_marks_read_and_goes_to_the_target_on_this_site_only(client, cw_baisha):
    note = note_for(cw_baisha, target_url="/dibao/7/")
    c = login(client, cw_baisha)
    resp = c.post(reverse("notifications:open", args=[note.pk]))
    assert resp.status_code == 302 and resp.url == "/dibao/7/"
    note.refresh_from_db()
    assert note.read_at is not None
    evil = note_for(cw_baisha, target_url="https://evil.example/")
    resp = c.post(reverse("notifications:open", args=[evil.pk]))
    assert resp.url == reverse("notifications:list")


def test_mark_all_read_marks_only_ones_own(client, cw_baisha, cw_taicheng):
    mine = [note_for(cw_baisha) for _ in range(3)]
    theirs = note_for(cw_taicheng)
    resp = login(client, cw_baisha).post(reverse("notifications:read_all"))
    assert resp.status_code == 302
    assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_another_users_notification_can_neither_be_read_nor_marked(client, cw_baisha, ca_taishan):
    note = note_for(cw_baisha, title="白沙的通知")
    c = login(client, ca_taishan)
    assert "白沙的通知" not in c.get(reverse("notifications:list")).content.decode()
    for name in ("read", "open"):
        assert c.post(reverse(f"notifications:{name}", args=[note.pk])).status_code == 404
    c.post(reverse("notifications:read_all"))
    note.refresh_from_db()
    assert note.read_at is None


def test_anonymous_is_sent_to_log_in(client):
    resp = client.get(reverse("notifications:list"))
    assert resp.status_code == 302 and reverse("login") in resp.url


def test_list_query_count_at_50_rows(
    client, cw_baisha, ca_pengjiang, django_assert_max_num_queries
):
    Notification.objects.bulk_create(
        [
            Notification(recipient=cw_baisha, kind="x", title=f"通知{i}", actor=ca_pengjiang)
            for i in range(60)
        ]
    )
    c = login(client, cw_baisha)
    # session + user, page count + rows, the badge; nothing per row.
    with django_assert_max_num_queries(8):
        resp = c.get(reverse("notifications:list"))
    assert resp.content.decode().count('data-testid="notification"') == 50


# ============================================================================ the header badge


def test_header_badge_shows_the_unread_count_for_one_query(client, cw_baisha, cw_taicheng):
    note_for(cw_baisha)
    note_for(cw_baisha)
    note_for(cw_taicheng)
    c = login(client, cw_baisha)
    with CaptureQueriesContext(connection) as ctx:
        body = c.get(reverse("home")).content.decode()
    assert 'data-testid="notifications-bell"' in body and 'data-unread="2"' in body
    assert 'data-testid="notifications-unread">2<' in body
    counting = [q["sql"] for q in ctx.captured_queries if "core_notification" in q["sql"]]
    assert len(counting) == 1 and "COUNT" in counting[0].upper()


def test_no_badge_and_no_query_for_anonymous_users(client):
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(reverse("login")).content.decode()
    assert 'data-testid="notifications-bell"' not in body
    assert not [q for q in ctx.captured_queries if "core_notification" in q["sql"]]


def test_no_number_when_all_read(client, cw_baisha):
    body = login(client, cw_baisha).get(reverse("home")).content.decode()
    assert 'data-unread="0"' in body and 'data-testid="notifications-unread"' not in body


# ============================================================================ the API


def test_api_lists_and_marks_only_ones_own(api, cw_baisha, cw_taicheng):
    mine = note_for(cw_baisha, title="白沙")
    theirs = note_for(cw_taicheng, title="台城")
    api.force_authenticate(cw_baisha)
    data = api.get("/api/v1/notifications/").json()
    assert [r["id"] for r in data["results"]] == [mine.pk]
    assert data["results"][0]["read"] is False and data["results"][0]["title"] == "白沙"
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    resp = api.post(f"/api/v1/notifications/{mine.pk}/read/")
    assert resp.status_code == 200 and resp.json()["read"] is True
    assert api.get("/api/v1/notifications/?unread=true").json()["results"] == []
    note_for(cw_baisha)
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("pk", ["-", "null", "abc", "9" * 30])
def test_api_read_of_no_such_id_is_404(api, cw_baisha, pk):
    api.force_authenticate(cw_baisha)
    assert api.post(f"/api/v1/notifications/{pk}/read/").status_code == 404


def test_api_needs_a_signed_in_user(api):
    assert api.get("/api/v1/notifications/").status_code == 401


def test_api_list_query_count(api, cw_baisha, django_assert_max_num_queries):
    Notification.objects.bulk_create(
        [Notification(recipient=cw_baisha, kind="x", title=f"通知{i}") for i in range(50)]
    )
    api.force_authenticate(cw_baisha)
    with django_assert_max_num_queries(4):
        resp = api.get("/api/v1/notifications/")
    assert resp.status_code == 200
