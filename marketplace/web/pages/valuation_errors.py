"""Errors of a valuation request, placed next to the form's inputs (issue 8 §4).

The schema and the service report nested paths (``methods.cost.cost_items.0.amount_fen``);
:func:`field_errors` flattens them, renames list rows to the inputs they came from (the row
map of :func:`.valuation_form.document`) and attaches each message to the nearest input, list
or method that exists — numbering a list item it had to drop (``#2: …``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def _flatten(errors: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(errors, list | tuple) and all(isinstance(e, str) for e in errors):
        for message in errors:
            yield prefix, message
    elif isinstance(errors, list | tuple):
        for index, value in enumerate(errors):
            yield from _flatten(value, f"{prefix}.{index}")
    else:
        yield prefix, str(errors)


def field_errors(errors: Mapping[str, Any], known: set[str],
                 rows: Mapping[str, str]) -> dict[str, list[str]]:
    """Schema/service errors keyed by input name; what fits no input goes to ``_form``."""
    out: dict[str, list[str]] = {}
    for path, message in _flatten(errors):
        path = path.removeprefix("methods.")
        for row, name in rows.items():
            if path == row or path.startswith(row + "."):
                path = name + path[len(row):]
                break
        parts, where = path.split("."), "_form"
        while parts:
            candidate = ".".join(parts)
            if candidate in known:
                where = candidate
                break
            if parts[-1].isdigit():
                message = f"#{int(parts[-1]) + 1}: {message}"
            parts.pop()
        out.setdefault(where, []).append(message)
    return out
