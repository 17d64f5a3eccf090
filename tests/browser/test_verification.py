"""Verification's main flows in headless Debian chromium, each at desktop width and 390 px wide.

1. A city data administrator uploads a small CSV (one bad row), watches the progress bar until
   the validation is over (the Celery task is captured and run here, as the payroll page's test
   runs its job), sees the counts and the bad row; a second data administrator approves it
   through the confirmation dialog; once merged, the status says so.
2. The caseworker of 白沙街道 filters the findings worklist, opens a finding and dismisses it
   with a reason (confirmation dialog); its state changes; the case page shows the findings panel
   and the score panel.
3. The auditor opens "My audits", records a discrepancy on a sampled household; a household
   outside the sample gives the denial page.

Flows 2 and 3 run on the demo register `make run` builds (seed_demo, demo_users,
seed_demo_cases, then seed_demo_verification), so they also show the demo data works.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from assistance.models import DibaoCase
from core.roles import Role
from households.models import Household
from verification import kinds as K
from verification.datasets import tasks as dataset_tasks
from verification.datasets.importing import snapshot_validate
from verification.datasets.services import dataset_merge
from verification.models import AuditSample, DatasetSnapshot, Finding

from ..factories import UserFactory, make_id_number, region
from .test_exit_phase_out import DESKTOP, PASSWORD, PHONE, fits, log_in

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


def zh(label: Any) -> str:
    """The Chinese of a label: a lazy one as it renders, a plain msgid through the catalogue."""
    with translation.override("zh-hans"):
        return translation.gettext(label) if isinstance(label, str) else str(label)


@pytest.fixture(params=list(WIDTHS))
def vpage(request, browser, live_server) -> Iterator[tuple[Page, set[str]]]:  # type: ignore[no-untyped-def]
    """A page at one of the two widths; like conftest's `page`, every HTTP error fails the
    test — except the paths the test says it expects a denial on (the second item)."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=WIDTHS[request.param]
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    denied: set[str] = set()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"script error: {exc}"))
    page.on(
        "response",
        lambda r: (
            errors.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400
            and not r.url.endswith("/favicon.ico")
            and not (r.status == 403 and any(r.url.endswith(p) for p in denied))
            else None
        ),
    )
    yield page, denied
    context.close()
    assert not errors, f"errors while the page ran: {errors}"


def open_menu(page: Page) -> None:
    """On a phone the main menu is folded behind its toggle: open it."""
    toggle = page.get_by_test_id("menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
        expect(page.locator("#main-menu")).to_be_visible()


def log_out(page: Page) -> None:
    open_menu(page)
    with page.expect_navigation():
        page.locator("header form[action='/logout/'] button").click()


def accept_next_dialog(page: Page, seen: list[str]) -> None:
    def accept(dialog: Any) -> None:
        seen.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)


# ----------------------------------------------------------------------------- 1. datasets


@pytest.fixture
def queued(monkeypatch) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    """The dataset tasks are not sent to a broker: their snapshot ids are kept for the test."""
    sent: dict[str, list[int]] = {"validate": [], "merge": []}
    monkeypatch.setattr(dataset_tasks.validate_snapshot, "delay", sent["validate"].append)
    monkeypatch.setattr(dataset_tasks.merge_snapshot, "delay", sent["merge"].append)
    return sent


