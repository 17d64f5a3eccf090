"""The project's forms: every dropdown offers 请选择 (never Django's "---------"), and a create
form replayed (back button, resubmitted POST) writes nothing twice and says so."""

import importlib
import inspect
import pkgutil
import re
from decimal import Decimal
from typing import Any

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from assistance.models import DibaoCase, IncomeType, ProgrammeCase
from core.forms import SUBMIT_FIELD
from core.models import Region
from households.models import Household, Membership, Person

from ..assistance.conftest import build_case, head_of, poor_household
from ..conftest import login
from ..factories import UserFactory, unique_id_number

pytestmark = pytest.mark.django_db

PROJECT_PACKAGES = ("core", "households", "assistance", "config")
REPLAY = "此表单已提交，请勿重复提交"


def _project_form_classes() -> list[type[forms.BaseForm]]:
    """Every form class the project defines: its packages' modules are imported (forms modules
    and the few forms that live in a views or admin module), then Form subclasses are collected."""
    for package in PROJECT_PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if ".migrations" in info.name or info.name.endswith((".stack", ".wsgi")):
                continue
            importlib.import_module(info.name)

    def subclasses(cls: type) -> list[type]:
        found = []
        for sub in cls.__subclasses__():
            found.append(sub)
            found.extend(subclasses(sub))
        return found

    return sorted(
        {
            cls
            for cls in subclasses(forms.BaseForm)
            if cls.__module__.split(".")[0] in PROJECT_PACKAGES and not cls.__name__.startswith("_")
        },
        key=lambda c: f"{c.__module__}.{c.__name__}",
    )


