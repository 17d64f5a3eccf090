"""Chinese first, English switchable: the zh-hans catalogue is complete and actually used.

The .po file is the source of truth (committed); the .mo is compiled by `config.stack` (git-ignored).
"""

import ast
import gettext as gettext_module
import re
from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext, trans_real

from config.stack import ROOT, compile_messages
from core.roles import Role
from households.idnumber import parse_id_number

from ..conftest import login

PO_PATH = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogue():  # type: ignore[no-untyped-def]
    """Compile .po → .mo, then drop Django's and gettext's cached catalogues so they reload."""
    compile_messages()
    gettext_module._translations.clear()  # type: ignore[attr-defined]
    trans_real._translations = {}
    trans_real._default = None
    yield


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


# --- the catalogue file --------------------------------------------------------------------


def test_po_is_fully_translated_without_fuzzy_entries(po):
    entries = [e for e in po if not e.obsolete]
    assert len(entries) > 200  # the catalogue exists and was not truncated
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert po.percent_translated() == 100
    assert not po.metadata_is_fuzzy


def test_po_header_declares_chinese_single_plural_form(po):
    assert po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"


def test_translations_keep_placeholders_and_are_chinese(po):
    problems = []
    for e in po:
        if e.obsolete:
            continue
        if e.msgid_plural:
            assert set(e.msgstr_plural) == {0}, e.msgid  # Chinese has one form
            pairs = [(e.msgid_plural, e.msgstr_plural[0])]
        else:
            pairs = [(e.msgid, e.msgstr)]
        for src, dst in pairs:
            if sorted(PLACEHOLDER.findall(src)) != sorted(PLACEHOLDER.findall(dst)):
                problems.append(("placeholders", src, dst))
            if not re.search(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]", dst):
                problems.append(("no Chinese", src, dst))
    assert problems == []


# The names the code marks strings with (makemessages' keywords). A module that imported one of
# these under another name would hide its strings from makemessages: test_no_gettext_alias.
GETTEXT_FUNCTIONS = {
    "gettext": 0,
    "gettext_lazy": 0,
    "ngettext": 0,
    "ngettext_lazy": 0,
    "pgettext": 1,
    "pgettext_lazy": 1,
    "npgettext": 1,
    "npgettext_lazy": 1,
}
SKIP_DIRS = {".venv", "var", "tests", "bench", "node_modules", "staticfiles", "migrations"}


def _sources(suffix: str) -> list[Path]:
    return [
        p
        for p in Path(ROOT).rglob(f"*{suffix}")
        if p.is_file() and not set(p.relative_to(ROOT).parts) & SKIP_DIRS
    ]


def _gettext_names(tree: ast.Module) -> dict[str, int]:
    """The local names of Django's translation functions in a module: `_` and the functions
    themselves, however imported (gettext_lazy imported under the name `_`, say)."""
    names = dict(GETTEXT_FUNCTIONS)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in GETTEXT_FUNCTIONS:
                    names[alias.asname or alias.name] = GETTEXT_FUNCTIONS[alias.name]
    return names


def _literal_msgids() -> set[str]:
    """Every literal msgid the code marks, read from the syntax tree with the same keywords the
    code uses (multi-line and implicitly concatenated strings included), and from templates."""
    found: set[str] = set()
    for path in _sources(".py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _gettext_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in names or len(node.args) <= names[name]:
                continue
            arg = node.args[names[name]]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
    tpl_tag = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])((?:(?!\1).)+)\1\s*%}""")
    for path in _sources(".html") + _sources(".txt"):
        if "templates" in path.parts:
            found |= {m.group(2) for m in tpl_tag.finditer(path.read_text(encoding="utf-8"))}
    return found


def test_no_gettext_alias():
    """`_T = gettext_lazy` or `import gettext_lazy as T` hides strings from makemessages (it
    happened: half the case workflow stayed English). Only `_` or the functions' own names."""
    offenders = []
    for path in _sources(".py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                offenders += [
                    f"{path}: {a.name} as {a.asname}"
                    for a in node.names
                    if a.name in GETTEXT_FUNCTIONS and a.asname not in (None, "_")
                ]
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Name)
                and node.value.id in GETTEXT_FUNCTIONS
            ):
                offenders.append(f"{path}:{node.lineno}: alias of {node.value.id}")
    assert offenders == []


def test_catalogue_covers_the_marked_strings_in_the_sources(po):
    """Fails when someone marks a new string and nobody re-ran makemessages and translated it."""
    msgids = {e.msgid for e in po if not e.obsolete and e.translated()}
    sources = _literal_msgids()
    assert len(sources) > 100
    assert sorted(sources - msgids) == []


# --- the compiled catalogue ----------------------------------------------------------------


def test_compiled_catalogue_gives_chinese_for_key_strings():
    with translation.override("zh-hans"):
        assert gettext("Households") == "家庭户"
        assert gettext("Log in") == "登录"
        assert gettext("Timeline") == "变更记录"
        assert gettext("Resident ID number") == "身份证号码"
        assert gettext("Head of household") == "户主"
        assert gettext("Urban") == "城镇"
        assert gettext("Rural") == "农村"
        assert str(Role.CASEWORKER.label) == "镇（街）低保经办人员"
        assert str(Role.VILLAGE_ASSISTANT.label) == "村（居）协理员"
        assert str(Role.CIVIL_AFFAIRS_REVIEWER.label) == "区（县级市）民政审核员"
        n = 3
        assert ngettext("%(n)s household", "%(n)s households", n) % {"n": n} == "共 3 户"
    with translation.override("en"):
        assert gettext("Households") == "Households"
        assert str(Role.CASEWORKER.label) == "Township caseworker"


def test_validation_messages_are_translated_with_their_values():
    with translation.override("zh-hans"), pytest.raises(Exception) as exc:
        parse_id_number("44070319800517")
    assert exc.value.messages == ["身份证号码应为 18 位，此号码为 14 位。"]
    with translation.override("en"), pytest.raises(Exception) as exc:
        parse_id_number("44070319800517")
    assert exc.value.messages == ["An ID number has 18 characters; this one has 14."]


# --- the pages: Chinese by default, English on request -------------------------------------


@pytest.mark.django_db
def test_home_page_is_chinese_by_default_and_switches_to_english(client, cw_baisha):
    login(client, cw_baisha)
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="zh-hans">' in html
    for text in ("家庭户", "登记家庭户", "退出登录", "镇（街）低保经办人员", "欢迎"):
        assert text in html, text
    assert "Households" not in html and "Log out" not in html

    r = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert r.status_code == 302
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in html
    for text in ("Households", "Register a household", "Log out", "Township caseworker"):
        assert text in html, text
    assert "家庭户" not in html and "退出登录" not in html

    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")})
    assert "退出登录" in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_household_pages_and_id_check_are_chinese(client, cw_baisha, household_a):
    login(client, cw_baisha)
    html = client.get(reverse("households:list")).content.decode()
    assert "共 1 户" in html and "户口性质" in html
    html = client.get(reverse("households:detail", args=[household_a.pk])).content.decode()
    assert "变更记录" in html and "家庭成员" in html and "户主" in html
    r = client.get(reverse("households:check_id"), {"id_number": "11010519491231002X"})
    assert "有效：出生日期 1949-12-31，女" in r.content.decode()
