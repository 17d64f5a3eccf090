import pytest
from django.core.management import call_command
from django.urls import reverse

from core.models import User

from ..conftest import login
from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_and_bad_password(client, cw_baisha):
    assert client.get(reverse("login")).status_code == 200
    r = client.post(reverse("login"), {"username": "cw_baisha", "password": "wrong"})
    assert r.status_code == 200 and r.context["form"].errors


def test_login_then_home_shows_role_tiles(client, cw_baisha):
    r = client.post(reverse("login"), {"username": "cw_baisha", "password": "pw-Xianjie-1"})
    assert r.status_code == 302
    r = client.get(reverse("home"))
    urls = [t.url for t in r.context["tiles"]]
    assert reverse("households:create") in urls
    assert reverse("admin:index") not in urls


def test_village_assistant_home_has_no_create_tile(client, va_baisha):
    login(client, va_baisha)
    urls = [t.url for t in client.get(reverse("home")).context["tiles"]]
    assert reverse("households:list") in urls and reverse("households:create") not in urls


def test_language_switch_to_english(client, cw_baisha):
    login(client, cw_baisha)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    r = client.get(reverse("home"))
    assert 'lang="en"' in r.content.decode()


def test_demo_users_command_is_idempotent(db, settings):
    settings.DEMO_MODE = True
    call_command("demo_users")
    call_command("demo_users")
    assert User.objects.filter(username__in=["cw_baisha", "va_baisha", "supervisor"]).count() == 3
    va = User.objects.get(username="va_baisha")
    assert va.region.level == "village" and va.region.parent.code == "440703002"
    assert User.objects.get(username="data_admin").is_staff
    assert User.objects.get(username="cw_baisha").check_password("xianjie-demo")


def test_chinese_by_default_even_for_an_english_browser(client, cw_baisha):
    login(client, cw_baisha)
    r = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="zh-hans"' in r.content.decode()


def test_home_shows_figure_cards_for_the_role(client, cw_baisha, household_a):
    login(client, cw_baisha)
    r = client.get(reverse("home"))
    keys = [f.key for f in r.context["figures"]]
    assert keys[0] == "households" and "dibao_paying" in keys
    body = r.content.decode()
    assert 'data-testid="home-figures"' in body and 'data-testid="figure-households"' in body


def test_home_of_a_user_without_role_has_no_figures(client, db):
    user = UserFactory(username="norole", role="", region=None)
    login(client, user)
    r = client.get(reverse("home"))
    assert r.status_code == 200 and r.context["figures"] == []
