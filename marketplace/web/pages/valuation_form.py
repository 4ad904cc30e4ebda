"""The valuation form, generated from the API's input schema (issue 8 §4): one fieldset per
method of :class:`marketplace.valuations.schemas.MethodsIn`, one labelled input per field.

* a scalar field is one input (integers, decimal strings, dates, text);
* a list of scalars (cash flows) is one input of comma-separated values;
* a list of records whose first field is a choice (cost items by category) is one input per
  choice for the record's other field; any other list of records (risk premia) is
  :data:`ROWS` repeated rows.

:func:`document` turns the posted form into the JSON document ``POST
/elements/{id}/valuations`` takes (integers as numbers, rates as strings, empty inputs left
out), so the same schema and service decide; :func:`.valuation_errors.field_errors` maps the
schema's nested error paths back onto the inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from marketplace.valuations.schemas import DecimalText, MethodsIn, StrictInt, ValuationIn

ROWS = 3
#: Request fields outside ``methods`` that the form offers.
TOP = ("agency_org_id", "element_version", "valuation_date")
_INT = re.compile(r"-?[0-9]+")
_SPLIT = re.compile(r"[\s,，;；]+")


@dataclass(frozen=True)
class FormField:
    name: str  # dotted path, e.g. "cost.profit_rate", "cost.cost_items.collection"
    words: tuple[str, ...]  # label parts: schema names (translated by the page) or row numbers
    kind: str  # "integer", "decimal", "date", "text" or "list"
    required: bool
    low: str | None = None
    high: str | None = None
    group: str | None = None  # the list a repeated input belongs to

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


def _kind(field: fields.Field) -> tuple[str, str | None, str | None]:
    if isinstance(field, StrictInt):
        return "integer", str(field.low), str(field.high)
    if isinstance(field, DecimalText):
        return "decimal", str(field.low), str(field.high)
    if isinstance(field, fields.Date):
        return "date", None, None
    return "text", None, None


def _choices(field: fields.Field) -> list[str]:
    found = [v for v in field.validators if isinstance(v, validate.OneOf)]
    return [str(c) for c in found[0].choices] if found else []


def _record(field: fields.Field) -> Mapping[str, fields.Field] | None:
    inner = field.inner if isinstance(field, fields.List) else None
    return inner.schema.fields if isinstance(inner, fields.Nested) else None


def method_schema(method: str) -> Mapping[str, fields.Field]:
    nested = MethodsIn().fields[method]
    assert isinstance(nested, fields.Nested)
    return nested.schema.fields


def method_fields(method: str) -> list[FormField]:
    return list(_fields(method))


def _fields(method: str) -> Iterator[FormField]:
    for name, field in method_schema(method).items():
        path, record = f"{method}.{name}", _record(field)
        if record is None and isinstance(field, fields.List):
            _k, low, high = _kind(field.inner)
            yield FormField(path, (name,), "list", field.required, low, high)
        elif record is None:
            yield FormField(path, (name,), *_kind(field)[:1], field.required, *_kind(field)[1:])
        elif choices := _choices(next(iter(record.values()))):
            value_name, value = list(record.items())[1]
            kind, low, high = _kind(value)
            for choice in choices:
                yield FormField(f"{path}.{choice}", (choice, value_name), kind, False, low,
                                high, group=name)
        else:
            for row in range(ROWS):
                for sub, value in record.items():
                    kind, low, high = _kind(value)
                    yield FormField(f"{path}.{row}.{sub}", (str(row + 1), sub), kind, False,
                                    low, high, group=name)


def _value(field: fields.Field, raw: str) -> Any:
    """Integers become JSON numbers when they look like one; everything else stays text, so
    the schema's own messages explain what is wrong."""
    raw = raw.strip()
    return int(raw) if isinstance(field, StrictInt) and _INT.fullmatch(raw) else raw


def document(method: str, form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The method's part of the request document, and error path → input name for list rows
    (``cost.cost_items.0`` → ``cost.cost_items.collection``)."""
    spec: dict[str, Any] = {}
    rows: dict[str, str] = {}
    for name, field in method_schema(method).items():
        path, record = f"{method}.{name}", _record(field)
        if record is None and isinstance(field, fields.List):
            raw = form.get(path, "").strip()
            if raw:
                spec[name] = [_value(field.inner, part) for part in _SPLIT.split(raw) if part]
        elif record is None:
            if form.get(path, "").strip():
                spec[name] = _value(field, form[path])
        elif choices := _choices(next(iter(record.values()))):
            (first, _f), (value_name, value) = list(record.items())[:2]
            filled = [(c, form[f"{path}.{c}"]) for c in choices
                      if form.get(f"{path}.{c}", "").strip()]
            if filled:
                spec[name] = [{first: c, value_name: _value(value, raw)} for c, raw in filled]
            rows.update({f"{path}.{i}": f"{path}.{c}" for i, (c, _raw) in enumerate(filled)})
        else:
            kept = [row for row in range(ROWS)
                    if any(form.get(f"{path}.{row}.{sub}", "").strip() for sub in record)]
            if kept:
                spec[name] = [{sub: _value(value, form.get(f"{path}.{row}.{sub}", ""))
                               for sub, value in record.items()} for row in kept]
            rows.update({f"{path}.{i}": f"{path}.{row}" for i, row in enumerate(kept)})
    return spec, rows


def request_document(method: str, form: Mapping[str, str]) -> tuple[dict[str, Any],
                                                                    dict[str, str]]:
    """The whole ``POST /elements/{id}/valuations`` document for one method."""
    spec, rows = document(method, form)
    top = ValuationIn().fields
    doc: dict[str, Any] = {name: _value(top[name], form[name]) for name in TOP
                           if form.get(name, "").strip()}
    doc["methods"] = {method: spec}
    return doc, rows


def known_names(method: str) -> set[str]:
    """Every name an error can attach to: the inputs, their lists and the method itself."""
    found = method_fields(method)
    return ({f.name for f in found} | {f"{method}.{f.group}" for f in found if f.group}
            | {method, *TOP})
