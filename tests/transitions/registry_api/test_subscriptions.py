"""Subscribe / notify: a change in a subscribed region queues a notification with the granted
fields only; a Celery task delivers it (the HTTP call stubbed), each attempt recorded."""

import datetime as dt

import pytest

from assistance.models import CaseTransition, DibaoCase
from households.models import Membership
from transitions.models import (
    RegistryCall,
    RegistryDelivery,
    RegistryNotification,
    RegistrySubscription,
)
from transitions.registry_api import services
from transitions.registry_api.tasks import deliver_registry_notification

from ...factories import household_with_members
from .conftest import call, make_client, token_for

pytestmark = pytest.mark.django_db
HOOK = "https://hrss.example.gov.cn/dci/notify"


@pytest.fixture
def posts(monkeypatch):  # type: ignore[no-untyped-def]
    sent: list[tuple[str, dict]] = []  # type: ignore[type-arg]
    answers = [200]

    def fake_post(url, payload, *, timeout):  # type: ignore[no-untyped-def]
        sent.append((url, payload))
        return answers.pop(0) if len(answers) > 1 else answers[0]

    monkeypatch.setattr(services, "http_post", fake_post)
    fake_post.answers = answers  # type: ignore[attr-defined]
    return sent, answers


def subscribe(api, client, **body):  # type: ignore[no-untyped-def]
    body = {
        "region_code": "440703002",
        "event_types": ["dibao_status"],
        "callback_url": HOOK,
    } | body
    return call(api, token_for(client.application), "subscribe/", body)


def test_subscribe_checks_region_events_and_url(api, hrss):
    r = subscribe(api, hrss)
    assert r.status_code == 200 and r.json()["status"] == "succ"
    sub = RegistrySubscription.objects.get(pk=r.json()["subscription_id"])
    assert sub.region.code == "440703002" and str(sub.transaction_id) == r.json()["transaction_id"]
    bad = [
        ({"region_code": "440781"}, 403, "region_not_granted"),
        ({"event_types": ["births"]}, 400, "unknown_event_type"),
        ({"callback_url": "http://hrss.example.gov.cn/hook"}, 400, "bad_callback_url"),
        ({"callback_url": "https://127.0.0.1/hook"}, 400, "bad_callback_url"),
        ({"callback_url": "https://10.2.3.4/hook"}, 400, "bad_callback_url"),
        ({"callback_url": "https://localhost:8000/hook"}, 400, "bad_callback_url"),
    ]
    for body, status, code in bad:
        r = subscribe(api, hrss, **body)
        assert (r.status_code, r.json()["code"]) == (status, code), body
        assert r.json()["field"] in ("region_code", "event_types", "callback_url")
    assert RegistrySubscription.objects.count() == 1
    assert RegistryCall.objects.filter(endpoint="subscribe").count() == 7
    r = call(api, token_for(hrss.application), "unsubscribe/", {"subscription_id": sub.pk})
    assert r.status_code == 200
    sub.refresh_from_db()
    assert not sub.is_active
    r = call(api, token_for(hrss.application), "unsubscribe/", {"subscription_id": sub.pk})
    assert r.status_code == 404


@pytest.fixture
def eager():  # type: ignore[no-untyped-def]
    """Tasks run in this process — on the Celery app itself: a Django setting changed in a test
    is not re-read by an app already configured, and would outlive the test there."""
    from config.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old


