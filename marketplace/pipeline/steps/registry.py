"""The registry of step types: ``"type"`` name → class, and strict parsing of one step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import reader as r
from .base import Step
from .columns import Cast, FillNulls, NormaliseText, Rename, Select, Suppress
from .joins import Aggregate, Join
from .kanon_step import KAnonymity
from .privacy import Generalise, KeyedHash, Mask, RedactPII, Tokenise
from .rows import Dedupe, DropNulls, Filter, Sample

__all__ = ["REGISTRY", "parse_step"]

REGISTRY: Mapping[str, type[Step]] = {cls.type: cls for cls in (
    Select, Rename, Cast, Filter, Dedupe, NormaliseText, FillNulls, DropNulls, Join, Aggregate,
    Sample, Mask, KeyedHash, Tokenise, Generalise, Suppress, RedactPII, KAnonymity,
)}


def parse_step(raw: Any, path: str) -> Step:
    """One step object: its ``type`` picks the class, whose keys are then read strictly."""
    if not isinstance(raw, Mapping):
        raise r.SpecError(path, "Must be an object.")
    type_ = raw.get("type")
    if not isinstance(type_, str) or type_ not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        shown = repr(type_)[:60] if type_ is not None else "none"
        raise r.SpecError(r.join(path, "type"), f"Unknown step type {shown}; known: {known}.")
    cls = REGISTRY[type_]
    r.obj(raw, path, required=("type", *cls.required), optional=cls.optional)
    return cls.parse(raw, path)
