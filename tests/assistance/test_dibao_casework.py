"""Issue 7, the case workflow pages: investigators who are users or named persons (and the
district reviewer who decides is never one of them), the one-step reception at the service
window, and posts the case has overtaken (double click, back button, step out of order, stale
page) — a clear message, nothing written twice."""

import datetime as dt
import json
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from assistance.dibao import services
from assistance.dibao.workflow import DIBAO, RECEPTION
from assistance.models import (
    BenefitAward,
    CaseTransition,
    DibaoCase,
    Investigation,
    NamedInvestigator,
)

from ..conftest import login
from .conftest import APPLIED_ON, S, build_case, head_of, on_day, poor_household

pytestmark = pytest.mark.django_db

VISIT = dt.date(2026, 11, 4)
CADRE = {"name": "李村长", "unit": "白沙甲社区居委会", "role": "village_cadre"}
LEADER = {"name": "黄组长", "unit": "", "role": "group_leader"}


@pytest.fixture(autouse=True)
def _english(client, api, settings, tmp_path):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    settings.MEDIA_ROOT = str(tmp_path)
    with translation.override("en"):
        yield


@pytest.fixture
def today(request):  # type: ignore[no-untyped-def]
    """The steps' own day: 2026-11-20 in Jiangmen."""
    travel = on_day(dt.date(2026, 11, 20))
    travel.start()
    request.addfinalizer(travel.stop)
    return dt.date(2026, 11, 20)


@pytest.fixture
def case_at(cw_baisha, cw_baisha_2, ca_pengjiang, village_a):  # type: ignore[no-untyped-def]
    def _at(status: str) -> DibaoCase:
        return build_case(
            poor_household(village_a),
            to=status,
            maker=cw_baisha,
            second=cw_baisha_2,
            checker=ca_pengjiang,
        )

    return _at


def url(name: str, case: DibaoCase) -> str:
    return reverse(f"assistance:{name}", args=[case.pk])


def api_post(api, case, action, data):  # type: ignore[no-untyped-def]
    return api.post(
        f"/api/v1/dibao-cases/{case.pk}/{action}/",
        data=json.dumps(data),
        content_type="application/json",
    )


def visit_post(*investigators, named=(), findings="走访", **extra):  # type: ignore[no-untyped-def]
    """The investigation page's post: a home visit on VISIT by `investigators` (users), with
    the `named` investigators' rows (named_post)."""
    return {
        "home_visit_on": VISIT.isoformat(),
        "investigators": [u.pk for u in investigators],
        "findings": findings,
        **named_post(*named),
        **extra,
    }


