"""The payroll page while a build runs (one state, approval refused until it is done) and its
lines without a bank account (a count, a filter, a link to the payee for who may edit them)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assistance.models import BenefitAward, DibaoCase, Payroll
from assistance.payroll import services as P
from assistance.payroll.tasks import build_next_month_payrolls
from core.models import Job
from households.models import Membership, Person

from ..conftest import login
from ..factories import HouseholdFactory, PersonFactory
from .conftest import DEC, S, build_confirmed, head_of

pytestmark = pytest.mark.django_db


def _rebuild(payroll_draft, by, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Start a rebuild whose task has not run yet (queued)."""
    with django_capture_on_commit_callbacks(execute=False):
        return P.payroll_build_start(county=payroll_draft.county, month=payroll_draft.month, by=by)


# ============================================================================ while building


def test_queued_rebuild_shows_one_state_and_disables_approval(
    client, payroll_draft, ca_pengjiang, ca_pengjiang_2, django_capture_on_commit_callbacks
):
    job = _rebuild(payroll_draft, ca_pengjiang, django_capture_on_commit_callbacks)
    c = login(client, ca_pengjiang_2)
    body = c.get(reverse("assistance_payroll:detail", args=[payroll_draft.pk])).content.decode()
    progress = body[body.index('id="job-progress"') : body.index("</section>")]
    assert 'data-testid="job-state">Queued<' in progress
    assert "Running" not in progress and "%" not in progress.split("progress-bar")[0]
    assert 'class="progress"' in progress and "progress-bar" in progress  # Bootstrap's bar
    assert f'hx-get="{reverse("assistance_payroll:job", args=[job.pk])}"' in progress
    assert 'data-testid="approve-disabled"' in body and 'data-testid="approve-link"' not in body
    assert "Build again" not in body
    # The confirmation page says why and its button is disabled.
    page = c.get(reverse("assistance_payroll:approve", args=[payroll_draft.pk])).content.decode()
    assert 'data-testid="approve-waits"' in page and "disabled" in page