def test_change_queues_granted_fields_and_task_delivers(
    api,
    hrss,
    household_a,
    household_taicheng,
    data_admin,
    posts,
    django_capture_on_commit_callbacks,
    eager,
):
    sent, _answers = posts
    assert subscribe(api, hrss, event_types=["dibao_status", "membership"]).status_code == 200
    narrow = make_client(name="只看户号", fields=("household_id",))
    assert subscribe(api, narrow, callback_url=HOOK + "/2").status_code == 200
    case = DibaoCase.objects.create(household=household_a, created_by=data_admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        CaseTransition.objects.create(case=case, from_status="confirmed", to_status="active")
        # Outside the subscribed region: nobody hears of it.
        other = DibaoCase.objects.create(household=household_taicheng, created_by=data_admin)
        CaseTransition.objects.create(case=other, from_status="confirmed", to_status="active")
    assert sent == []  # nothing is sent inside the writing transaction
    notes = {n.subscription.client.name: n for n in RegistryNotification.objects.all()}
    assert set(notes) == {"人社局系统", "只看户号"}
    assert notes["人社局系统"].payload["record"] == {
        "household_id": household_a.pk,
        "region_code": household_a.village.code,
        "dibao_status": "active",
        "previous_dibao_status": "confirmed",
    }
    assert notes["只看户号"].payload["record"] == {"household_id": household_a.pk}
    for cb in callbacks:
        cb()  # the tasks, eagerly
    assert sorted(url for url, _ in sent) == [HOOK, HOOK + "/2"]
    assert all(p["event_type"] == "dibao_status" and p["notification_id"] for _, p in sent)
    for n in RegistryNotification.objects.all():
        assert n.status == "delivered" and n.attempts == 1
    assert RegistryDelivery.objects.filter(ok=True, status_code=200).count() == 2
    # Delivered once only: running the task again sends nothing.
    deliver_registry_notification.apply(args=[str(notes["只看户号"].pk)])
    assert len(sent) == 2


def test_failed_delivery_recorded_and_given_up_after_the_limit(hrss, household_a, posts, settings):
    settings.REGISTRY_NOTIFY_MAX_ATTEMPTS = 2
    sent, answers = posts
    answers[:] = [500]
    person = household_with_members(household_a.village, members=1).memberships.get().person
    sub = RegistrySubscription.objects.create(
        transaction=services.transaction_open(client=hrss, kind="subscribe"),
        client=hrss,
        region=household_a.village,
        event_types=["membership"],
        callback_url=HOOK,
    )
    Membership.objects.filter(person=person).update(end_date=dt.date(2026, 12, 1))
    Membership.objects.create(
        household=household_a, person=person, relation="other", start_date=dt.date(2026, 12, 2)
    )
    n = RegistryNotification.objects.get(subscription=sub)
    assert n.payload["record"]["change"] == "joined" and "relation" not in n.payload["record"]
    assert services.notification_deliver(notification_id=n.pk) is False
    assert services.notification_deliver(notification_id=n.pk) is False
    n.refresh_from_db()
    assert (n.status, n.attempts) == ("failed", 2)
    assert list(RegistryDelivery.objects.values_list("status_code", "ok")) == [(500, False)] * 2
    assert services.notification_deliver(notification_id=n.pk) is None and len(sent) == 2


def test_expired_client_is_not_notified(hrss, household_a, data_admin, posts):
    RegistrySubscription.objects.create(
        transaction=services.transaction_open(client=hrss, kind="subscribe"),
        client=hrss,
        region=household_a.village,
        event_types=["dibao_status"],
        callback_url=HOOK,
    )
    hrss.expires_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    hrss.save()
    case = DibaoCase.objects.create(household=household_a, created_by=data_admin)
    CaseTransition.objects.create(case=case, from_status="confirmed", to_status="active")
    assert not RegistryNotification.objects.exists()


def test_http_post_refuses_a_name_resolving_inside(monkeypatch):
    import socket

    monkeypatch.setattr(
        socket, "getaddrinfo", lambda host, port: [(2, 1, 6, "", ("192.168.1.5", port))]
    )
    with pytest.raises(ValueError, match="internal"):
        services.http_post("https://intranet.example.gov.cn/x", {}, timeout=1)


def test_a_save_no_one_listens_to_costs_one_query(
    household_a, data_admin, django_assert_num_queries
):
    case = DibaoCase.objects.create(household=household_a, created_by=data_admin)
    with django_assert_num_queries(2):  # the insert, and "anyone subscribed?"
        CaseTransition.objects.create(case=case, from_status="confirmed", to_status="active")