def _deposit_csv() -> bytes:
    kind = K.KINDS["bank_deposit"]
    headers = [zh(f.label) for f in kind.fields]  # 身份证号, 姓名, …
    lines = [",".join(headers)]
    for n in range(40):
        lines.append(
            f"{make_id_number(dt.date(1970, 1, 1) + dt.timedelta(days=n))},储户{n},江门农商银行,{1000 + n}.50"
        )
    lines.append("12345,坏行,江门农商银行,800")  # row 42: not an ID number
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_data_admin_uploads_and_second_admin_approves(
    vpage, reference_data, queued, settings, tmp_path
):  # type: ignore[no-untyped-def]
    page, _ = vpage
    settings.MEDIA_ROOT = str(tmp_path)
    city = region("440700")
    UserFactory(username="data_admin", role=Role.DATA_ADMIN, region=city, last_name="数据管理员甲")
    UserFactory(
        username="data_admin_2", role=Role.DATA_ADMIN, region=city, last_name="数据管理员乙"
    )
    log_in(page, "data_admin", "数据管理员甲")
    page.goto("/verification/datasets/upload/")
    fits(page)
    page.select_option("select[name=kind]", "bank_deposit")
    page.fill("input[name=as_of]", (timezone.localdate() - dt.timedelta(days=3)).isoformat())
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "存款.csv", "mimeType": "text/csv", "buffer": _deposit_csv()}],
    )
    with page.expect_navigation():
        page.get_by_test_id("upload-start").click()
    snapshot = DatasetSnapshot.objects.get()
    assert queued["validate"] == [snapshot.pk]
    # The progress bar polls while the worker has not finished; it goes once the work is done.
    expect(page.get_by_test_id("job-progress")).to_be_visible()
    fits(page)
    snapshot_validate(snapshot_id=snapshot.pk)
    expect(page.get_by_test_id("job-progress")).to_have_count(0, timeout=8_000)
    status = page.get_by_test_id("snapshot-status")
    expect(status).to_have_text(zh(DatasetSnapshot.Status.VALIDATED.label))
    counts = page.get_by_test_id("snapshot-counts")
    expect(counts).to_contain_text("41")
    expect(counts).to_contain_text("40")
    errors = page.get_by_test_id("snapshot-errors")
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors.locator("tbody tr").first).to_contain_text("42")
    expect(errors).to_contain_text("*****")  # the bad ID number, masked
    # The uploader may not approve it.
    expect(page.get_by_test_id("approve")).to_have_count(0)
    fits(page)
    log_out(page)

    log_in(page, "data_admin_2", "数据管理员乙")
    page.goto(f"/verification/datasets/{snapshot.pk}/")
    page.fill("textarea[name=approve-reason]", "已核对行数与部门来函一致")
    seen: list[str] = []
    accept_next_dialog(page, seen)
    with page.expect_navigation():
        page.get_by_test_id("approve").click()
    assert seen and seen[0]  # the confirmation was asked
    expect(status).to_have_text(zh(DatasetSnapshot.Status.APPROVED.label))
    assert queued["merge"] == [snapshot.pk]
    dataset_merge(snapshot_id=snapshot.pk)
    page.reload()
    expect(status).to_have_text(zh(DatasetSnapshot.Status.MERGED.label))
    expect(page.get_by_test_id("snapshot-history")).to_contain_text("数据管理员乙")
    fits(page)
    snapshot.refresh_from_db()
    assert snapshot.status == DatasetSnapshot.Status.MERGED and snapshot.decided_by is not None


# ----------------------------------------------------------------------------- the demo register


