"""Settings are declared once; the README's table is generated from the declarations."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace import config

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_documents_every_setting_exactly() -> None:
    assert config.markdown_table() in README.read_text(encoding="utf-8")


def test_precedence_override_then_environment_then_default() -> None:
    env = {"ELX_PAGE_SIZE_MAX": "50", "ELX_LOG_LEVEL": "DEBUG"}
    values = config.load({"LOG_LEVEL": "WARNING"}, environ=env)
    assert values["LOG_LEVEL"] == "WARNING"
    assert values["PAGE_SIZE_MAX"] == 50
    assert values["LOGIN_WINDOW"] == 900


def test_malformed_environment_values_name_the_variable() -> None:
    with pytest.raises(ValueError, match="ELX_LOGIN_WINDOW"):
        config.load(environ={"ELX_LOGIN_WINDOW": "fifteen minutes"})


def test_unknown_lowercase_override_is_rejected() -> None:
    with pytest.raises(KeyError):
        config.load({"login_window": 1}, environ={})
