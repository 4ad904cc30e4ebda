"""Errors of a query-policy save, next to the inputs they concern (issue 8 §2).

The API answers a bad policy with JSON-pointer paths under ``policy`` (``sandbox.policy_doc``,
``sandbox.policy``: ``/k``, ``/aggregates/<column>/functions``) and a bad list under its own
name (``excluded_columns``); after :func:`.merchant_common.flatten` they read
``policy./k``. :func:`field_errors` keys each message by input (``k``, ``aggregates.<column>``);
what fits no input goes to ``_schema``. The sandbox's messages are English constants:
:func:`translate` gives the known ones in the visitor's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from marketplace.web.i18n import gettext as _
from marketplace.web.pages.merchant_policy_form import FIELDS

_AT_LEAST = re.compile(r"must be at least (\d+)")


def _messages() -> dict[str, Callable[[], str]]:
    number = lambda: _("Enter a number, e.g. 0.5.")  # noqa: E731
    return {
        "must be a lower-case SQL identifier":
            lambda: _("Use a lower-case SQL name: letters, digits and underscores."),
        "must be a column that is neither a dimension nor aggregated":
            lambda: _("The identity column must be neither a dimension nor aggregated."),
        "sum/avg need numeric bounds with lower < upper":
            lambda: _("Sum and average need numeric bounds with lower < upper."),
        "must not exceed max_groups":
            lambda: _("Must not exceed the maximum groups per query."),
        "must be positive": lambda: _("Must be greater than 0."),
        "must be at least epsilon_per_query":
            lambda: _("Must be at least the privacy budget per query."),
        "not supported: no sound rewrite exists for it in this version":
            lambda: _("Not supported in this version."),
        "must be a decimal string or an integer": number,
        "must be finite": number,
        "column names must not be empty": lambda: _("Choose columns from the list."),
        "no identity column found; declare one":
            lambda: _("No identity column was found: choose one."),
    }


def translate(message: str) -> str:
    """A sandbox message in the visitor's language (unknown ones unchanged)."""
    if (known := _messages().get(message)) is not None:
        return known()
    if message.startswith("must be a non-empty subset of"):
        return _("Choose at least one function.")
    if match := _AT_LEAST.fullmatch(message):
        return _("Must be at least %(n)s.", n=match.group(1))
    return message


def _input(key: str, columns: list[str]) -> str:
    if key == "excluded_columns" or key.startswith("excluded_columns."):
        return "excluded_columns"
    pointer = key.removeprefix("policy.") if key.startswith("policy./") else None
    if pointer is None:
        return "_schema"
    for col in columns:  # the API cuts aggregate paths at 80 characters
        path = f"/aggregates/{col}"[:80]
        if pointer == path or pointer.startswith(path + "/"):
            return f"aggregates.{col}"
    name = pointer[1:].split("/", 1)[0]
    return name if name in {f.name for f in FIELDS} else "_schema"


def field_errors(flat: Mapping[str, list[str]], columns: list[str]) -> dict[str, list[str]]:
    """Messages by input name (see the module docstring), translated."""
    out: dict[str, list[str]] = {}
    for key, messages in flat.items():
        where = _input(key, columns)
        for message in messages:
            text = translate(message)
            if where == "_schema" and key not in ("_schema", "policy./", "policy."):
                text = f"{key.removeprefix('policy.')}: {text}"
            out.setdefault(where, []).append(text)
    return out