def shown_messages(response) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def named_post(*rows: dict[str, str], extra: int = 3) -> dict[str, str]:
    """The named-investigator rows as the page posts them (blank rows included)."""
    rows = (*rows, *({"name": "", "unit": "", "role": ""} for _ in range(extra - len(rows))))
    data = {"named-TOTAL_FORMS": str(len(rows)), "named-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data |= {f"named-{i}-{k}": v for k, v in row.items()}
    return data


# ----------------------------------------------------------------------------- investigators


@pytest.mark.parametrize(
    ("users", "named", "error"),
    [
        (2, [], None),
        (1, [CADRE], None),
        (0, [CADRE, LEADER], None),
        (1, [], "investigators"),
        (0, [CADRE], "investigators"),
        (1, [{"name": " ", "unit": "村委", "role": "village_cadre"}], "named_investigators.0.name"),
        (1, [{"name": "李村长", "unit": "", "role": "mayor"}], "named_investigators.0.role"),
        (0, [CADRE, CADRE], "named_investigators.1.name"),
    ],
    ids=[
        "two-users",
        "user-and-cadre",
        "two-named",
        "one-user",
        "one-named",
        "named-without-name",
        "named-bad-role",
        "named-twice",
    ],
)
def test_an_investigator_is_a_user_or_a_named_person(  # type: ignore[no-untyped-def]
    case_at, cw_baisha, cw_baisha_2, users, named, error
):
    case = case_at(S.INVESTIGATING)
    with on_day(dt.date(2026, 11, 5)):

        def record() -> Investigation:
            return services.investigation_record(
                case=case,
                home_visit_on=VISIT,
                investigators=[cw_baisha, cw_baisha_2][:users],
                named=named,
                findings="家中无稳定收入",
                by=cw_baisha,
            )

        if error is None:
            inv = record()
            assert inv.investigators.count() == users
            assert [(p.name, p.unit, p.role) for p in inv.named_investigators.all()] == [
                (p["name"], p["unit"], p["role"]) for p in named
            ]
        else:
            with pytest.raises(ValidationError) as exc:
                record()
            assert error in exc.value.message_dict
            assert not Investigation.objects.exists() and not NamedInvestigator.objects.exists()


def _record_with_the_reviewer(case, cw_baisha, ca_pengjiang):  # type: ignore[no-untyped-def]
    """The home visit recorded with the district reviewer among the investigators."""
    return services.investigation_record(
        case=case,
        home_visit_on=VISIT,
        investigators=[cw_baisha, ca_pengjiang],
        findings="走访",
        by=cw_baisha,
    )


@pytest.mark.parametrize("channel", ["service", "page", "api"])
def test_the_district_reviewer_who_decides_is_not_recordable_as_investigator(  # type: ignore[no-untyped-def]
    request, client, api, case_at, cw_baisha, ca_pengjiang, channel
):
    case = case_at(S.INVESTIGATING)
    before = CaseTransition.objects.filter(case=case).count()
    with on_day(dt.date(2026, 11, 5)):
        if channel == "service":
            with pytest.raises(ValidationError) as exc:
                _record_with_the_reviewer(case, cw_baisha, ca_pengjiang)
            message = exc.value.message_dict["investigators"][0]
        elif channel == "page":
            login(client, cw_baisha)
            r = client.post(url("investigation", case), visit_post(cw_baisha, ca_pengjiang))
            # Not even offered; posted anyway, the field says why.
            assert r.status_code == 200
            assert ca_pengjiang not in r.context["form"].fields["investigators"].queryset
            message = " ".join(r.context["form"].errors["investigators"])
        else:
            login(api, cw_baisha)
            r = api_post(
                api,
                case,
                "investigation",
                {
                    "home_visit_on": VISIT.isoformat(),
                    "investigators": [cw_baisha.pk, ca_pengjiang.pk],
                    "findings": "走访",
                },
            )
            assert r.status_code == 400
            message = r.json()["investigators"]["non_field_errors"][0]
    assert "decides this case" in message and "separation of duties" in message
    assert not Investigation.objects.exists()
    assert CaseTransition.objects.filter(case=case).count() == before


def test_the_refusal_of_the_reviewer_reads_in_chinese(case_at, cw_baisha, ca_pengjiang):  # type: ignore[no-untyped-def]
    case = case_at(S.INVESTIGATING)
    with (
        on_day(dt.date(2026, 11, 5)),
        translation.override("zh-hans"),
        pytest.raises(ValidationError) as exc,
    ):
        _record_with_the_reviewer(case, cw_baisha, ca_pengjiang)
    assert "不能同时登记为本案的调查人员" in exc.value.message_dict["investigators"][0]


def _noticed_with_investigators(case_at, cw_baisha, recorder, investigators, named):  # type: ignore[no-untyped-def]
    """A case in notice whose home visit was recorded by `recorder` with these investigators."""
    case = case_at(S.INVESTIGATING)
    with on_day(dt.date(2026, 11, 5)):
        services.investigation_record(
            case=case,
            home_visit_on=VISIT,
            investigators=investigators,
            named=named,
            findings="走访",
            by=recorder,
        )
        services.dibao_case_propose(case=case, on=dt.date(2026, 11, 5), by=cw_baisha)
    with on_day(dt.date(2026, 11, 6)):
        services.dibao_case_start_notice(case=case, starts_on=dt.date(2026, 11, 6), by=cw_baisha)
    case.refresh_from_db()
    return case


@pytest.mark.parametrize("decision", ["confirm", "decide_refuse", "repropose"])
@pytest.mark.parametrize("who", ["investigator", "recorder"])
def test_whoever_investigated_or_recorded_it_never_decides(  # type: ignore[no-untyped-def]
    case_at, cw_baisha, cw_baisha_2, ca_pengjiang, district, decision, who
):
    """Confirmation delegated to the township: a township caseworker may decide, except one who
    was named on the home visit or typed it in."""
    from assistance.models import DistrictSetting

    from ..factories import UserFactory, region

    DistrictSetting.objects.create(county=district, confirmation_delegated=True)
    recorder = UserFactory(username="cw_recorder", role="caseworker", region=region("440703002"))
    other = UserFactory(username="cw_other", role="caseworker", region=region("440703002"))
    case = _noticed_with_investigators(
        case_at, cw_baisha, recorder, [cw_baisha_2], [CADRE]
    )  # one user and a village cadre
    took_part = cw_baisha_2 if who == "investigator" else recorder
    with pytest.raises(PermissionDenied, match="separation of duties"):
        DIBAO.check(case, decision, took_part)
    assert decision not in DIBAO.allowed(case, took_part)
    # The inbox query agrees with the guard.
    actionable = DibaoCase.objects.filter(DIBAO.q_actionable(decision, took_part))
    assert case not in actionable
    # Someone who took no part may (the named cadre blocks no user).
    assert decision in DIBAO.allowed(case, other)
    assert case in DibaoCase.objects.filter(DIBAO.q_actionable(decision, other))
    assert decision in DIBAO.allowed(case, ca_pengjiang)


def test_the_page_records_and_shows_named_investigators(  # type: ignore[no-untyped-def]
    client, case_at, cw_baisha, cw_baisha_2
):
    case = case_at(S.INVESTIGATING)
    login(client, cw_baisha)
    with on_day(dt.date(2026, 11, 5)):
        page = client.get(url("investigation", case)).content.decode()
        # Bootstrap: a checkbox right beside its label; 请选择 (here its msgid) in the dropdown.
        assert 'class="form-check-input' in page and 'class="form-check-label"' in page
        assert ">Please choose</option>" in page and "---------" not in page
        assert re.search(r">\s*Full name\s*</label>", page)
        r = client.post(
            url("investigation", case),
            visit_post(
                cw_baisha, named=[CADRE], findings="家中无稳定收入", submission=str(uuid.uuid4())
            ),
        )
    assert r.status_code == 302, r.context["form"].errors if r.context else r
    inv = Investigation.objects.get(case=case)
    assert list(inv.investigators.all()) == [cw_baisha]
    assert inv.named_investigators.get().name == "李村长"
    detail = client.get(url("detail", case)).content.decode()
    assert "李村长（白沙甲社区居委会 · Village cadre）" in detail


def test_a_named_row_with_a_unit_but_no_name_is_refused_on_the_page(  # type: ignore[no-untyped-def]
    client, case_at, cw_baisha, cw_baisha_2
):
    case = case_at(S.INVESTIGATING)
    login(client, cw_baisha)
    with on_day(dt.date(2026, 11, 5)):
        r = client.post(
            url("investigation", case),
            visit_post(cw_baisha, cw_baisha_2, named=[{"name": "", "unit": "村委", "role": ""}]),
        )
    assert r.status_code == 200
    assert "full name" in str(r.context["named"].forms[0].errors["name"])
    assert not Investigation.objects.exists()


def test_the_api_records_and_lists_named_investigators(api, case_at, cw_baisha):  # type: ignore[no-untyped-def]
    case = case_at(S.INVESTIGATING)
    login(api, cw_baisha)
    data = {"home_visit_on": VISIT.isoformat(), "findings": "走访", "investigators": [cw_baisha.pk]}
    with on_day(dt.date(2026, 11, 5)):
        bad = api_post(
            api, case, "investigation", {**data, "named_investigators": [LEADER | {"role": "x"}]}
        )
        assert bad.status_code == 400 and "named_investigators" in bad.json()
        r = api_post(api, case, "investigation", {**data, "named_investigators": [CADRE]})
    assert r.status_code == 201, r.json()
    investigators = r.json()["investigations"][0]["investigators"]
    assert investigators == [
        {
            "id": cw_baisha.pk,
            "name": cw_baisha.get_full_name() or "cw_baisha",
            "unit": "",
            "role": "user",
        },
        {"id": None, "name": "李村长", "unit": "白沙甲社区居委会", "role": "village_cadre"},
    ]


def test_another_district_can_neither_see_nor_record_an_investigation(  # type: ignore[no-untyped-def]
    client, api, case_at, cw_taicheng, cw_baisha
):
    case = case_at(S.INVESTIGATING)
    login(client, cw_taicheng)
    assert client.get(url("investigation", case)).status_code == 404
    assert client.get(url("reception", case)).status_code == 404
    login(api, cw_taicheng)
    r = api_post(
        api,
        case,
        "investigation",
        {
            "home_visit_on": VISIT.isoformat(),
            "findings": "x",
            "named_investigators": [CADRE, LEADER],
        },
    )
    assert r.status_code == 404 and not Investigation.objects.exists()


# ----------------------------------------------------------------------------- reception


def _draft(village_a, cw_baisha):  # type: ignore[no-untyped-def]
    household = poor_household(village_a)
    with on_day(APPLIED_ON):
        return services.dibao_case_create(
            household=household, applicant=head_of(household), by=cw_baisha
        )


@pytest.mark.parametrize("start", [False, True], ids=["accept", "accept-and-start"])
def test_reception_takes_the_declared_actions_in_one_step(  # type: ignore[no-untyped-def]
    client, village_a, cw_baisha, today, start
):
    case = _draft(village_a, cw_baisha)
    login(client, cw_baisha)
    detail = client.get(url("detail", case)).content.decode()
    assert 'data-testid="action-reception"' in detail
    for separate in RECEPTION:  # the steps it takes are not separate buttons
        assert f'data-testid="action-{separate}"' not in detail
    form = client.get(url("reception", case)).context["form"]
    assert {f: form[f].value() for f in ("applied_on", "accepted_on")} == {
        "applied_on": today,
        "accepted_on": today,
    }  # dates default to today
    data = {
        "applied_on": "2026-11-18",
        "authorization_on": "2026-11-18",
        "good_faith_on": "2026-11-19",
        "accepted_on": "2026-11-19",
        "submission": str(uuid.uuid4()),
    }
    if start:
        data["start_investigation"] = "on"
    r = client.post(url("reception", case), data, follow=True)
    assert r.redirect_chain[-1][0] == url("detail", case)
    case.refresh_from_db()
    assert case.status == (S.INVESTIGATING if start else S.ACCEPTED)
    assert (case.applied_on, case.accepted_on) == (dt.date(2026, 11, 18), dt.date(2026, 11, 19))
    assert case.good_faith_signed_on == dt.date(2026, 11, 19) and case.procedure_due
    # Each declared action wrote its own history row, in order, by the caseworker.
    rows = list(case.transitions.values_list("action", "by"))
    expected = ["create", *RECEPTION, *(["start_investigation"] if start else [])]
    assert rows == [(a, cw_baisha.pk) for a in expected]
    assert shown_messages(r)[-1][0] == "success"


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"applied_on": "2026-11-21"}, "applied_on", "future"),
        ({"authorization_on": "2026-11-17"}, "authorization_on", "before the application"),
        ({"good_faith_on": "2026-11-21"}, "good_faith_on", "future"),
        ({"accepted_on": "2026-11-17"}, "accepted_on", "before the application"),
        ({"accepted_on": "2026-11-18", "good_faith_on": "2026-11-19"}, "accepted_on", "signatures"),
        ({"accepted_on": ""}, "accepted_on", "required"),
    ],
)
def test_reception_dates_are_checked_and_nothing_is_written(  # type: ignore[no-untyped-def]
    client, village_a, cw_baisha, today, changes, field, says
):
    case = _draft(village_a, cw_baisha)
    login(client, cw_baisha)
    data = {
        "applied_on": "2026-11-18",
        "authorization_on": "2026-11-18",
        "good_faith_on": "2026-11-18",
        "accepted_on": "2026-11-19",
        "start_investigation": "on",
    } | changes
    r = client.post(url("reception", case), data)
    assert r.status_code == 200
    assert says in " ".join(r.context["form"].errors[field])
    case.refresh_from_db()
    assert case.status == S.DRAFT and case.transitions.count() == 1


