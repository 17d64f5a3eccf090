"""The standing public disclosure (domain.md §5.9): public page, versions, takedown, objections."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from assistance.oversight.inbox import inbox_items
from transitions.disclosure import services
from transitions.models import Publication, PublicObjection

from ...conftest import login
from .conftest import PHONE

pytestmark = pytest.mark.django_db


def url(pub: Publication) -> str:
    return reverse("gongshi:list", args=[pub.token])


def test_public_page_shows_only_masked_names_members_and_amounts(client, published, recipients):
    html = client.get(url(published)).content.decode()
    assert "张*明" in html and "欧阳**" in html and "李*强" in html
    assert "450.00" in html and "1380.00" in html
    assert "张三明" not in html and "欧阳建国" not in html and "李四强" not in html
    for h in recipients.values():
        if hasattr(h, "memberships"):
            for m in h.memberships.all():
                assert m.person.id_number not in html
                assert m.person.birth_date.isoformat() not in html
    assert PHONE not in html
    assert not re.search(r"\d{17}[\dX]", html)  # nothing shaped like an ID number
    row = next(r for r in published.rows if r["kind"] == "dibao")
    assert set(row) == {"ref", "kind", "village", "name", "members", "amount"}
    assert row["members"] == 3
    # The row's reference is random, never the case's id.
    assert str(recipients["case"].pk) != row["ref"]


def test_a_new_version_replaces_the_old_on_the_page_and_both_are_kept(
    client, published, recipients, village_a, cw_baisha
):
    recipients["case"].status = "terminated"
    recipients["case"].save()
    newer = services.publication_publish(region=village_a, by=cw_baisha)
    html = client.get(url(published)).content.decode()  # the old address shows the latest
    assert "张*明" not in html and "欧阳**" in html
    assert Publication.objects.filter(region=village_a).count() == 2
    assert any(r["name"] == "张*明" for r in Publication.objects.get(pk=published.pk).rows)
    assert newer.transitions.get().action == "publish"


def test_taken_down_page_shows_only_a_notice(client, published, cw_baisha):
    with pytest.raises(ValidationError):
        services.publication_take_down(publication=published, reason=" ", by=cw_baisha)
    services.publication_take_down(publication=published, reason="金额有误", by=cw_baisha)
    response = client.get(url(published))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="taken-down"' in html
    assert "张*明" not in html and "450.00" not in html and "objection-form" not in html
    pub = Publication.objects.get(pk=published.pk)
    assert pub.status == "taken_down" and pub.takedown_reason == "金额有误"
    t = pub.transitions.get(action="take_down")
    assert (t.by, t.from_status, t.to_status) == (cw_baisha, "published", "taken_down")
    # Filing against it is refused, too.
    with pytest.raises(ValidationError):
        services.objection_file(publication=pub, row_ref="", text="x", contact="")


def test_takedown_page_asks_for_confirmation_with_a_reason(client, published, cw_baisha):
    login(client, cw_baisha)
    page = reverse("transitions:publication_take_down", args=[published.pk])
    assert 'data-testid="take-down-form"' in client.get(page).content.decode()
    assert client.post(page, {"reason": ""}).status_code == 200  # the form again, with the error
    assert Publication.objects.get(pk=published.pk).status == "published"
    assert client.post(page, {"reason": "重复"}).status_code == 302
    assert Publication.objects.get(pk=published.pk).status == "taken_down"


def test_unknown_token_is_404(client, published):
    assert client.get(reverse("gongshi:list", args=["nope" + published.token])).status_code == 404


def test_rate_limit_returns_429(client, published, settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        | {"transitions_disclosure": "3/min"}
    }
    for _i in range(3):
        assert client.get(url(published)).status_code == 200
    assert client.get(url(published)).status_code == 429
    assert client.post(url(published), {"text": "x"}).status_code == 429
    assert not PublicObjection.objects.exists()


@time_machine.travel(dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC), tick=False)
def test_anonymous_objection_is_a_grievance_due_in_the_towns_inbox(
    client, published, cw_baisha, cw_taicheng
):
    row = next(r for r in published.rows if r["kind"] == "dibao")
    response = client.post(
        url(published), {"row_ref": row["ref"], "text": "他家有车", "contact": ""}
    )
    assert 'data-testid="objection-thanks"' in response.content.decode()
    objection = PublicObjection.objects.get()
    assert objection.publication == published and objection.row_ref == row["ref"]
    # 15 working days after Thursday 2026-12-03 (no holidays in between).
    assert objection.due_on == dt.date(2026, 12, 24)
    assert objection.transitions.get().action == "file"
    items = [i for i in inbox_items(cw_baisha) if i.kind == "public_objection"]
    assert [i.deadline for i in items] == [dt.date(2026, 12, 24)]
    assert items[0].url == reverse("transitions:public_objection", args=[objection.pk])
    assert not [i for i in inbox_items(cw_taicheng) if i.kind == "public_objection"]

    login(client, cw_baisha)
    page = reverse("transitions:public_objection", args=[objection.pk])
    assert "他家有车" in client.get(page).content.decode()
    assert client.post(page, {"outcome": "核实：车辆已于2025年出售"}).status_code == 302
    objection.refresh_from_db()
    assert (objection.status, objection.answered_by) == ("answered", cw_baisha)
    assert list(objection.transitions.values_list("action", flat=True)) == ["file", "answer"]
    assert not [i for i in inbox_items(cw_baisha) if i.kind == "public_objection"]


def test_honeypot_records_nothing(client, published):
    response = client.post(url(published), {"text": "spam", "website": "http://x"})
    assert response.status_code == 200
    assert not PublicObjection.objects.exists()


def test_an_unknown_row_is_a_field_error(client, published):
    response = client.post(url(published), {"row_ref": "12345", "text": "x"})
    assert response.status_code == 200
    assert not PublicObjection.objects.exists()


def test_outsider_cannot_publish_take_down_or_see_objections(
    client, published, cw_taicheng, village_a
):
    objection = services.objection_file(
        publication=published, row_ref="", text="名单不全", contact=""
    )
    with pytest.raises(PermissionDenied):
        services.publication_publish(region=village_a, by=cw_taicheng)
    with pytest.raises(PermissionDenied):
        services.publication_take_down(publication=published, reason="x", by=cw_taicheng)
    with pytest.raises(PermissionDenied):
        services.objection_answer(objection=objection, outcome="x", by=cw_taicheng)
    login(client, cw_taicheng)
    assert client.get(reverse("transitions:publication", args=[published.pk])).status_code == 404
    take_down = reverse("transitions:publication_take_down", args=[published.pk])
    assert client.post(take_down, {"reason": "x"}).status_code == 404
    page = reverse("transitions:public_objection", args=[objection.pk])
    assert client.get(page).status_code == 404
    assert client.post(page, {"outcome": "x"}).status_code == 404
    listing = client.get(reverse("transitions:public_objections"), {"status": ""})
    assert "名单不全" not in listing.content.decode() and str(objection.pk) not in [
        m for m in re.findall(r"public_objection/(\d+)", listing.content.decode())
    ]
    client.post(reverse("transitions:publications"), {"region": village_a.pk})
    assert Publication.objects.count() == 1
    assert Publication.objects.get().status == "published"


def test_staff_publish_page(client, recipients, cw_baisha, village_a):
    login(client, cw_baisha)
    response = client.post(reverse("transitions:publications"), {"region": village_a.pk})
    assert response.status_code == 302
    pub = Publication.objects.get()
    assert (pub.region, pub.published_by, len(pub.rows)) == (village_a, cw_baisha, 3)
    assert village_a.name in client.get(reverse("transitions:publications")).content.decode()


def test_a_town_list_holds_its_villages(recipients, baisha, cw_baisha):
    pub = services.publication_publish(region=baisha, by=cw_baisha)
    assert len(pub.rows) == 3


def test_monthly_job_republishes_standing_lists_once(published, village_a, village_b, cw_baisha):
    other = services.publication_publish(region=village_b, by=cw_baisha)
    services.publication_take_down(publication=other, reason="错误", by=cw_baisha)
    # The 1st of next month at 04:00, whatever today is (the suite also runs on shifted clocks).
    today = timezone.localdate()
    next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    first = dt.datetime.combine(next_month, dt.time(4), tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(first, tick=False):
        assert services.publications_republish(on=first.date()) == 1
        assert services.publications_republish(on=first.date()) == 0
    latest = Publication.objects.filter(region=village_a).first()
    assert latest.published_by is None and latest.transitions.get().action == "republish"
    assert Publication.objects.filter(region=village_b).count() == 1


@time_machine.travel(dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC), tick=False)
def test_the_answer_limit_is_policy_data(client, published):
    from assistance.models import PolicyParameter

    PolicyParameter.objects.filter(key=PolicyParameter.Key.OBJECTION_ANSWER_WD).update(value=5)
    row = next(r for r in published.rows if r["kind"] == "dibao")
    client.post(url(published), {"row_ref": row["ref"], "text": "他家有车", "contact": ""})
    # 5 working days after Thursday 2026-12-03.
    assert PublicObjection.objects.get().due_on == dt.date(2026, 12, 10)