def test_running_build_shows_percent_and_step_not_queued(
    client, payroll_draft, ca_pengjiang, ca_pengjiang_2, django_capture_on_commit_callbacks
):
    job = _rebuild(payroll_draft, ca_pengjiang, django_capture_on_commit_callbacks)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, progress_done=1, message="Computing 1 lines"
    )
    c = login(client, ca_pengjiang_2)
    fragment = c.get(reverse("assistance_payroll:job", args=[job.pk]), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "HX-Refresh" not in fragment  # not finished: keeps polling
    assert 'data-testid="job-state">Running<' in html and "Queued" not in html
    assert 'data-percent="25"' in html and "25%" in html and "Computing 1 lines" in html
    assert "hx-get" in html


def test_the_task_starts_without_a_leftover_queued_message(payroll_draft, ca_pengjiang):
    job = Job.objects.create(kind=P.JOB_KIND, region=payroll_draft.county, message="Queued")
    from assistance.payroll.tasks import build_payroll

    build_payroll.apply(args=(job.pk, payroll_draft.county_id, DEC.isoformat(), ca_pengjiang.pk))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.message == "1 lines, 1711.00 yuan"


def test_approve_is_refused_by_the_service_and_the_page_while_building(
    client, payroll_draft, ca_pengjiang, ca_pengjiang_2, django_capture_on_commit_callbacks
):
    _rebuild(payroll_draft, ca_pengjiang, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as e:
        P.payroll_approve(payroll=payroll_draft, by=ca_pengjiang_2)
    assert e.value.code == "building"
    resp = login(client, ca_pengjiang_2).post(
        reverse("assistance_payroll:approve", args=[payroll_draft.pk]), follow=True
    )
    assert "being built again" in resp.content.decode()
    payroll_draft.refresh_from_db()
    assert payroll_draft.status == Payroll.Status.DRAFT and payroll_draft.approved_by is None


def test_approve_api_answers_409_while_building(
    api, payroll_draft, ca_pengjiang, ca_pengjiang_2, django_capture_on_commit_callbacks
):
    job = _rebuild(payroll_draft, ca_pengjiang, django_capture_on_commit_callbacks)
    api.force_authenticate(ca_pengjiang_2)
    resp = api.post(f"/api/v1/payrolls/{payroll_draft.pk}/approve/")
    assert resp.status_code == 409
    assert "being built again" in resp.json()["detail"]
    # Once the build has finished, the same call approves.
    P.payroll_build(county=payroll_draft.county, month=DEC, by=ca_pengjiang, job=job)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE)
    assert api.post(f"/api/v1/payrolls/{payroll_draft.pk}/approve/").status_code == 200


def test_the_monthly_job_also_blocks_approval_and_is_shown(
    client, payroll_draft, ca_pengjiang_2, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        jobs = build_next_month_payrolls(on="2026-11-25")
    payroll_draft.refresh_from_db()
    assert payroll_draft.job_id in jobs  # linked: the page shows it
    with pytest.raises(ValidationError, match="being built again"):
        P.payroll_approve(payroll=payroll_draft, by=ca_pengjiang_2)
    body = login(client, ca_pengjiang_2).get(
        reverse("assistance_payroll:detail", args=[payroll_draft.pk])
    )
    assert 'data-testid="job-progress"' in body.content.decode()


def test_a_failed_build_does_not_block_forever(
    client, payroll_draft, ca_pengjiang, ca_pengjiang_2, django_capture_on_commit_callbacks
):
    job = _rebuild(payroll_draft, ca_pengjiang, django_capture_on_commit_callbacks)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, message="worker lost")
    body = login(client, ca_pengjiang_2).get(
        reverse("assistance_payroll:detail", args=[payroll_draft.pk])
    )
    html = body.content.decode()
    assert 'data-testid="job-failed"' in html and "worker lost" in html
    assert 'data-testid="job-progress"' not in html


# ============================================================================ missing accounts


def test_missing_account_links_to_the_payee_for_who_may_edit_them(
    client, payroll_draft, confirmed_case, ca_pengjiang, data_admin
):
    payee = head_of(confirmed_case.household)
    body = login(client, ca_pengjiang).get(
        reverse("assistance_payroll:detail", args=[payroll_draft.pk])
    )
    html = body.content.decode()
    # The district reviewer may not edit persons: plain text.
    assert 'data-testid="missing-account"' in html and "missing-account-link" not in html
    assert "1 payee has no bank account." in html and 'data-testid="filter-missing"' in html
    # The data administrator may: a link to the person's edit page.
    html = (
        login(client, data_admin)
        .get(reverse("assistance_payroll:detail", args=[payroll_draft.pk]))
        .content.decode()
    )
    edit = reverse("households:person_edit", args=[payee.pk])
    assert f'href="{edit}" data-testid="missing-account-link"' in html


def test_missing_filter_lists_only_lines_without_account(
    client, confirmed_case, ca_pengjiang, district, cw_baisha, cw_baisha_2, village_a
):
    other = build_confirmed(village_a, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)
    Person.objects.filter(pk=head_of(other.household).pk).update(
        bank_name="农商银行", bank_account="6228480000001234"
    )
    payroll_draft = P.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll
    c = login(client, ca_pengjiang)
    url = reverse("assistance_payroll:detail", args=[payroll_draft.pk])
    html = c.get(url).content.decode()
    assert html.count('data-testid="payroll-line"') == 2 and "…1234" in html
    html = c.get(url + "?missing=1").content.decode()
    assert html.count('data-testid="payroll-line"') == 1
    assert f"DB{confirmed_case.pk:06d}" in html and f"DB{other.pk:06d}" not in html
    assert "Show all lines" in html
    # The API's lines: the same selector, the same filter.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(ca_pengjiang)
    rows = api.get(f"/api/v1/payrolls/{payroll_draft.pk}/lines/?missing_account=true").json()[
        "results"
    ]
    assert [r["case"] for r in rows] == [confirmed_case.pk]


def test_another_district_sees_nothing(client, payroll_draft, ca_taishan, cw_taicheng):
    for user in (ca_taishan, cw_taicheng):
        c = login(client, user)
        for suffix in ("", "?missing=1"):
            url = reverse("assistance_payroll:detail", args=[payroll_draft.pk]) + suffix
            assert c.get(url).status_code == 404
        assert c.get(
            reverse("assistance_payroll:approve", args=[payroll_draft.pk])
        ).status_code in (
            403,
            404,
        )


def test_detail_query_count_at_50_lines(
    client, ca_pengjiang, data_admin, district, village_a, django_assert_max_num_queries
):
    for i in range(55):
        household = HouseholdFactory(village=village_a)
        person = PersonFactory(region=village_a, bank_account="" if i % 2 else f"62284800{i:08d}")
        Membership.objects.create(
            household=household, person=person, relation="head", start_date=dt.date(2020, 1, 1)
        )
        c = DibaoCase.objects.create(
            household=household,
            applicant=person,
            status=S.CONFIRMED,
            payment_start_month=DEC,
            created_by=ca_pengjiang,
        )
        BenefitAward.objects.create(
            case=c,
            effective_month=DEC,
            base_amount=Decimal("500"),
            supplement_amount=Decimal("0"),
            total=Decimal("500"),
            members=1,
            reason=BenefitAward.Reason.CONFIRMATION,
            decided_on=dt.date(2026, 11, 13),
            decided_by=ca_pengjiang,
        )
    payroll_draft = P.payroll_build(county=district, month=DEC, by=ca_pengjiang).payroll
    assert payroll_draft.line_count == 55
    c = login(client, data_admin)
    with django_assert_max_num_queries(12):
        resp = c.get(reverse("assistance_payroll:detail", args=[payroll_draft.pk]))
    html = resp.content.decode()
    assert html.count('data-testid="payroll-line"') == 50
    assert html.count('data-testid="missing-account-link"') == 25  # every other of the first 50
    with django_assert_max_num_queries(12):
        c.get(reverse("assistance_payroll:detail", args=[payroll_draft.pk]) + "?missing=1")
