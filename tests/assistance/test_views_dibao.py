"""The dibao case pages: each step's page as the right persona, roles (403), scope (404), the
computation shown, the printable notice, errors that write nothing, and the list's query count."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assistance.dibao import services
from assistance.dibao.panels import dibao_panel
from assistance.models import (
    Attachment,
    BenefitAward,
    CaseTransition,
    DibaoCase,
    DistrictSetting,
    IncomeDeclaration,
    IncomeType,
    Investigation,
)
from households.panels import household_panels, register

from ..conftest import login
from ..factories import region
from .conftest import APPLIED_ON, S, build_case, head_of, on_day, poor_household

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _english_and_panel(client, settings, tmp_path):  # type: ignore[no-untyped-def]
    """English UI (the assertions read English msgids, chosen with the language cookie as the
    switcher does); the panel registered as AssistanceConfig.ready() will."""
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    settings.MEDIA_ROOT = str(tmp_path)
    added = dibao_panel not in household_panels
    register(dibao_panel)
    with translation.override("en"):
        yield
    if added:
        household_panels.remove(dibao_panel)


@pytest.fixture
def household(village_a):  # type: ignore[no-untyped-def]
    return poor_household(village_a)


def url(name: str, case: DibaoCase) -> str:
    return reverse(f"assistance:{name}", args=[case.pk])


def case_at(status, household, cw_baisha, cw_baisha_2, ca_pengjiang=None):  # type: ignore[no-untyped-def]
    return build_case(
        household, to=status, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang
    )


# ----------------------------------------------------------------------------- opening a case


class TestOpenCase:
    def test_household_page_offers_to_open_a_case_then_lists_it(self, client, cw_baisha, household):
        login(client, cw_baisha)
        page = client.get(reverse("households:detail", args=[household.pk])).content.decode()
        assert 'data-testid="dibao-panel"' in page
        assert reverse("assistance:create", args=[household.pk]) in page

        r = client.get(reverse("assistance:create", args=[household.pk]))
        assert r.status_code == 200
        head = head_of(household)
        r = client.post(
            reverse("assistance:create", args=[household.pk]),
            {"applicant": head.pk, "unit": "household"},
        )
        case = DibaoCase.objects.get(household=household)
        assert r.status_code == 302 and r["Location"] == url("detail", case)
        assert case.status == S.DRAFT and case.applicant == head
        assert case.transitions.get().by == cw_baisha

        page = client.get(reverse("households:detail", args=[household.pk])).content.decode()
        assert str(case) in page
        assert reverse("assistance:create", args=[household.pk]) not in page  # one open case

    def test_relative_of_staff_without_note_shows_error_and_writes_nothing(
        self, client, cw_baisha, household
    ):
        login(client, cw_baisha)
        r = client.post(
            reverse("assistance:create", args=[household.pk]),
            {"applicant": head_of(household).pk, "unit": "household", "relative_of_staff": "on"},
        )
        assert r.status_code == 200
        assert "relationship" in str(r.context["form"].errors["relative_note"]).lower()
        r = client.post(reverse("assistance:create", args=[household.pk]), {"unit": "household"})
        assert r.status_code == 200 and "applicant" in r.context["form"].errors
        assert not DibaoCase.objects.exists()

    def test_flagged_relative_and_agent_are_recorded(self, client, cw_baisha, household):
        login(client, cw_baisha)
        client.post(
            reverse("assistance:create", args=[household.pk]),
            {
                "agent_name": "村委会 王主任",
                "unit": "household",
                "relative_of_staff": "on",
                "relative_note": "村干部之弟",
            },
        )
        case = DibaoCase.objects.get()
        assert case.agent_name == "村委会 王主任" and case.relative_of_staff
        assert case.relative_note == "村干部之弟" and case.applicant is None

    def test_roles_that_cannot_open_get_403(self, client, ca_pengjiang, va_baisha, household):
        for user in (ca_pengjiang, va_baisha):
            login(client, user)
            r = client.get(reverse("assistance:create", args=[household.pk]))
            assert r.status_code == 403
            page = client.get(reverse("households:detail", args=[household.pk])).content
            assert reverse("assistance:create", args=[household.pk]).encode() not in page
        assert not DibaoCase.objects.exists()

    def test_other_district_gets_404(self, client, cw_taicheng, household):
        login(client, cw_taicheng)
        assert client.get(reverse("assistance:create", args=[household.pk])).status_code == 404
        r = client.post(
            reverse("assistance:create", args=[household.pk]),
            {"applicant": head_of(household).pk, "unit": "household"},
        )
        assert r.status_code == 404 and not DibaoCase.objects.exists()


# ----------------------------------------------------------------------------- simple steps

STEP_CASES = [
    # step, from status, POST data, status after
    ("sign", S.DRAFT, {"authorization_on": "2026-11-02", "good_faith_on": "2026-11-02"}, S.DRAFT),
    ("apply", S.DRAFT, {"applied_on": "2026-11-02"}, S.APPLIED),
    ("accept", S.APPLIED, {"accepted_on": "2026-11-03"}, S.ACCEPTED),
    ("start_investigation", S.ACCEPTED, {}, S.INVESTIGATING),
    ("extend", S.ACCEPTED, {"reason": "需补充外地收入证明"}, S.ACCEPTED),
    ("notice", S.PROPOSED, {"starts_on": "2026-11-20"}, S.IN_NOTICE),
    (
        "object",
        S.IN_NOTICE,
        {"received_on": "2026-11-08", "objector": "邻居", "content": "家中有出租房"},
        S.INVESTIGATING,
    ),
    ("refuse", S.INVESTIGATING, {"on": "2026-11-10", "reasons": "收入超过标准"}, S.REFUSED),
    ("withdraw", S.APPLIED, {"reason": "申请人撤回"}, S.WITHDRAWN),
    ("review_open", S.CONFIRMED, {"kind": "reported_change", "reason": "就业"}, S.UNDER_REVIEW),
    ("suspend", S.CONFIRMED, {"reason": "外出失联"}, S.SUSPENDED),
    ("terminate", S.CONFIRMED, {"reason": "迁出本市"}, S.TERMINATED),
]


@pytest.mark.parametrize(("step", "start", "data", "after"), STEP_CASES)
def test_step_page_get_and_post(  # type: ignore[no-untyped-def]
    request, client, cw_baisha, cw_baisha_2, ca_pengjiang, household, step, start, data, after
):
    case = case_at(start, household, cw_baisha, cw_baisha_2, ca_pengjiang)
    travel = on_day(dt.date(2026, 11, 20))  # the steps' own day (a notice starts today)
    travel.start()
    request.addfinalizer(travel.stop)
    login(client, cw_baisha)
    detail = client.get(url("detail", case)).content.decode()
    # The button is offered; the reception's steps are one button, their pages stay.
    offered = "reception" if step in ("sign", "apply", "accept") else step
    assert f'data-testid="action-{offered}"' in detail
    r = client.get(url(step, case))
    assert r.status_code == 200 and 'data-testid="step-form"' in r.content.decode()
    r = client.post(url(step, case), data, follow=True)
    assert r.redirect_chain[-1][0] == url("detail", case)
    case.refresh_from_db()
    assert case.status == after
    messages = [str(m) for m in r.context["messages"]]
    assert messages, "a success message is shown"
    if step == "sign":
        assert case.authorization_signed_on == dt.date(2026, 11, 2)
    if step == "extend":
        assert case.extension_reason == "需补充外地收入证明"
        assert case.procedure_due > dt.date(2026, 12, 14)


def test_resume_and_close_review(request, client, cw_baisha, cw_baisha_2, ca_pengjiang, household):  # type: ignore[no-untyped-def]
    case = case_at(S.CONFIRMED, household, cw_baisha, cw_baisha_2, ca_pengjiang)
    travel = on_day(dt.date(2026, 11, 20))
    travel.start()
    request.addfinalizer(travel.stop)
    login(client, cw_baisha)
    client.post(url("suspend", case), {"reason": "暂停"})
    r = client.post(url("resume", case), {"reason": "恢复"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.ACTIVE and case.payment_stop_month is None
    client.post(url("review_open", case), {"kind": "periodic", "reason": "年审"})
    r = client.get(url("review_close", case))
    assert r.status_code == 200 and 'data-testid="computation"' in r.content.decode()
    r = client.post(url("review_close", case), {"outcome": "unchanged", "on": "2026-11-20"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.ACTIVE and case.reviews.get().outcome == "unchanged"


def test_step_not_allowed_in_this_status_redirects_with_message(client, cw_baisha, household):  # type: ignore[no-untyped-def]
    case = services.dibao_case_create(
        household=household, applicant=head_of(household), by=cw_baisha
    )
    login(client, cw_baisha)
    r = client.get(url("accept", case), follow=True)
    assert r.redirect_chain[-1][0] == url("detail", case)
    assert 'data-testid="action-accept"' not in r.content.decode()
    # A stale form posted anyway: the case page says why (an alert, not a 409 or 500 page);
    # nothing changes.
    r = client.post(url("accept", case), {"accepted_on": "2026-11-02"}, follow=True)
    assert r.redirect_chain[-1][0] == url("detail", case)
    shown = [(m.level_tag, str(m)) for m in r.context["messages"]]
    assert any(tag == "warning" and "Cannot accept the application" in m for tag, m in shown)
    case.refresh_from_db()
    assert case.status == S.DRAFT


def test_bad_date_shows_field_error_and_writes_nothing(client, cw_baisha, cw_baisha_2, household):  # type: ignore[no-untyped-def]
    case = case_at(S.APPLIED, household, cw_baisha, cw_baisha_2)
    login(client, cw_baisha)
    r = client.post(url("accept", case), {"accepted_on": "2026-10-01"})  # before the application
    assert r.status_code == 200
    assert "before the application (2026-11-02)" in str(r.context["form"].errors["accepted_on"])
    r = client.post(url("accept", case), {"accepted_on": "not a date"})
    assert r.status_code == 200 and "accepted_on" in r.context["form"].errors
    case.refresh_from_db()
    assert case.status == S.APPLIED and case.accepted_on is None
    assert case.transitions.count() == 3  # opened, signed, applied: nothing more


def test_start_investigation_without_signatures_shows_the_reason(client, cw_baisha, household):  # type: ignore[no-untyped-def]
    case = services.dibao_case_create(
        household=household, applicant=head_of(household), by=cw_baisha
    )
    services.dibao_case_apply(case=case, applied_on=APPLIED_ON, by=cw_baisha)
    services.dibao_case_accept(case=case, accepted_on=APPLIED_ON, by=cw_baisha)
    login(client, cw_baisha)
    r = client.post(url("start_investigation", case), {})
    assert r.status_code == 200 and "authorisation" in r.content.decode()
    case.refresh_from_db()
    assert case.status == S.ACCEPTED


class TestRolesAndScope:
    def test_village_assistant_reads_but_cannot_act(
        self, client, va_baisha, cw_baisha, cw_baisha_2, household
    ):
        case = case_at(S.APPLIED, household, cw_baisha, cw_baisha_2)
        login(client, va_baisha)
        r = client.get(url("detail", case))
        assert r.status_code == 200 and 'data-testid="actions"' not in r.content.decode()
        for step in ("accept", "declarations", "investigation", "withdraw", "attachment_add"):
            r = client.get(url(step, case))
            assert r.status_code == 403, step
        r = client.post(url("accept", case), {"accepted_on": "2026-11-02"})
        assert r.status_code == 403 and 'data-testid="forbidden"' in r.content.decode()
        case.refresh_from_db()
        assert case.status == S.APPLIED

    def test_reviewer_cannot_take_caseworker_steps(
        self, client, ca_pengjiang, cw_baisha, cw_baisha_2, household
    ):
        case = case_at(S.APPLIED, household, cw_baisha, cw_baisha_2)
        login(client, ca_pengjiang)
        assert client.get(url("detail", case)).status_code == 200
        assert client.post(url("accept", case), {"accepted_on": "2026-11-02"}).status_code == 403
        case.refresh_from_db()
        assert case.status == S.APPLIED

    def test_social_security_officer_cannot_decide(self, client, cw_baisha, cw_baisha_2, household):
        from core.roles import Role

        from ..factories import UserFactory, region

        ss = UserFactory(
            username="ss_pj", role=Role.SOCIAL_SECURITY_OFFICER, region=region("440703")
        )
        case = case_at(S.IN_NOTICE, household, cw_baisha, cw_baisha_2)
        login(client, ss)
        assert client.get(url("decide", case)).status_code == 403
        assert client.get(url("detail", case)).status_code == 200

    @pytest.mark.parametrize("outsider", ["cw_taicheng", "ca_taishan"])
    def test_other_district_gets_404_everywhere(
        self, request, client, outsider, cw_baisha, cw_baisha_2, household
    ):
        case = case_at(S.IN_NOTICE, household, cw_baisha, cw_baisha_2)
        att = services.attachment_add(
            case=case, uploaded=SimpleUploadedFile("a.png", PNG), by=cw_baisha
        )
        login(client, request.getfixturevalue(outsider))
        names = ["detail", "decide", "notice_print", "declarations", "investigation", "object"]
        names += ["refuse", "attachment_add"]
        for name in names:
            assert client.get(url(name, case)).status_code == 404, name
        assert client.post(url("object", case), {"content": "x"}).status_code == 404
        assert (
            client.get(reverse("assistance:attachment", args=[case.pk, att.pk])).status_code == 404
        )
        r = client.get(reverse("assistance:list"))
        assert r.context["page"].paginator.count == 0

    def test_anonymous_goes_to_login(self, client, cw_baisha, cw_baisha_2, household):
        case = case_at(S.DRAFT, household, cw_baisha, cw_baisha_2)
        for target in (reverse("assistance:list"), url("detail", case), url("apply", case)):
            r = client.get(target)
            assert r.status_code == 302 and "/login/" in r["Location"]


# ----------------------------------------------------------------------------- declarations


class TestDeclarations:
    def _data(self, rows, prefix="incomes"):  # type: ignore[no-untyped-def]
        data = {
            f"{p}-{k}": v
            for p in ("incomes", "expenditures", "properties")
            for k, v in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0), ("MAX_NUM_FORMS", 1000))
        }
        data[f"{prefix}-TOTAL_FORMS"] = len(rows)
        for i, row in enumerate(rows):
            data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
        return data

    def test_editor_saves_and_replaces(self, client, cw_baisha, cw_baisha_2, household):
        case = case_at(S.INVESTIGATING, household, cw_baisha, cw_baisha_2)
        head = head_of(household)
        child = household.memberships.exclude(person=head).get().person
        login(client, cw_baisha)
        r = client.get(url("declarations", case))
        assert r.status_code == 200
        assert r.context["incomes"].initial[0]["monthly_amount"] == Decimal("300")
        pension = IncomeType.objects.get(code="resident_basic_pension")
        wages = IncomeType.objects.get(code="wages")
        data = self._data(
            [
                {"person": head.pk, "income_type": wages.pk, "monthly_amount": "500"},
                {"person": child.pk, "income_type": pension.pk, "monthly_amount": "180"},
                {"person": "", "income_type": "", "monthly_amount": ""},  # empty row ignored
            ]
        )
        data.update(
            {
                "properties-TOTAL_FORMS": 1,
                "properties-0-kind": "deposit",
                "properties-0-value": "2000",
            }
        )
        r = client.post(url("declarations", case), data)
        assert r.status_code == 302
        assert sorted(case.incomes.values_list("monthly_amount", flat=True)) == [
            Decimal("180"),
            Decimal("500"),
        ]
        assert case.properties.get().value == Decimal("2000")

    def test_member_of_another_household_and_negative_amount_are_refused(
        self, client, cw_baisha, cw_baisha_2, household, village_a
    ):
        case = case_at(S.INVESTIGATING, household, cw_baisha, cw_baisha_2)
        stranger = head_of(poor_household(village_a))
        wages = IncomeType.objects.get(code="wages")
        login(client, cw_baisha)
        data = self._data(
            [
                {"person": head_of(household).pk, "income_type": wages.pk, "monthly_amount": "-5"},
                {"person": stranger.pk, "income_type": wages.pk, "monthly_amount": "100"},
            ]
        )
        r = client.post(url("declarations", case), data)
        assert r.status_code == 200
        forms = r.context["incomes"].forms
        assert "monthly_amount" in forms[0].errors
        assert "person" in forms[1].errors  # not a choice: members only
        assert list(
            IncomeDeclaration.objects.filter(case=case).values_list("monthly_amount", flat=True)
        ) == [Decimal("300")]
        assert "Nothing has been saved" in r.content.decode()


# ----------------------------------------------------------------------------- investigation


class TestInvestigation:
    def test_record_with_two_investigators_and_an_attachment(
        self, client, cw_baisha, cw_baisha_2, ca_pengjiang, cw_taicheng, household
    ):
        case = case_at(S.INVESTIGATING, household, cw_baisha, cw_baisha_2)
        login(client, cw_baisha)
        r = client.get(url("investigation", case))
        choices = {u.username for u in r.context["form"].fields["investigators"].queryset}
        assert {"cw_baisha", "cw_baisha_2"} <= choices
        # Not the district reviewer who decides the case; not another district's user.
        assert "ca_pengjiang" not in choices and "cw_taicheng" not in choices
        child = household.memberships.exclude(relation="head").get().person
        r = client.post(
            url("investigation", case),
            {
                "home_visit_on": "2026-11-04",
                "investigators": [cw_baisha.pk, cw_baisha_2.pk],
                "findings": "家中无稳定收入",
                "neighbour_interviews": "邻居证实",
                "persons_without_supporter": [child.pk],
                "attachments": [SimpleUploadedFile("visit.png", PNG, content_type="image/png")],
            },
        )
        assert r.status_code == 302
        inv = Investigation.objects.get(case=case)
        assert set(inv.investigators.values_list("username", flat=True)) == {
            "cw_baisha",
            "cw_baisha_2",
        }
        assert inv.attachments.get().content_type == "image/png"
        assert list(case.persons_without_supporter.all()) == [child]
        page = client.get(url("detail", case)).content.decode()
        assert "visit.png" in page and "邻居证实" in page
        att = inv.attachments.get()
        r = client.get(reverse("assistance:attachment", args=[case.pk, att.pk]))
        assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"\x89PNG")

    def test_one_investigator_or_bad_file_writes_nothing(
        self, client, cw_baisha, cw_baisha_2, household
    ):
        case = case_at(S.INVESTIGATING, household, cw_baisha, cw_baisha_2)
        login(client, cw_baisha)
        base = {"home_visit_on": "2026-11-04", "findings": "无"}
        r = client.post(url("investigation", case), {**base, "investigators": [cw_baisha.pk]})
        assert r.status_code == 200 and "two" in str(r.context["form"].errors["investigators"])
        r = client.post(
            url("investigation", case),
            {
                **base,
                "investigators": [cw_baisha.pk, cw_baisha_2.pk],
                "attachments": [SimpleUploadedFile("x.txt", b"hello", content_type="text/plain")],
            },
        )
        assert r.status_code == 200 and "x.txt" in str(r.context["form"].errors["attachments"])
        assert not Investigation.objects.exists() and not Attachment.objects.exists()

    def test_attachment_upload_page(self, client, cw_baisha, cw_baisha_2, household):
        case = case_at(S.INVESTIGATING, household, cw_baisha, cw_baisha_2)
        login(client, cw_baisha)
        assert client.get(url("attachment_add", case)).status_code == 200
        r = client.post(
            url("attachment_add", case), {"file": SimpleUploadedFile("a.exe", b"MZ\x90\x00")}
        )
        assert r.status_code == 200 and "file" in r.context["form"].errors
        assert not Attachment.objects.exists()
        r = client.post(
            url("attachment_add", case),
            {"file": SimpleUploadedFile("scan.pdf", b"%PDF-1.4 ..."), "description": "收入证明"},
        )
        assert r.status_code == 302
        assert Attachment.objects.get().description == "收入证明"


# ----------------------------------------------------------------------------- proposal, computation


# The ages in the household (45 and 15) are those of November 2026.
@time_machine.travel("2026-11-20T10:00:00+08:00", tick=False)
def test_proposal_page_shows_the_computation_before_submitting(
    client, cw_baisha, cw_baisha_2, household
):  # type: ignore[no-untyped-def]
    case = case_at(S.INVESTIGATING, household, cw_baisha, cw_baisha_2)
    child = household.memberships.exclude(relation="head").get().person
    services.declarations_replace(
        case=case,
        incomes=[
            {
                "person": head_of(household),
                "income_type": IncomeType.objects.get(code="wages"),
                "monthly_amount": Decimal("300"),
            },
            {
                "person": child,
                "income_type": IncomeType.objects.get(code="scholarship"),
                "monthly_amount": Decimal("150"),
            },
        ],
        expenditures=[],
        properties=[],
        by=cw_baisha,
    )
    services.investigation_record(
        case=case,
        home_visit_on=dt.date(2026, 11, 4),
        investigators=[cw_baisha, cw_baisha_2],
        findings="属实",
        by=cw_baisha,
    )
    login(client, cw_baisha)
    r = client.get(url("propose", case))
    page = r.content.decode()

    def shown(testid: str) -> str:
        m = re.search(rf'data-testid="{testid}">([^<]*)<', page)
        assert m, testid
        return m.group(1).strip()

    # 蓬江 2023 urban standard 914; wages 300 for 2 → 150 a head; (914 − 150) × 2 = 1528;
    # the 15-year-old is a minor: 20% of 914 = 182.80; 1710.80 → 1711. The scholarship is excluded.
    assert shown("comp-members") == "2"
    assert shown("comp-counted") == "300.00"
    assert shown("comp-excluded") == "150.00"
    assert "奖学金、助学金 150" in page
    assert shown("comp-pci") == "150.00"
    assert shown("comp-standard") == "914.00"
    assert shown("comp-topup") == "764.00"
    assert shown("comp-base") == "1528.00"
    assert shown("comp-supplements") == "182.80"
    assert shown("comp-unrounded") == "1710.80"
    assert shown("comp-total") == "1711"
    assert "未成年人" in page and "20.00%" in page
    r = client.post(url("propose", case), {"on": "2026-11-05"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.PROPOSED and case.proposed_amount == Decimal("1711")
    page = client.get(url("detail", case)).content.decode()
    assert 'data-testid="comp-total">1711<' in page
    assert "As proposed by the township" in page


def test_proposal_without_investigation_shows_the_check(client, cw_baisha, cw_baisha_2, household):  # type: ignore[no-untyped-def]
    case = case_at(S.INVESTIGATING, household, cw_baisha, cw_baisha_2)
    login(client, cw_baisha)
    r = client.post(url("propose", case), {"on": "2026-11-05"})
    assert r.status_code == 200 and "home visit" in r.content.decode()
    case.refresh_from_db()
    assert case.status == S.INVESTIGATING


def test_overdue_deadline_is_flagged(client, cw_baisha, cw_baisha_2, household):  # type: ignore[no-untyped-def]
    case = case_at(S.ACCEPTED, household, cw_baisha, cw_baisha_2)
    # investigation_due is 3 working days after 2 Nov 2026; today is later than that.
    login(client, cw_baisha)
    page = client.get(url("detail", case)).content.decode()
    due = re.search(r'data-testid="investigation-due">(.*?)</dd>', page, re.S).group(1)
    assert 'class="overdue"' in due and case.investigation_due.isoformat() in due
    stepper = re.search(r'data-testid="stepper".*?</ol>', page, re.S).group(0)
    assert re.search(r'class="current" data-status="accepted"', stepper)
    assert stepper.count('class="done"') == 2


# ----------------------------------------------------------------------------- the decision


class TestDecision:
    def test_reviewer_sees_everything_and_confirms_in_two_steps(
        self, client, cw_baisha, cw_baisha_2, ca_pengjiang, household
    ):
        case = case_at(S.IN_NOTICE, household, cw_baisha, cw_baisha_2)
        login(client, ca_pengjiang)
        detail = client.get(url("detail", case)).content.decode()
        assert 'data-testid="action-decide"' in detail
        r = client.get(url("decide", case))
        page = r.content.decode()
        assert r.status_code == 200
        assert 'data-testid="comp-total">1711<' in page
        assert "家中无稳定收入" in page  # the investigation findings
        assert 'data-testid="decide-notice"' in page and "2026-11-12" in page
        # Step one: nothing is written, the confirmation is asked.
        r = client.post(url("decide", case), {"confirm-on": "2026-11-13", "confirm-reason": ""})
        assert r.status_code == 200 and 'data-testid="confirm-step"' in r.content.decode()
        assert "2026-12" in r.content.decode()
        case.refresh_from_db()
        assert case.status == S.IN_NOTICE and not BenefitAward.objects.exists()
        # Step two.
        r = client.post(
            url("decide", case),
            {"confirm-on": "2026-11-13", "confirm-reason": "", "final": "yes"},
            follow=True,
        )
        assert r.redirect_chain[-1][0] == url("detail", case)
        case.refresh_from_db()
        assert case.status == S.CONFIRMED and case.confirmed_by == ca_pengjiang
        award = BenefitAward.objects.get(case=case)
        assert award.total == Decimal("1711") and award.effective_month == dt.date(2026, 12, 1)
        page = r.content.decode()
        assert 'data-testid="award-row"' in page and "As confirmed" in page

    def test_confirming_during_the_notice_shows_the_error(
        self, client, cw_baisha, cw_baisha_2, ca_pengjiang, household
    ):
        case = case_at(S.IN_NOTICE, household, cw_baisha, cw_baisha_2)
        login(client, ca_pengjiang)
        r = client.post(url("decide", case), {"confirm-on": "2026-11-12", "final": "yes"})
        assert r.status_code == 200
        assert "2026-11-12" in str(r.context["form"].errors["on"])
        case.refresh_from_db()
        assert case.status == S.IN_NOTICE and not BenefitAward.objects.exists()

    def test_proposer_cannot_confirm_403_with_reason(
        self, client, cw_baisha, cw_baisha_2, household
    ):
        case = case_at(S.IN_NOTICE, household, cw_baisha, cw_baisha_2)
        # Delegated to the township, so the refusal is for separation of duties alone.
        DistrictSetting.objects.create(county=region("440703"), confirmation_delegated=True)
        login(client, cw_baisha)
        assert 'data-testid="action-decide"' not in client.get(url("detail", case)).content.decode()
        r = client.post(url("decide", case), {"confirm-on": "2026-11-13", "final": "yes"})
        assert r.status_code == 403 and "another person" in r.content.decode()
        case.refresh_from_db()
        assert case.status == S.IN_NOTICE

    def test_reviewer_refuses_with_reasons(
        self, client, cw_baisha, cw_baisha_2, ca_pengjiang, household
    ):
        case = case_at(S.IN_NOTICE, household, cw_baisha, cw_baisha_2)
        login(client, ca_pengjiang)
        r = client.post(url("refuse", case), {"on": "2026-11-13", "reasons": ""})
        assert r.status_code == 200 and "reasons" in r.context["form"].errors
        r = client.post(url("refuse", case), {"on": "2026-11-13", "reasons": "有出租房产"})
        assert r.status_code == 302
        case.refresh_from_db()
        assert case.status == S.REFUSED and case.refusal_reasons == "有出租房产"
        t = CaseTransition.objects.filter(case=case).last()
        assert (t.from_status, t.to_status, t.by) == (S.IN_NOTICE, S.REFUSED, ca_pengjiang)
        page = client.get(url("detail", case)).content.decode()
        assert 'class="bad" data-status="refused"' in page and "有出租房产" in page


# ----------------------------------------------------------------------------- printable notice


def test_printable_notice_is_masked_and_shows_no_id_number(
    client, cw_baisha, cw_baisha_2, household
):  # type: ignore[no-untyped-def]
    head = head_of(household)
    head.name = "张小明"
    head.save()
    case = case_at(S.IN_NOTICE, household, cw_baisha, cw_baisha_2)
    login(client, cw_baisha)
    r = client.get(url("notice_print", case))
    page = r.content.decode()
    assert r.status_code == 200
    assert "最低生活保障公示" in page
    assert 'data-testid="notice-name">张*明<' in page
    assert "张小明" not in page
    assert 'data-testid="notice-members">2<' in page
    assert 'data-testid="notice-amount">1711.00<' in page
    assert "2026年11月6日至2026年11月12日" in page
    assert household.village.name in page
    assert "@media print" in page and "A4" in page
    for m in household.memberships.all():
        assert m.person.id_number not in page
        assert m.person.id_number[-6:] not in page
    assert "300" not in page  # the income is not published


def test_no_printable_notice_before_the_notice(client, cw_baisha, cw_baisha_2, household):  # type: ignore[no-untyped-def]
    case = case_at(S.PROPOSED, household, cw_baisha, cw_baisha_2)
    login(client, cw_baisha)
    assert client.get(url("notice_print", case)).status_code == 404


# ----------------------------------------------------------------------------- the list


class TestList:
    def test_filter_by_status_and_search_by_head_name(
        self, client, cw_baisha, cw_baisha_2, village_a, village_b
    ):
        h1, h2 = poor_household(village_a), poor_household(village_b)
        head = head_of(h1)
        head.name = "黄大伟"
        head.save()
        c1 = case_at(S.APPLIED, h1, cw_baisha, cw_baisha_2)
        c2 = case_at(S.DRAFT, h2, cw_baisha, cw_baisha_2)
        login(client, cw_baisha)
        r = client.get(reverse("assistance:list"))
        # The pending application (acceptance deadline) first; the draft has none, so it is last.
        assert [c.pk for c in r.context["page"]] == [c1.pk, c2.pk]
        r = client.get(reverse("assistance:list"), {"status": "applied"})
        assert [c.pk for c in r.context["page"]] == [c1.pk]
        r = client.get(reverse("assistance:list"), {"q": "黄大"})
        assert [c.pk for c in r.context["page"]] == [c1.pk]
        assert "黄大伟" in r.content.decode()
        # Names match from their start (an index answers that), as in the household list.
        r = client.get(reverse("assistance:list"), {"q": "大伟"})
        assert list(r.context["page"]) == []

    def test_village_assistant_sees_own_village_only(
        self, client, va_baisha, cw_baisha, cw_baisha_2, village_a, village_b
    ):
        c1 = case_at(S.DRAFT, poor_household(village_a), cw_baisha, cw_baisha_2)
        case_at(S.DRAFT, poor_household(village_b), cw_baisha, cw_baisha_2)
        login(client, va_baisha)
        r = client.get(reverse("assistance:list"))
        assert [c.pk for c in r.context["page"]] == [c1.pk]

    def test_query_count_is_constant(self, client, cw_baisha, village_a):
        def make(n: int) -> None:
            for _ in range(n):
                h = poor_household(village_a)
                services.dibao_case_create(household=h, applicant=head_of(h), by=cw_baisha)

        login(client, cw_baisha)
        make(5)
        client.get(reverse("assistance:list"))  # warm up session and content types
        with CaptureQueriesContext(connection) as few:
            r = client.get(reverse("assistance:list"))
        assert len(r.context["page"]) == 5
        make(45)
        with CaptureQueriesContext(connection) as many:
            r = client.get(reverse("assistance:list"))
        assert len(r.context["page"]) == 50
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
        # session, user, unread notifications, count, the page's ids, its rows, head names,
        # towns, villages (+1 spare)
        assert len(many) <= 10
