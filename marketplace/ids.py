"""Opaque, prefixed, random identifiers (``org_…``, ``usr_…``): 80 random bits, base32."""

from __future__ import annotations

import base64
import os
import re

_ID = re.compile(r"[a-z]{2,4}_[a-z2-7]{16}")


def new_id(prefix: str) -> str:
    """A fresh identifier such as ``ast_k3j5…`` (prefix names the kind of thing)."""
    return f"{prefix}_{base64.b32encode(os.urandom(10)).decode().lower()}"


def looks_like_id(text: str) -> bool:
    return bool(_ID.fullmatch(text))
