"""Strict marshmallow fields: JSON types are not coerced (``"yes"`` is not a boolean)."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields


class StrictBool(fields.Boolean):
    """Only JSON ``true``/``false``; no ``"yes"``, ``1`` or ``"on"``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_ANY = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class Text(fields.String):
    """Printable Unicode text: no lone surrogates, no NUL or other control characters (a NUL
    cannot be stored by PostgreSQL). ``multiline=True`` admits tab, LF and CR."""

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _SURROGATE.search(text):
            raise ValidationError("Must be valid Unicode text.")
        if (_CONTROL if self.multiline else _CONTROL_ANY).search(text):
            raise ValidationError("Must not contain control characters.")
        return text
