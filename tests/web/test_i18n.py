"""Chinese and English (issue 8): every console string has a Chinese translation, the
language follows the browser and the switcher, and the page says which language it is in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir

from marketplace.web import i18n

WEB = Path(__file__).parents[2] / "marketplace" / "web"
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def console_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(WEB), METHODS, options_map=OPTIONS,
            keywords={"_": None, "gettext": None, "ngettext": (1, 2)}):
        for text in (message if isinstance(message, tuple) else (message,)):
            if text:
                found.add(text)
    return found


def test_extraction_finds_the_console_strings() -> None:
    messages = console_messages()
    assert "Sign in" in messages and "Skip to content" in messages  # the extractor works
    assert len(messages) > 20


def test_every_console_string_is_translated_to_chinese() -> None:
    missing = sorted(console_messages() - set(i18n.catalog("zh")))
    assert missing == [], f"{len(missing)} strings lack a zh translation: {missing[:20]}"


def test_no_string_has_two_translations() -> None:
    """The areas' catalogs are merged into one: a string translated two ways in two files
    would silently show the other file's words (the buyer's "Order" read 下单, "place an
    order", where the orders table means 订单, "the order")."""
    from babel.messages.pofile import read_po

    found: dict[str, dict[str, str]] = {}
    for path in sorted((WEB / "translations" / "zh").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string and isinstance(message.id, str):
                    found.setdefault(message.id, {})[str(message.string)] = path.name
    twice = {text: ways for text, ways in found.items() if len(ways) > 1}
    assert twice == {}


def test_translations_keep_their_placeholders() -> None:
    import re

    holes = re.compile(r"%\((\w+)\)s")
    wrong = {k: v for k, v in i18n.catalog("zh").items()
             if sorted(holes.findall(k)) != sorted(holes.findall(v))}
    assert wrong == {}


@pytest.mark.parametrize(("header", "cookie", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh"),
    ("en-US,en;q=0.9", None, "en"),
    ("fr-FR", None, "zh"),
    (None, None, "zh"),
    ("en-US", "zh", "zh"),
    ("zh-CN", "en", "en"),
    ("zh-CN", "xx", "zh"),
])
def test_language_from_browser_then_switcher(app: Any, header: str | None, cookie: str | None,
                                            expected: str) -> None:
    client = app.test_client()
    if cookie:
        client.set_cookie("elx_lang", cookie)
    headers = {"Accept-Language": header} if header else {}
    html = client.get("/login", headers=headers).get_data(as_text=True)
    assert f'<html lang="{i18n.HTML_LANG[expected]}">' in html
    assert ("登录" in html) == (expected == "zh")


def test_switcher_sets_the_language_and_returns(app: Any) -> None:
    client = app.test_client()
    response = client.get("/lang/en", query_string={"next": "/login"},
                          headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    html = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign in" in html
    assert client.get("/lang/xx").status_code == 404
