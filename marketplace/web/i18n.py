"""Chinese and English for the console (issue 8): gettext catalogs, language from the browser,
switchable.

Source strings are English. Translations live in ``translations/<lang>/*.po`` (one file per console
area, so areas never edit the same file), read with Babel's PO parser and merged once per
process. Jinja's ``i18n`` extension is installed with new-style gettext, so ``{{ _("…", n=x) }}``
escapes its arguments (Jinja docs, "i18n Extension — New Style Gettext").
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from flask import Flask, g, request

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
COOKIE = "elx_lang"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
_DIR = Path(__file__).parent / "translations"


@cache
def catalog(lang: str) -> dict[str, str]:
    """msgid → msgstr for ``lang`` (fuzzy and untranslated entries left out)."""
    merged: dict[str, str] = {}
    for path in sorted((_DIR / lang).glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string and not message.fuzzy \
                        and isinstance(message.id, str):
                    merged[message.id] = str(message.string)
    return merged


def current_language() -> str:
    """Cookie set by the switcher, else the browser's ``Accept-Language``, else Chinese."""
    if "elx_lang" not in g:
        chosen = request.cookies.get(COOKIE)
        if chosen not in LANGUAGES:
            chosen = request.accept_languages.best_match(LANGUAGES) or DEFAULT
        g.elx_lang = chosen
    return g.elx_lang


def gettext(message: str, **values: Any) -> str:
    lang = current_language()
    text = message if lang == "en" else catalog(lang).get(message, message)
    return text % values if values else text


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    values.setdefault("num", num)
    return gettext(singular if num == 1 else plural, **values)


def install(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=gettext, ngettext=ngettext, newstyle=True)