def test_reception_of_an_application_submitted_earlier_asks_only_the_rest(  # type: ignore[no-untyped-def]
    client, village_a, cw_baisha, today
):
    case = _draft(village_a, cw_baisha)
    with on_day(APPLIED_ON):
        services.dibao_case_apply(case=case, applied_on=APPLIED_ON, by=cw_baisha)
    login(client, cw_baisha)
    form = client.get(url("reception", case)).context["form"]
    assert set(form.fields) == {
        "authorization_on",
        "good_faith_on",
        "accepted_on",
        "start_investigation",
    }
    r = client.post(
        url("reception", case),
        {
            "authorization_on": "2026-11-20",
            "good_faith_on": "2026-11-20",
            "accepted_on": "2026-11-20",
        },
    )
    assert r.status_code == 302
    assert list(case.transitions.values_list("action", flat=True)) == [
        "create",
        "apply",
        "sign",
        "accept",
    ]


@pytest.mark.parametrize("who", ["va_baisha", "ca_pengjiang"])
def test_reception_is_not_for_roles_that_cannot_take_it(  # type: ignore[no-untyped-def]
    request, client, village_a, cw_baisha, today, who
):
    case = _draft(village_a, cw_baisha)
    login(client, request.getfixturevalue(who))
    assert "action-reception" not in client.get(url("detail", case)).content.decode()
    r = client.post(url("reception", case), {"accepted_on": "2026-11-20"})
    assert r.status_code == 403
    assert case.transitions.count() == 1