def _required_kwargs(cls: type) -> set[str]:
    """The keyword-only arguments without a default that a form's __init__ (and its bases') ask for."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.kind is p.KEYWORD_ONLY and p.default is p.empty:
                names.add(p.name)
    return names


@pytest.fixture
def form_arguments(cw_baisha, village_a, baisha) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    household = poor_household(village_a)
    second = UserFactory(username="cw_forms_2", role=cw_baisha.role, region=baisha)
    case = build_case(household, to=DibaoCase.Status.DRAFT, maker=cw_baisha, second=second)
    members = Person.objects.filter(memberships__household=household)
    return {
        "household": household,
        "members": members,
        "case": case,
        "user": cw_baisha,
        "villages": Region.objects.filter(pk=village_a.pk),
        "check_url": "/households/check-id/",
        "year": 2026,
        "steps": ["sign", "apply", "accept"],
    }


def test_the_discovery_finds_the_forms_of_every_app() -> None:
    names = {c.__name__ for c in _project_form_classes()}
    # One of each app, so a broken discovery cannot pass the completeness test below by finding none.
    assert {"HouseholdForm", "MemberForm", "IncomeForm", "PropertyForm", "OutreachForm"} <= names
    assert len(names) > 30


def test_no_dropdown_of_any_form_shows_dashes(form_arguments) -> None:  # type: ignore[no-untyped-def]
    """Renders every form of the project (as Django renders it and field by field through
    crispy-bootstrap5, as the pages do) and fails on a select whose blank option reads
    "---------" (or is not 请选择 at all)."""
    blank_option = re.compile(r'<option value=""[^>]*>([^<]*)</option>')
    checked = 0
    problems = []
    with translation.override("zh-hans"):
        for cls in _project_form_classes():
            needed = _required_kwargs(cls)
            unknown = needed - form_arguments.keys()
            assert not unknown, f"{cls.__name__} needs {unknown}: add them to form_arguments"
            form = cls(**{k: form_arguments[k] for k in needed})
            html = str(form) + "".join(as_crispy_field(form[name]) for name in form.fields)
            if "---------" in html:
                problems.append(f"{cls.__module__}.{cls.__name__}: ---------")
            for label in blank_option.findall(html):
                # A filter's "all" choice is a real choice; any other blank option asks to choose.
                if label.strip() not in ("请选择", "全部"):
                    problems.append(f"{cls.__module__}.{cls.__name__}: blank option {label!r}")
            checked += "<select" in html
    assert problems == []
    assert checked > 10


def test_a_member_row_labels_the_name_as_a_persons_name(form_arguments) -> None:  # type: ignore[no-untyped-def]
    from households.forms import MemberForm, PersonEditForm

    with translation.override("zh-hans"):
        for cls in (MemberForm, PersonEditForm):
            assert str(cls(check_url="").fields["name"].label) == "姓名"


# ----------------------------------------------------------------------------- submit once


def _token(response) -> str:  # type: ignore[no-untyped-def]
    match = re.search(rf'name="{SUBMIT_FIELD}" value="(\w+)"', response.content.decode())
    assert match, "the form carries no one-time token"
    return match.group(1)


def _household_data(village: Region, token: str) -> dict[str, Any]:
    return {
        SUBMIT_FIELD: token,
        "village": village.pk,
        "address": "白沙大道9号",
        "hukou_type": "urban",
        "members-TOTAL_FORMS": 1,
        "members-INITIAL_FORMS": 0,
        "members-MIN_NUM_FORMS": 1,
        "members-MAX_NUM_FORMS": 1000,
        "members-0-relation": "head",
        "members-0-name": "陈大明",
        "members-0-id_number": unique_id_number(),
        "members-0-employment_status": "n/a",
        "members-0-willing_to_accept_help": "on",
    }


class TestReplayedPost:
    def test_household_registration_replayed_registers_nothing_twice(
        self, client, cw_baisha, village_a
    ) -> None:  # type: ignore[no-untyped-def]
        login(client, cw_baisha)
        url = reverse("households:create")
        data = _household_data(village_a, _token(client.get(url)))
        first = client.post(url, data)
        household = Household.objects.get()
        detail = reverse("households:detail", args=[household.pk])
        assert first.status_code == 302 and first["Location"] == detail
        persons = Person.objects.count()

        replay = client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
        # Sent to what the first submission registered, told why in Chinese; nothing new.
        assert replay.redirect_chain[0] == (detail, 302)
        assert replay.status_code == 200
        assert REPLAY in replay.content.decode()
        assert Household.objects.count() == 1
        assert Person.objects.count() == persons

    def test_a_refused_submission_keeps_its_token_so_the_corrected_form_saves(
        self, client, cw_baisha, village_a
    ) -> None:  # type: ignore[no-untyped-def]
        login(client, cw_baisha)
        url = reverse("households:create")
        token = _token(client.get(url))
        bad = _household_data(village_a, token) | {"members-0-id_number": "440703198005170011"}
        r = client.post(url, bad)
        assert r.status_code == 200 and _token(r) == token
        assert Household.objects.count() == 0
        r = client.post(url, _household_data(village_a, token))
        assert r.status_code == 302 and Household.objects.count() == 1

    def test_two_forms_opened_separately_are_two_registrations(
        self, client, cw_baisha, village_a
    ) -> None:  # type: ignore[no-untyped-def]
        login(client, cw_baisha)
        url = reverse("households:create")
        client.post(url, _household_data(village_a, _token(client.get(url))))
        client.post(url, _household_data(village_a, _token(client.get(url))))
        assert Household.objects.count() == 2

    def test_a_token_is_per_user(self, client, cw_baisha, village_a, baisha) -> None:  # type: ignore[no-untyped-def]
        login(client, cw_baisha)
        url = reverse("households:create")
        token = _token(client.get(url))
        client.post(url, _household_data(village_a, token))
        other = UserFactory(username="cw_forms_other", role=cw_baisha.role, region=baisha)
        login(client, other)
        assert client.post(url, _household_data(village_a, token)).status_code == 302
        assert Household.objects.count() == 2

    def test_member_removal_replayed_is_a_message_not_a_404(
        self, client, cw_baisha, village_a
    ) -> None:  # type: ignore[no-untyped-def]
        household = poor_household(village_a)
        child = household.memberships.exclude(relation="head").get()
        login(client, cw_baisha)
        url = reverse("households:member_remove", args=[household.pk, child.pk])
        data = {SUBMIT_FIELD: _token(client.get(url)), "end_date": "2026-11-02", "reason": "迁出"}
        assert client.post(url, data).status_code == 302
        ended = Membership.objects.filter(end_date__isnull=False).count()
        replay = client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert replay.status_code == 200
        assert REPLAY in replay.content.decode()
        assert Membership.objects.filter(end_date__isnull=False).count() == ended

    def test_declarations_replayed_write_no_second_history_row(
        self, client, cw_baisha, village_a, baisha
    ) -> None:  # type: ignore[no-untyped-def]
        household = poor_household(village_a)
        second = UserFactory(username="cw_forms_2", role=cw_baisha.role, region=baisha)
        case = build_case(
            household, to=DibaoCase.Status.INVESTIGATING, maker=cw_baisha, second=second
        )
        login(client, cw_baisha)
        url = reverse("assistance:declarations", args=[case.pk])
        data: dict[str, Any] = {SUBMIT_FIELD: _token(client.get(url))}
        for prefix in ("incomes", "expenditures", "properties"):
            data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
        wages = IncomeType.objects.get(code="wages")
        data |= {
            "incomes-TOTAL_FORMS": 1,
            "incomes-0-person": head_of(household).pk,
            "incomes-0-income_type": wages.pk,
            "incomes-0-monthly_amount": "800",
        }
        assert client.post(url, data).status_code == 302
        transitions = case.transitions.count()
        replay = client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert REPLAY in replay.content.decode()
        assert case.transitions.count() == transitions
        assert list(case.incomes.values_list("monthly_amount", flat=True)) == [Decimal("800")]

    def test_programme_application_replayed_registers_one_case(
        self, client, cw_baisha, village_a
    ) -> None:  # type: ignore[no-untyped-def]
        household = poor_household(village_a)
        login(client, cw_baisha)
        url = reverse("assistance_programmes:apply", args=[household.pk])
        data = {
            SUBMIT_FIELD: _token(client.get(url)),
            "programme": "temporary",
            "applied_on": "2026-11-02",
            "cause": client.get(url).context["form"].fields["cause"].choices[1][0],
            "event_date": "2026-11-01",
            "requested_amount": "500",
        }
        first = client.post(url, data)
        assert first.status_code == 302, first.context["form"].errors if first.context else ""
        replay = client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert REPLAY in replay.content.decode()
        assert ProgrammeCase.objects.filter(household=household).count() == 1

    def test_a_post_without_a_token_is_not_refused(self, client, cw_baisha, village_a) -> None:  # type: ignore[no-untyped-def]
        login(client, cw_baisha)
        data = _household_data(village_a, "")
        assert client.post(reverse("households:create"), data).status_code == 302


@pytest.fixture(autouse=True)
def _clean_tokens():  # type: ignore[no-untyped-def]
    """Tokens live in the cache (Redis db of this run): start and end each test without them."""
    cache.delete_pattern("*submit-once:*")  # type: ignore[attr-defined]
    yield
    cache.delete_pattern("*submit-once:*")  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- declarations editor


class TestDeclarationsEditor:
    def _case(self, cw_baisha, village_a, baisha):  # type: ignore[no-untyped-def]
        household = poor_household(village_a)
        second = UserFactory(username="cw_forms_2", role=cw_baisha.role, region=baisha)
        return build_case(
            household, to=DibaoCase.Status.INVESTIGATING, maker=cw_baisha, second=second
        )

    def test_only_saved_rows_carry_a_delete_box_and_property_values_start_blank(
        self, client, cw_baisha, village_a, baisha
    ) -> None:  # type: ignore[no-untyped-def]
        case = self._case(cw_baisha, village_a, baisha)
        login(client, cw_baisha)
        r = client.get(reverse("assistance:declarations", args=[case.pk]))
        html = r.content.decode()
        incomes = r.context["incomes"]
        assert len(incomes.forms) == 2  # the saved wages and one blank row
        assert "DELETE" in incomes.forms[0].fields and "DELETE" not in incomes.forms[1].fields
        assert "DELETE" not in incomes.empty_form.fields
        assert html.count('name="incomes-0-DELETE"') == 1 and "incomes-1-DELETE" not in html
        assert 'name="properties-0-value"' in html
        assert not re.search(r'name="properties-0-value"[^>]*value="0', html)
        # The rows can be added in the page: the empty form is there, the old advice is not.
        assert "data-formset-template" in html and "incomes-__prefix__-person" in html
        assert "Need more rows" not in html

    def test_a_used_property_row_needs_its_value_a_blank_one_is_ignored(
        self, client, cw_baisha, village_a, baisha
    ) -> None:  # type: ignore[no-untyped-def]
        case = self._case(cw_baisha, village_a, baisha)
        login(client, cw_baisha)
        url = reverse("assistance:declarations", args=[case.pk])
        data: dict[str, Any] = {}
        for prefix in ("incomes", "expenditures", "properties"):
            data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
        data |= {
            "properties-TOTAL_FORMS": 2,
            "properties-0-kind": "deposit",
            "properties-0-value": "",
            "properties-1-kind": "",
            "properties-1-value": "",
        }
        r = client.post(url, data)
        assert r.status_code == 200
        forms_ = r.context["properties"].forms
        assert "value" in forms_[0].errors and not forms_[1].errors
        assert case.properties.count() == 0
        data["properties-0-value"] = "1000"
        assert client.post(url, data).status_code == 302
        assert list(case.properties.values_list("value", flat=True)) == [Decimal("1000")]
