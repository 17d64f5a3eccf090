"""Fixtures for the Playwright tests: Debian's headless chromium against pytest-django's live_server.

- No downloaded browsers: /usr/bin/chromium (apt package `chromium`) or skip — or fail when
  XIANJIE_REQUIRE_BROWSER=1 (CI).
- live_server makes the test transactional, and the flush after it empties every table, including
  the regions and serious illnesses that data migrations load. They are reloaded before the test if
  missing, and again after the flush (pytest_runtest_teardown below), so later tests still find them.
"""

import os
from pathlib import Path

import pytest

from ..conftest import load_reference_data

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def reference_data(transactional_db) -> None:  # type: ignore[no-untyped-def]
    """Make sure regions and illnesses exist (an earlier transactional test may have flushed them)."""
    from core.models import Region

    if not Region.objects.filter(code="440703002").exists():
        load_reference_data()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium); browser tests need it"
        if os.environ.get("XIANJIE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and XIANJIE_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(reason)
    return str(CHROMIUM)


@pytest.fixture
def browser(chromium_path, monkeypatch):  # type: ignore[no-untyped-def]
    """One chromium per test: Playwright's sync API keeps an asyncio loop running in this thread
    while it is open, and Django then refuses ORM calls unless DJANGO_ALLOW_ASYNC_UNSAFE is set.
    Scoping both to the browser test keeps other tests under Django's normal check."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 1000}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"script error: {exc}"))
    page.on(
        "response",
        lambda r: (
            errors.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")  # no favicon yet
            else None
        ),
    )
    yield page
    context.close()
    assert not errors, f"errors while the page ran: {errors}"


@pytest.fixture
def results_dir(request: pytest.FixtureRequest) -> Path:
    path = request.config.rootpath / "test-results"
    path.mkdir(exist_ok=True)
    return path
