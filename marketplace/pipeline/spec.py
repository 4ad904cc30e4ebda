"""The pipeline spec, format ``elx-pipeline/v1`` (issue 4 §1): a declarative JSON document,
validated strictly and by carrying the schema (column → DuckDB type) through every step.

::

    {"format": "elx-pipeline/v1",
     "inputs": [{"alias": "t", "version_id": "ver_…"}, …],   # the first is the main table
     "steps": [{"type": "select", "columns": ["a", "b"]}, …], # steps/registry.py, at most 64
     "element": {"title": "…", "description": "…", "column_descriptions": {"a": "…"},
                 "quasi_identifiers": ["age", "district"], "k": 5,
                 "licensed_personal_data": [{"column": "name", "legal_basis": "consent"}]}}

:func:`load_spec` rejects, as :class:`~marketplace.errors.ValidationFailed` whose ``errors`` key
names the field (``{"steps.3.column": ["Unknown column 'agee'; known: age, …"]}``): a document
over 64 KiB, bad JSON (duplicate keys, NaN), unknown keys, an unknown step type, a wrong column,
a type error, a join against an undeclared input or the main input itself, duplicate output
names, too many steps, too-deep filter trees, and row-changing or QI-changing steps after
``k_anonymity``.  ``spec_hash`` is the SHA-256 of the RFC 8785 (JCS) canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

from marketplace.errors import ValidationFailed

from .steps import reader as r
from .steps.base import CheckContext, Step
from .steps.element import ElementSettings, parse_settings
from .steps.kanon_step import KAnonymity
from .steps.registry import parse_step
from .steps.types import Schema

__all__ = ["FORMAT", "MAX_SPEC_BYTES", "MAX_STEPS", "ElementSettings", "InputRef",
           "PipelineSpec", "ValidatedPipeline", "load_spec", "spec_hash"]

FORMAT = "elx-pipeline/v1"
MAX_SPEC_BYTES = 64 * 1024
MAX_STEPS = 64
MAX_INPUTS = 8
_ALIAS = re.compile(r"[a-z][a-z0-9_]{0,31}")
_VERSION = re.compile(r"[a-z]{2,4}_[a-z2-7]{16}")  # marketplace.ids


@dataclass(frozen=True)
class InputRef:
    alias: str
    version_id: str


@dataclass(frozen=True)
class PipelineSpec:
    """A parsed spec; ``canonical`` is its RFC 8785 JSON, the bytes ``spec_hash`` covers."""

    inputs: tuple[InputRef, ...]
    steps: tuple[Step, ...]
    element: ElementSettings
    canonical: bytes

    @property
    def spec_hash(self) -> str:
        return hashlib.sha256(self.canonical).hexdigest()

    @property
    def main(self) -> InputRef:
        return self.inputs[0]

    @property
    def uses_secret(self) -> bool:
        return any(step.uses_secret for step in self.steps)


@dataclass(frozen=True)
class ValidatedPipeline:
    """A spec with the schemas of its inputs (by alias) and after each of its steps."""

    spec: PipelineSpec
    inputs: tuple[tuple[str, Schema], ...]
    schemas: tuple[Schema, ...]

    @property
    def schema(self) -> Schema:
        return self.schemas[-1] if self.schemas else self.inputs[0][1]

    def input_schema(self, alias: str) -> Schema:
        return dict(self.inputs)[alias]


def spec_hash(document: object) -> str:
    """SHA-256 (hex) of the RFC 8785 canonical JSON of ``document``."""
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()


def _fail(path: str, message: str) -> ValidationFailed:
    return ValidationFailed("The pipeline spec is not valid.", errors={path or "spec": [message]})


def _reject_constant(token: str) -> object:
    raise ValueError(f"{token} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _document(raw: bytes | str | Mapping[str, Any]) -> tuple[Any, bytes]:
    """The JSON document and its canonical bytes; size and syntax checked."""
    if isinstance(raw, Mapping):
        try:
            raw = json.dumps(raw, ensure_ascii=False)
        except (TypeError, ValueError):
            raise _fail("spec", "The spec holds values that are not JSON.") from None
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if len(data) > MAX_SPEC_BYTES:
        raise _fail("spec", f"The spec is {len(data)} bytes; at most {MAX_SPEC_BYTES}.")
    try:
        doc = json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
        canonical = rfc8785.dumps(doc)
    except (ValueError, RecursionError) as err:  # JSONDecodeError, UnicodeError, JCS domain
        raise _fail("spec", f"Not valid JSON for a spec: {str(err)[:200]}") from None
    return doc, canonical


def load_spec(raw: bytes | str | Mapping[str, Any],
              input_columns: Mapping[str, Sequence[Any]]) -> ValidatedPipeline:
    """Parse and validate a spec; ``input_columns`` maps each version id the caller may use
    to its columns (``Column``, ``{"name", "type"}`` or ``(name, type)``)."""
    doc, canonical = _document(raw)
    try:
        r.obj(doc, "", required=("format", "inputs", "steps", "element"))
        if doc["format"] != FORMAT:
            raise r.SpecError("format", f"Unsupported format; expected {FORMAT!r}.")
        inputs = _inputs(doc["inputs"], input_columns)
        items = r.array(doc["steps"], "steps", min_len=0, max_len=MAX_STEPS)
        element = parse_settings(doc["element"], "element")
    except r.SpecError as err:
        raise _fail(err.path, err.message) from None
    errors: dict[str, list[str]] = {}
    steps = []
    for i, item in enumerate(items):
        try:
            steps.append(parse_step(item, f"steps.{i}"))
        except r.SpecError as err:
            errors.setdefault(err.path, []).append(err.message)
    if errors:
        raise ValidationFailed("The pipeline spec is not valid.", errors=errors)
    spec = PipelineSpec(inputs, tuple(steps), element, canonical)
    try:
        return _walk(spec, input_columns)
    except r.SpecError as err:
        raise _fail(err.path, err.message) from None


def _inputs(raw: object, known: Mapping[str, Sequence[Any]]) -> tuple[InputRef, ...]:
    out: list[InputRef] = []
    for i, item in enumerate(r.array(raw, "inputs", max_len=MAX_INPUTS)):
        p = f"inputs.{i}"
        r.obj(item, p, required=("alias", "version_id"))
        alias = r.string(item["alias"], f"{p}.alias", max_len=32)
        if not _ALIAS.fullmatch(alias):
            raise r.SpecError(f"{p}.alias", "An alias is a lower-case letter then up to 31 "
                                            "lower-case letters, digits or '_'.")
        if any(x.alias == alias for x in out):
            raise r.SpecError(f"{p}.alias", f"Alias {alias!r} is declared twice.")
        version = r.string(item["version_id"], f"{p}.version_id", max_len=64)
        if not _VERSION.fullmatch(version) or version not in known:
            raise r.SpecError(f"{p}.version_id", f"Unknown asset version {version[:64]!r}.")
        out.append(InputRef(alias, version))
    return tuple(out)


def _walk(spec: PipelineSpec, known: Mapping[str, Sequence[Any]]) -> ValidatedPipeline:
    """Carry the schema through the steps; the first problem raises SpecError."""
    inputs = {x.alias: Schema.of(known[x.version_id]).checked(f"inputs.{i}.version_id")
              for i, x in enumerate(spec.inputs)}
    qis, k = spec.element.quasi_identifiers, spec.element.k
    ctx = CheckContext(inputs, spec.main.alias, qis, k)
    schema, schemas, kanon_at, joined = inputs[spec.main.alias], [], None, set()
    for i, step in enumerate(spec.steps):
        path = f"steps.{i}"
        if kanon_at is not None:
            _after_kanon(step, path, kanon_at, qis)
        schema = step.check(schema, ctx, path)
        if kanon_at is not None and (lost := [q for q in qis if not schema.has(q)]):
            raise r.SpecError(path, f"Quasi-identifier {lost[0]!r} must stay in the output.")
        if isinstance(step, KAnonymity):
            kanon_at = i
        joined |= {getattr(step, "input", None)}
        schemas.append(schema)
    if qis and kanon_at is None:
        raise r.SpecError("element.quasi_identifiers", "Declared quasi-identifiers need a "
                                                       "k_anonymity step.")
    for i, x in enumerate(spec.inputs[1:], start=1):
        if x.alias not in joined:
            raise r.SpecError(f"inputs.{i}.alias", f"Input {x.alias!r} is never joined.")
    final = schemas[-1] if schemas else schema
    spec.element.check(final)
    return ValidatedPipeline(spec, tuple(inputs.items()), tuple(schemas))


def _after_kanon(step: Step, path: str, kanon_at: int, qis: tuple[str, ...]) -> None:
    """After k_anonymity only per-row column steps that leave the QIs alone may run."""
    if isinstance(step, KAnonymity):
        raise r.SpecError(f"{path}.type", f"Only one k_anonymity step (step {kanon_at}).")
    if not step.row_preserving:
        raise r.SpecError(f"{path}.type", f"A '{step.type}' step cannot follow k_anonymity "
                                          f"(step {kanon_at}): it would change its classes.")
    if touched := sorted(step.columns_used() & set(qis)):
        raise r.SpecError(path, f"Quasi-identifier {touched[0]!r} was k-anonymised at step "
                                f"{kanon_at} and cannot change afterwards.")