def test_reception_service_is_all_or_nothing(monkeypatch, village_a, cw_baisha, today):  # type: ignore[no-untyped-def]
    """A later step refused: the application and signatures taken before it in the same step
    are not kept either."""
    case = _draft(village_a, cw_baisha)

    def refused(**kw):  # type: ignore[no-untyped-def]
        raise ValidationError("refused", code="refused")

    monkeypatch.setattr(services, "dibao_case_accept", refused)
    with pytest.raises(ValidationError):
        services.dibao_case_receive(
            case=case,
            applied_on=today,
            authorization_on=today,
            good_faith_on=today,
            accepted_on=today,
            by=cw_baisha,
        )
    case.refresh_from_db()
    assert case.status == S.DRAFT and case.applied_on is None and case.transitions.count() == 1


# ----------------------------------------------------------------------------- overtaken posts


def test_double_click_on_the_reception_writes_once(client, village_a, cw_baisha, today):  # type: ignore[no-untyped-def]
    case = _draft(village_a, cw_baisha)
    login(client, cw_baisha)
    data = {
        "applied_on": "2026-11-20",
        "authorization_on": "2026-11-20",
        "good_faith_on": "2026-11-20",
        "accepted_on": "2026-11-20",
        "submission": str(uuid.uuid4()),
    }
    assert client.post(url("reception", case), data).status_code == 302
    r = client.post(url("reception", case), data, follow=True)  # the second click
    assert r.redirect_chain[-1][0] == url("detail", case)
    level, text = shown_messages(r)[-1]
    assert level == "warning" and "already submitted" in text and "nothing was saved twice" in text
    assert case.transitions.count() == 4  # create, apply, sign, accept: once each


