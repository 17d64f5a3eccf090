"""Every page a demo role can reach, crawled in headless Debian chromium in Chinese.

For each demo user (core/management/commands/demo_users.py, so a new role is crawled without
anyone listing it): log in and follow every same-site link breadth-first from the home page, one
page per URL shape (``/dibao/<n>/`` once, whatever n), and on each page check that

- it answers 200 (a link the role is shown must lead somewhere it may go);
- its visible text has no English words (IDs, codes and the language switcher's "English" aside);
- at a phone's 390×844 nothing is wider than the screen (``scrollWidth <= innerWidth``);

and again at 1366×768 for overflow. All problems are collected and reported at once.

Not crawled: the Django admin and the API browser/docs (English by design for engineers),
downloads (exports, files) and POST-only actions (logout).
"""

import re
from urllib.parse import urljoin, urlparse

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Browser

from core.management.commands.demo_users import DEMO_USERS

pytestmark = pytest.mark.browser

# Latin words of three letters or more standing alone: English leaking into the Chinese UI.
# Codes such as DB000001 or 440703 are not words (no boundary between letter and digit).
ENGLISH_WORD = re.compile(r"(?<![A-Za-z0-9_./-])[A-Za-z]{3,}(?![A-Za-z0-9_/-])")
ALLOWED_WORDS = {
    "English",  # the language switcher offers English under its own name
    # File formats and interface names are proper names, written as such in Chinese too.
    *(w.lower() for w in ("XLSX", "CSV", "ODS", "XLS", "PDF", "JPG", "JPEG", "PNG")),
    *("XLSX", "CSV", "ODS", "XLS", "PDF", "JPG", "JPEG", "PNG", "API", "GBK", "UTF"),
}
SKIP_PATH = re.compile(
    r"^/(admin|api|static|media|i18n|logout)/|/(export|download|file)s?(/|$)|\.\w+$"
)
# One page per URL shape: numbers and codes in the path stand for any object.
SHAPE = re.compile(r"\d+")
MAX_PAGES_PER_ROLE = 60
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def _shape(path_and_query: str) -> str:
    path, _, query = path_and_query.partition("?")
    keys = sorted(part.split("=")[0] for part in query.split("&") if part)
    return SHAPE.sub("N", path) + ("?" + "&".join(keys) if keys else "")


def _crawl(browser: Browser, base_url: str, username: str, viewport: dict) -> list[str]:
    problems: list[str] = []
    context = browser.new_context(base_url=base_url, locale="zh-CN", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"{username}: script error {exc}"))
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    queue, shapes = ["/"], set()
    visited = 0
    while queue and visited < MAX_PAGES_PER_ROLE:
        url = queue.pop(0)
        if _shape(url) in shapes:
            continue
        shapes.add(_shape(url))
        visited += 1
        response = page.goto(url)
        status = response.status if response else 0
        where = f"{username} {viewport['width']}px {url}"
        if status != 200:
            problems.append(f"{where}: HTTP {status}")
            continue
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            problems.append(f"{where}: {scroll} px wide on a {inner} px screen")
        if viewport is PHONE:
            text = page.evaluate("document.body.innerText")
            words = sorted(set(ENGLISH_WORD.findall(text)) - ALLOWED_WORDS)
            if words:
                problems.append(f"{where}: English words {words[:10]}")
        for href in page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):
            target = urlparse(urljoin(base_url + url, href))
            if target.netloc != urlparse(base_url).netloc or SKIP_PATH.search(target.path):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if _shape(link) not in shapes:
                queue.append(link)
    context.close()
    return problems


@pytest.mark.django_db(transaction=True)
def test_every_page_of_every_demo_role_is_chinese_and_fits(
    browser, live_server, reference_data, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    call_command("seed_demo", "--households", "60")
    call_command("demo_users")
    call_command("seed_demo_cases")

    problems: list[str] = []
    for username, *_ in DEMO_USERS:
        problems += _crawl(browser, live_server.url, username, PHONE)
    for username in ("cw_baisha", "ca_pengjiang", "supervisor"):
        problems += _crawl(browser, live_server.url, username, DESKTOP)
    assert not problems, "\n".join(problems)