@pytest.fixture
def demo(reference_data, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    settings.DEMO_PASSWORD = PASSWORD
    settings.MEDIA_ROOT = str(tmp_path)
    out = StringIO()
    call_command("seed_demo", "--households", "2000", stdout=out)
    call_command("demo_users", stdout=out)
    call_command("seed_demo_cases", stdout=out)
    call_command("seed_demo_verification", stdout=out)


# ----------------------------------------------------------------------------- 2. findings


def test_caseworker_dismisses_a_finding_and_sees_the_case_panels(vpage, demo):  # type: ignore[no-untyped-def]
    page, _ = vpage
    finding = (
        Finding.objects.filter(
            state__in=Finding.UNRESOLVED,
            village__path__startswith=region("440703002").path,
            case__isnull=False,
        )
        .select_related("rule")
        .order_by("id")
        .first()
    )
    assert finding is not None, "the demo has an open finding in 白沙"
    log_in(page, "cw_baisha", "白沙街道 低保经办员")
    page.goto("/verification/checks/findings/")
    rows = page.get_by_test_id("finding-row")
    expect(rows.first).to_be_visible()
    fits(page)
    # Filter by the finding's rule (HTMX swaps the table).
    page.select_option("select[name=rule]", finding.rule_code)
    expect(rows.filter(has_not_text=finding.rule.label)).to_have_count(0)
    expect(rows.filter(has_text=str(finding))).to_have_count(1)
    fits(page)
    page.get_by_role("link", name=str(finding), exact=True).click()
    state = page.get_by_test_id("finding-state")
    expect(state).to_have_text(zh(Finding.State(finding.state).label))
    dismiss = page.get_by_test_id("action-dismiss")
    dismiss.locator("input[name=reason]").fill("入户核实：该账户已于上月销户")
    seen: list[str] = []
    accept_next_dialog(page, seen)
    with page.expect_navigation():
        dismiss.locator("button[type=submit]").click()
    assert seen
    expect(state).to_have_text(zh(Finding.State.DISMISSED.label))
    expect(page.locator("main")).to_contain_text("入户核实：该账户已于上月销户")
    expect(page.get_by_test_id("action-dismiss")).to_have_count(0)
    fits(page)
    finding.refresh_from_db()
    assert finding.state == Finding.State.DISMISSED and finding.resolved_by.username == "cw_baisha"

    # The case page: the findings panel (loaded by HTMX) and the score panel beside it.
    case = finding.case
    assert case is not None
    page.goto(reverse("assistance:detail", args=[case.pk]))
    panel = page.get_by_test_id("findings-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(str(finding))
    expect(page.get_by_test_id("score-panel")).to_be_visible()
    fits(page)


# ----------------------------------------------------------------------------- 3. audits


def test_auditor_records_a_discrepancy_and_is_denied_outside_the_sample(vpage, demo):  # type: ignore[no-untyped-def]
    page, denied = vpage
    pending = AuditSample.objects.filter(result=AuditSample.Result.PENDING).order_by("id")
    assert pending.exists(), "the demo's plan leaves a household to audit"
    log_in(page, "auditor", "第三方抽查审计员")
    open_menu(page)
    page.get_by_role("link", name=zh("My audits")).first.click()
    table = page.get_by_test_id("audit-worklist")
    expect(table.locator("tbody tr").first).to_be_visible()
    fits(page)
    sample = pending.first()
    assert sample is not None
    page.goto(f"/verification/audits/samples/{sample.pk}/")
    form = page.get_by_test_id("record-form")
    form.locator("input[name=result][value=discrepancy]").check()
    form.locator("select[name=discrepancy_kind]").select_option(AuditSample.Discrepancy.OTHER.value)
    form.locator("textarea[name=details]").fill("家中实际居住二人，登记为三人")
    # The date is filled by hand: the form's default (today) is rendered in the Chinese
    # format (2026/12/03), which a date input does not take (reported to the integrator).
    form.locator("input[name=visited_on]").fill(timezone.localdate().isoformat())
    fits(page)
    with page.expect_navigation():
        form.locator("button").click()
    expect(page).to_have_url(f"{page.url.split('/verification/')[0]}/verification/audits/worklist/")
    sample.refresh_from_db()
    assert sample.result == AuditSample.Result.DISCREPANCY
    assert sample.recorded_by.username == "auditor"
    page.goto(f"/verification/audits/samples/{sample.pk}/")
    expect(page.get_by_test_id("sample-result")).to_contain_text("家中实际居住二人")
    expect(page.get_by_test_id("record-form")).to_have_count(0)

    # A household no plan of theirs sampled: the denial page, nothing of the household.
    drawn = AuditSample.objects.values("household_id")
    outside = (
        Household.objects.exclude(pk__in=drawn)
        .filter(dibao_cases__status__in=DibaoCase.Status.values)
        .order_by("id")
        .first()
    )
    assert outside is not None
    path = reverse("households:detail", args=[outside.pk])
    denied.add(path)
    response = page.goto(path)
    assert response is not None and response.status == 403
    expect(page.locator("main")).not_to_contain_text(outside.address)
    fits(page)