@pytest.mark.parametrize("token", [True, False], ids=["same-form", "form-without-token"])
def test_back_button_and_submit_again_on_a_step(  # type: ignore[no-untyped-def]
    client, case_at, cw_baisha, today, token
):
    """The accept page submitted, then the browser's back button and submit again: a warning on
    the case page (an alert, not a 409 or 500 page) and no second acceptance."""
    case = case_at(S.APPLIED)
    login(client, cw_baisha)
    data = {"accepted_on": "2026-11-20"} | ({"submission": str(uuid.uuid4())} if token else {})
    assert client.post(url("accept", case), data).status_code == 302
    r = client.post(url("accept", case), data, follow=True)
    assert r.status_code == 200 and r.redirect_chain[-1][0] == url("detail", case)
    level, text = shown_messages(r)[-1]
    assert level == "warning"
    assert ("already submitted" if token else "Cannot accept the application") in text
    assert case.transitions.filter(action="accept").count() == 1


def test_double_click_on_the_investigation_records_one_visit(  # type: ignore[no-untyped-def]
    client, case_at, cw_baisha, cw_baisha_2
):
    """Recording the visit keeps the status, so the status guard cannot catch the second click:
    the form's one-time token does."""
    case = case_at(S.INVESTIGATING)
    login(client, cw_baisha)
    data = visit_post(cw_baisha, cw_baisha_2, submission=str(uuid.uuid4()))
    with on_day(dt.date(2026, 11, 5)):
        assert client.post(url("investigation", case), data).status_code == 302
        r = client.post(url("investigation", case), data, follow=True)
    assert "already submitted" in shown_messages(r)[-1][1]
    assert Investigation.objects.filter(case=case).count() == 1
    assert case.transitions.filter(action="investigate").count() == 1


