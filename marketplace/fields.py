"""Strict marshmallow fields: JSON types are not coerced (``"yes"`` is not a boolean)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields


class StrictBool(fields.Boolean):
    """Only JSON ``true``/``false``; no ``"yes"``, ``1`` or ``"on"``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
