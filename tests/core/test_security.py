"""Issue 6 §9 and §13: log-in lockout, API throttles, token lifetime, serving and headers,
password rules."""

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import Resolver404, resolve, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config import stack
from core.roles import Role

from ..conftest import login
from ..factories import UserFactory, region

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Xianjie-1"  # tests.factories.UserFactory
LOCKED = "登录失败次数过多"
NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def page_login(client, username, password, ip="10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    return "_auth_user_id" in client.session


# --- lockout (django-axes) -----------------------------------------------------------------


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client, cw_baisha, clock):  # type: ignore[no-untyped-def]
    for _ in range(30):
        assert page_login(client, "cw_baisha", "wrong-guess").status_code in (200, 429)
    response = page_login(client, "cw_baisha", PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not logged_in(client)


def test_lockout_is_per_user_and_per_address(client, cw_baisha, ca_pengjiang, clock):  # type: ignore[no-untyped-def]
    for _ in range(5):
        page_login(client, "cw_baisha", "wrong-guess", ip="10.0.0.1")
    # The same user from another address: locked (per user).
    assert page_login(client, "cw_baisha", PASSWORD, ip="10.0.0.9").status_code == 429
    # Another user from the same address: locked (per address).
    assert page_login(client, "ca_pengjiang", PASSWORD, ip="10.0.0.1").status_code == 429
    # Another user from another address: unaffected.
    response = page_login(client, "ca_pengjiang", PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302
    assert logged_in(client)


def test_a_few_mistakes_do_not_lock(client, cw_baisha, clock):  # type: ignore[no-untyped-def]
    for _ in range(4):
        page_login(client, "cw_baisha", "wrong-guess")
    assert page_login(client, "cw_baisha", PASSWORD).status_code == 302


def test_lockout_ends_after_the_cool_off(client, cw_baisha, clock, settings):  # type: ignore[no-untyped-def]
    for _ in range(5):
        page_login(client, "cw_baisha", "wrong-guess")
    assert page_login(client, "cw_baisha", PASSWORD).status_code == 429
    clock.shift(settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1))
    assert page_login(client, "cw_baisha", PASSWORD).status_code == 302


def test_api_token_login_is_locked_out_too(api, cw_baisha, clock):  # type: ignore[no-untyped-def]
    for _ in range(5):
        r = api.post("/api/v1/auth/token/", {"username": "cw_baisha", "password": "x"})
        assert r.status_code in (400, 429)
    response = api.post("/api/v1/auth/token/", {"username": "cw_baisha", "password": PASSWORD})
    assert response.status_code == 429
    assert LOCKED in response.json()["detail"]
    assert not Token.objects.exists()


def test_data_admin_unlocks_a_user_in_the_admin(client, cw_baisha, data_admin, clock):  # type: ignore[no-untyped-def]
    for _ in range(5):
        page_login(client, "cw_baisha", "wrong-guess")
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.get(username="cw_baisha")
    admin_client = login(type(client)(), data_admin)
    changelist = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert changelist.status_code == 200
    assert [a.pk for a in changelist.context["cl"].result_list] == [attempt.pk]
    deleted = admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert page_login(client, "cw_baisha", PASSWORD).status_code == 302


def test_district_data_admin_sees_only_attempts_on_its_users(client, cw_baisha, cw_taicheng):  # type: ignore[no-untyped-def]
    page_login(client, "cw_baisha", "wrong-guess", ip="10.0.0.1")
    page_login(client, "cw_taicheng", "wrong-guess", ip="10.0.0.2")
    admin_ts = UserFactory(username="da_taishan", role=Role.DATA_ADMIN, region=region("440781"))
    r = login(client, admin_ts).get(reverse("admin:axes_accessattempt_changelist"))
    assert [a.username for a in r.context["cl"].result_list] == ["cw_taicheng"]


def test_caseworker_cannot_unlock(client, cw_baisha):  # type: ignore[no-untyped-def]
    r = login(client, cw_baisha).get(reverse("admin:axes_accessattempt_changelist"))
    assert r.status_code == 302


def test_axes_reset_command_unlocks(client, cw_baisha, clock):  # type: ignore[no-untyped-def]
    for _ in range(5):
        page_login(client, "cw_baisha", "wrong-guess")
    call_command("axes_reset_username", "cw_baisha")
    call_command("axes_reset_ip", "10.0.0.1")
    assert page_login(client, "cw_baisha", PASSWORD).status_code == 302


# --- API throttles -------------------------------------------------------------------------


def tiny_rates(settings, **rates):  # type: ignore[no-untyped-def]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


def test_user_past_the_rate_gets_429(api, cw_baisha, settings):  # type: ignore[no-untyped-def]
    tiny_rates(settings, user="3/min")
    login(api, cw_baisha)
    for _ in range(3):
        assert api.get("/api/v1/households/").status_code == 200
    response = api.get("/api/v1/households/")
    assert response.status_code == 429
    assert "Retry-After" in response
    # Another user has an allowance of their own.
    assert login(APIClient(), cw_taicheng_user()).get("/api/v1/households/").status_code == 200


def cw_taicheng_user():  # type: ignore[no-untyped-def]
    return UserFactory(username="cw_other", role=Role.CASEWORKER, region=region("440781001"))


def test_anonymous_past_the_rate_gets_429(api, settings):  # type: ignore[no-untyped-def]
    tiny_rates(settings, anon="2/min")
    for _ in range(2):
        assert api.post("/api/v1/auth/token/", {}).status_code == 400
    assert api.post("/api/v1/auth/token/", {}).status_code == 429


def test_rates_are_generous_by_default(settings):  # type: ignore[no-untyped-def]
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert set(rates) >= {"user", "anon"}
    assert int(rates["user"].split("/")[0]) >= 300


def test_throttle_ignores_a_forged_forwarded_for(api, settings):  # type: ignore[no-untyped-def]
    tiny_rates(settings, anon="2/min")
    for n in range(2):
        api.post("/api/v1/auth/token/", {}, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}")
    assert api.post("/api/v1/auth/token/", {}, HTTP_X_FORWARDED_FOR="9.9.9.9").status_code == 429


# --- tokens --------------------------------------------------------------------------------


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_token_expires(cw_baisha, clock, settings):  # type: ignore[no-untyped-def]
    key = Token.objects.create(user=cw_baisha).key
    clock.shift(settings.API_TOKEN_TTL - dt.timedelta(minutes=1))
    assert token_client(key).get("/api/v1/households/").status_code == 200
    clock.shift(dt.timedelta(minutes=2))
    response = token_client(key).get("/api/v1/households/")
    assert response.status_code == 401
    assert "过期" in response.json()["detail"]
    assert not Token.objects.filter(key=key).exists()


def test_obtaining_after_expiry_gives_a_new_token(api, cw_baisha, clock, settings):  # type: ignore[no-untyped-def]
    credentials = {"username": "cw_baisha", "password": PASSWORD}
    first = api.post("/api/v1/auth/token/", credentials).json()
    assert dt.datetime.fromisoformat(first["expires"]) == NOW + settings.API_TOKEN_TTL
    clock.shift(settings.API_TOKEN_TTL + dt.timedelta(days=1))
    second = api.post("/api/v1/auth/token/", credentials).json()
    assert second["token"] != first["token"]
    assert token_client(second["token"]).get("/api/v1/households/").status_code == 200


def test_revoke_the_token(cw_baisha):  # type: ignore[no-untyped-def]
    key = Token.objects.create(user=cw_baisha).key
    client = token_client(key)
    assert client.post("/api/v1/auth/token/revoke/").status_code == 204
    assert client.get("/api/v1/households/").status_code == 401
    assert not Token.objects.exists()


def test_revoke_from_a_session_revokes_the_users_token(api, cw_baisha, cw_taicheng):  # type: ignore[no-untyped-def]
    Token.objects.create(user=cw_baisha)
    other = Token.objects.create(user=cw_taicheng)
    assert login(api, cw_baisha).post("/api/v1/auth/token/revoke/").status_code == 204
    assert list(Token.objects.all()) == [other]


def test_revoke_needs_authentication(api, cw_baisha):  # type: ignore[no-untyped-def]
    Token.objects.create(user=cw_baisha)
    assert api.post("/api/v1/auth/token/revoke/").status_code == 401
    assert Token.objects.count() == 1


def test_password_change_revokes_the_token(cw_baisha):  # type: ignore[no-untyped-def]
    key = Token.objects.create(user=cw_baisha).key
    cw_baisha.last_name = "改名"
    cw_baisha.save()
    assert Token.objects.filter(key=key).exists()  # other edits keep it
    cw_baisha.set_password("a-new-Passw0rd-x")
    cw_baisha.save()
    assert token_client(key).get("/api/v1/households/").status_code == 401
    assert not Token.objects.exists()


def test_password_change_in_the_admin_revokes_the_token(client, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    Token.objects.create(user=cw_baisha)
    url = reverse("admin:auth_user_password_change", args=[cw_baisha.pk])  # Django's name
    r = login(client, data_admin).post(
        url, {"password1": "a-new-Passw0rd-x", "password2": "a-new-Passw0rd-x"}
    )
    assert r.status_code == 302, r.context["form"].errors if r.context else r
    assert not Token.objects.exists()


def test_data_admin_revokes_tokens_in_the_admin_scoped(client, cw_baisha, cw_taicheng):  # type: ignore[no-untyped-def]
    Token.objects.create(user=cw_baisha)
    Token.objects.create(user=cw_taicheng)
    admin_ts = UserFactory(username="da_taishan", role=Role.DATA_ADMIN, region=region("440781"))
    login(client, admin_ts)
    r = client.get(reverse("admin:authtoken_tokenproxy_changelist"))
    assert r.status_code == 200
    assert [t.user_id for t in r.context["cl"].result_list] == [cw_taicheng.pk]
    r = client.post(
        reverse("admin:authtoken_tokenproxy_delete", args=[cw_taicheng.pk]), {"post": "yes"}
    )
    assert r.status_code == 302
    assert list(Token.objects.values_list("user__username", flat=True)) == ["cw_baisha"]


# --- passwords -----------------------------------------------------------------------------


def test_password_like_the_user_name_is_refused(cw_baisha):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        validate_password("cw_baisha1", cw_baisha)


def test_public_demo_password_is_refused_outside_demo_mode(cw_baisha, settings):  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = False
    with pytest.raises(ValidationError) as raised:
        validate_password("xianjie-demo", cw_baisha)
    assert "演示" in " ".join(raised.value.messages)


def test_public_demo_password_is_accepted_in_demo_mode(cw_baisha, settings):  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    validate_password("xianjie-demo", cw_baisha)


def test_demo_users_are_refused_outside_demo_mode(settings):  # type: ignore[no-untyped-def]
    from django.core.management.base import CommandError

    settings.DEMO_MODE = False
    with pytest.raises(CommandError):
        call_command("demo_users")


# --- headers and serving -------------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy(client, cw_baisha):  # type: ignore[no-untyped-def]
    response = login(client, cw_baisha).get(reverse("home"))
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"].startswith("'self'")
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors" in directives


INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"),
    re.compile(r"<style(?![^>]*\bnonce=)[^>]*>"),
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    re.compile(r"\sstyle\s*=\s*\""),
    re.compile(r"javascript:"),
]


def test_templates_have_no_inline_code_the_policy_would_block():  # type: ignore[no-untyped-def]
    offenders = []
    for path in sorted((stack.ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        offenders += [
            f"{path.relative_to(stack.ROOT)}: {p.pattern}" for p in INLINE if p.search(text)
        ]
    assert offenders == []


def test_api_docs_load_their_assets_from_this_site(api, cw_baisha):  # type: ignore[no-untyped-def]
    response = login(api, cw_baisha).get("/api/docs/")
    assert response.status_code == 200
    assert b"cdn" not in response.content.lower()
    assert not INLINE[0].search(response.content.decode())  # the init script is a file too


def _django(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=stack.ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_https_settings_turn_on_hsts_and_redirect():  # type: ignore[no-untyped-def]
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.SESSION_COOKIE_SECURE)"
    )
    on = _django(code, DEBUG="0", SECURE_COOKIES="1")
    assert on.stdout.split() == ["True", "True", "True"], on.stderr
    off = _django(code, DEBUG="0", SECURE_COOKIES="0")
    assert off.stdout.split() == ["False", "False", "False"], off.stderr


def test_check_deploy_is_clean_with_production_settings():  # type: ignore[no-untyped-def]
    env = {**os.environ, **stack.DEPLOY_CHECK_ENV}
    done = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", *stack.DEPLOY_CHECK_ARGS],
        cwd=stack.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_make_test_runs_the_deploy_check():  # type: ignore[no-untyped-def]
    names = [name for name, _cmd, _env in stack.check_steps()]
    assert "check --deploy" in names


def test_media_files_are_never_served_by_url(settings):  # type: ignore[no-untyped-def]
    with pytest.raises(Resolver404):
        resolve(f"/{settings.MEDIA_URL}attachments/x.pdf")
    # Not in development mode either.
    done = _django(
        "from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/media/attachments/x.pdf'); print('served')\n"
        "except Resolver404:\n    print('not served')",
        DEBUG="1",
    )
    assert done.stdout.strip() == "not served", done.stderr


def test_make_run_serves_like_production():  # type: ignore[no-untyped-def]
    command = stack.web_command(dev=False, port="8000")
    assert "gunicorn" in command[0] or "gunicorn" in command
    assert "runserver" not in command
    env = stack.serve_env(dev=False)
    assert env["DEBUG"] == "0"
    assert env["DEMO_MODE"] == "1"


def test_every_way_of_serving_uses_the_one_gunicorn_config():  # type: ignore[no-untyped-def]
    """make run, the image and docker-compose read config/gunicorn.py; its worker hook freezes
    what the worker loaded out of the garbage collector's walks."""
    import gc

    from config import gunicorn

    assert "python:config.gunicorn" in stack.web_command(dev=False, port="8000")
    for name in ("Dockerfile", "docker-compose.yml"):
        assert "--config python:config.gunicorn" in (
            (stack.ROOT / name).read_text().replace('", "', " ")
        ), name
    before = gc.get_threshold()
    try:
        gunicorn.post_worker_init(None)
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == gunicorn.GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_make_dev_keeps_the_autoreloading_server():  # type: ignore[no-untyped-def]
    command = stack.web_command(dev=True, port="8000")
    assert "runserver" in command
    assert stack.serve_env(dev=True)["DEBUG"] == "1"


def test_a_logged_in_page_reads_its_session_from_the_cache(client, cw_baisha):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cw_baisha)
    client.get("/")  # the session is cached by its first read
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"]]
    client.post("/logout/")
    assert client.get("/").status_code == 302  # logged out: the cached session went too