def test_stale_page_after_someone_else_acted(client, case_at, cw_baisha, cw_baisha_2, today):  # type: ignore[no-untyped-def]
    """Two caseworkers open the accept page; the second submits after the first."""
    case = case_at(S.APPLIED)
    login(client, cw_baisha_2)
    page_token = client.get(url("accept", case)).context["submission"]
    with on_day(dt.date(2026, 11, 20)):
        services.dibao_case_accept(case=case, accepted_on=dt.date(2026, 11, 20), by=cw_baisha)
    r = client.post(
        url("accept", case), {"accepted_on": "2026-11-20", "submission": page_token}, follow=True
    )
    assert r.redirect_chain[-1][0] == url("detail", case)
    level, text = shown_messages(r)[-1]
    assert level == "warning" and "reload the page" in text and "Nothing was saved" in text
    assert '<li class="alert alert-warning' in r.content.decode()  # the layout's alert
    assert case.transitions.filter(action="accept").count() == 1


def test_step_out_of_order_gets_a_message_not_an_error_page(client, case_at, cw_baisha, today):  # type: ignore[no-untyped-def]
    case = case_at(S.ACCEPTED)
    login(client, cw_baisha)
    r = client.post(url("propose", case), {"on": "2026-11-20"}, follow=True)
    assert r.status_code == 200 and r.redirect_chain[-1][0] == url("detail", case)
    assert "Cannot make the township proposal" in shown_messages(r)[-1][1]
    case.refresh_from_db()
    assert case.status == S.ACCEPTED


def test_stale_messages_read_in_chinese(client, case_at, cw_baisha, settings, today):  # type: ignore[no-untyped-def]
    case = case_at(S.APPLIED)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    login(client, cw_baisha)
    data = {"accepted_on": "2026-11-20", "submission": str(uuid.uuid4())}
    client.post(url("accept", case), data)
    with translation.override("zh-hans"):
        r = client.post(url("accept", case), data, follow=True)
        text = shown_messages(r)[-1][1]
    assert "此表单已经提交过" in text and "未重复保存" in text


def test_double_click_on_the_final_confirmation_confirms_once(  # type: ignore[no-untyped-def]
    client, case_at, ca_pengjiang
):
    case = case_at(S.IN_NOTICE)
    login(client, ca_pengjiang)
    data = {"confirm-on": "2026-11-20", "confirm-reason": "", "final": "yes"}
    data["submission"] = str(uuid.uuid4())
    with on_day(dt.date(2026, 11, 20)):
        assert client.post(url("decide", case), data).status_code == 302
        r = client.post(url("decide", case), data, follow=True)
    assert r.redirect_chain[-1][0] == url("detail", case)
    assert shown_messages(r)[-1][0] == "warning"
    assert BenefitAward.objects.filter(case=case).count() == 1
    assert case.transitions.filter(action="confirm").count() == 1


def test_double_click_on_open_the_case_opens_one_and_shows_it(  # type: ignore[no-untyped-def]
    client, village_a, cw_baisha
):
    household = poor_household(village_a)
    login(client, cw_baisha)
    create = reverse("assistance:create", args=[household.pk])
    data = {
        "applicant": head_of(household).pk,
        "unit": "household",
        "submission": str(uuid.uuid4()),
    }
    first = client.post(create, data)
    case = DibaoCase.objects.get(household=household)
    assert first.status_code == 302
    r = client.post(create, data, follow=True)
    assert r.redirect_chain[-1][0] == url("detail", case)
    assert "already submitted" in shown_messages(r)[-1][1]
    assert DibaoCase.objects.filter(household=household).count() == 1


# ----------------------------------------------------------------------------- the decision page


def test_decision_forms_come_before_the_facts(client, case_at, ca_pengjiang):  # type: ignore[no-untyped-def]
    """The reviewer's buttons are at the top of the page, the facts below them (the browser test
    measures that they are visible without scrolling)."""
    case = case_at(S.IN_NOTICE)
    login(client, ca_pengjiang)
    with on_day(dt.date(2026, 11, 20)):
        page = client.get(url("decide", case)).content.decode()
    confirm = page.index('data-testid="confirm"')
    refuse = page.index('data-testid="refuse"')
    facts = page.index('data-testid="case-summary"')
    assert confirm < facts and refuse < facts
    assert page.index('data-testid="investigations"') > confirm


# ----------------------------------------------------------------------------- the API's reception


@pytest.mark.parametrize(
    ("who", "start", "status"),
    [
        ("cw_baisha", S.DRAFT, 200),
        ("cw_baisha", S.ACCEPTED, 409),  # already received: a conflict, nothing written
        ("va_baisha", S.DRAFT, 403),
        ("ca_pengjiang", S.DRAFT, 403),
        ("cw_taicheng", S.DRAFT, 404),
    ],
)
def test_api_receive(request, api, village_a, cw_baisha, case_at, today, who, start, status):  # type: ignore[no-untyped-def]
    case = _draft(village_a, cw_baisha) if start == S.DRAFT else case_at(start)
    before = case.transitions.count()
    login(api, request.getfixturevalue(who))
    r = api_post(api, case, "receive", {"start_investigation": True})
    assert r.status_code == status, r.content
    case.refresh_from_db()
    if status == 200:
        assert r.json()["status"] == S.INVESTIGATING == case.status
        assert case.applied_on == case.accepted_on == today
        assert list(case.transitions.values_list("action", flat=True))[before:] == [
            *RECEPTION,
            "start_investigation",
        ]
    else:
        assert case.transitions.count() == before


def test_declarations_posted_on_a_stale_page_get_the_alert(client, case_at, cw_baisha, today):  # type: ignore[no-untyped-def]
    """The declarations page open while the case went to its proposal: posting it then says so
    on the case page and changes nothing."""
    case = case_at(S.PROPOSED)
    login(client, cw_baisha)
    data = {
        f"{group}-{k}": v
        for group in ("incomes", "expenditures", "properties")
        for k, v in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
    }
    r = client.post(url("declarations", case), data, follow=True)
    assert r.redirect_chain[-1][0] == url("detail", case)
    assert "Cannot change declarations" in shown_messages(r)[-1][1]
    assert case.incomes.count() == 1
