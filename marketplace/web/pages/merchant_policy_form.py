"""The query-policy form of the merchant console (issue 8 §2) ↔ the body ``PUT
/api/v1/elements/{id}/query-policy`` takes (issue 7 §2).

The inputs are generated from the policy's own definition: the fields of
``sandbox.QueryPolicy`` (whose wire form ``sandbox.policy`` documents) and the members of the
API's ``PolicyIn`` schema other than ``policy`` itself (``excluded_columns``) — a member added
there shows up here, and an unknown kind of member fails at import. Values travel as text;
whole numbers are checked here, everything else by the API's own parser and service.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import fields as mm

from marketplace.access.schemas import PolicyIn
from marketplace.errors import ValidationFailed
from marketplace.web.i18n import gettext as _
from sandbox import AGGREGATE_FUNCTIONS, QueryPolicy
from sandbox.policy_doc import DEFAULTS

# QueryPolicy field type (as annotated) → input kind.
_KINDS = {"str": "text", "int": "int", "Decimal": "decimal", "bool": "bool",
          "frozenset[str]": "columns", "Mapping[str, AggregateRule]": "aggregates"}
_WHOLE = re.compile(r"[+-]?\d{1,18}")


@dataclass(frozen=True)
class Field:
    """One policy parameter: its wire name, input kind and whether it is a policy member."""

    name: str
    kind: str  # identity | columns | aggregates | text | int | decimal | bool
    in_policy: bool = True


def _kind(name: str, annotation: object) -> str:
    return "identity" if name == "identity" else _KINDS[str(annotation)]


POLICY_FIELDS = tuple(Field(f.name, _kind(f.name, f.type)) for f in dataclasses.fields(QueryPolicy))
EXTRA_FIELDS = tuple(Field(name, "columns", in_policy=False)
                     for name, f in PolicyIn().fields.items()
                     if name != "policy" and isinstance(f, mm.List))
FIELDS = POLICY_FIELDS + EXTRA_FIELDS
FUNCTIONS = AGGREGATE_FUNCTIONS


def texts() -> dict[str, tuple[str, str]]:
    """Label and hint of each parameter, in the visitor's language."""
    return {
        "identity": (_("Identity column"), _("One value per person or entity; k counts "
                                             "distinct values of it.")),
        "dimensions": (_("Dimensions"), _("Columns buyers may group and filter by.")),
        "aggregates": (_("Allowed aggregates"), _("Functions buyers may compute per column; "
                                                  "sum and average need bounds.")),
        "table": (_("Table name"), _("The name buyers use in FROM.")),
        "k": (_("Minimum group size (k)"), _("Groups with fewer distinct identities are "
                                             "suppressed; at least 2.")),
        "epsilon_per_query": (_("Privacy budget per query (ε)"), _("Smaller means more noise.")),
        "epsilon_per_license": (_("Privacy budget per license (ε)"),
                                _("Total over all of a license's queries.")),
        "max_rows": (_("Maximum rows per answer"), _("At most the maximum groups per query.")),
        "max_groups": (_("Maximum groups per query"), ""),
        "max_rows_per_identity": (_("Maximum rows per identity"),
                                  _("The contribution bound the noise is calibrated to.")),
        "allow_joins": (_("Allow joins"), _("Not supported in this version.")),
        "allow_subqueries": (_("Allow subqueries"), _("Not supported in this version.")),
        "excluded_columns": (_("Columns never delivered"),
                             _("The records API leaves these out (e.g. direct identifiers).")),
    }


def values_from_policy(doc: Mapping[str, Any], excluded: Iterable[str]) -> dict[str, Any]:
    """Form values from a policy's wire form (members it lacks take their defaults)."""
    doc = {**DEFAULTS, "identity": "", "dimensions": [], **doc,
           "excluded_columns": list(excluded)}
    values: dict[str, Any] = {}
    for f in FIELDS:
        raw = doc.get(f.name)
        if f.kind == "columns":
            values[f.name] = list(raw or [])
        elif f.kind == "aggregates":
            values[f.name] = {col: {"functions": list(r.get("functions") or []),
                                    **{b: "" if r.get(b) is None else str(r[b])
                                       for b in ("lower", "upper")}}
                              for col, r in (raw or {}).items()}
        elif f.kind == "bool":
            values[f.name] = bool(raw)
        else:
            values[f.name] = "" if raw is None else str(raw)
    return values


def values_from_form(form: Any, columns: list[str]) -> dict[str, Any]:
    """Form values from the posted form (aggregate rows are numbered by schema column)."""
    values: dict[str, Any] = {}
    for f in FIELDS:
        if f.kind == "columns":
            values[f.name] = form.getlist(f.name)
        elif f.kind == "aggregates":
            rows = {col: {"functions": form.getlist(f"{f.name}-{i}-functions"),
                          "lower": form.get(f"{f.name}-{i}-lower", ""),
                          "upper": form.get(f"{f.name}-{i}-upper", "")}
                    for i, col in enumerate(columns)}
            values[f.name] = {col: r for col, r in rows.items()
                              if r["functions"] or r["lower"].strip() or r["upper"].strip()}
        elif f.kind == "bool":
            values[f.name] = form.get(f.name) == "yes"
        else:
            values[f.name] = form.get(f.name, "")
    return values


def document(values: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body ``PUT …/query-policy`` would get; 422 at ``policy./<name>`` for text in a
    whole-number input (the API's parser would only say "must be a int")."""
    policy: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for f in POLICY_FIELDS:
        value = values[f.name]
        if f.kind == "aggregates":
            value = {col: {"functions": r["functions"],
                           **{b: r[b].strip() for b in ("lower", "upper") if r[b].strip()}}
                     for col, r in value.items() if r["functions"]}
        elif f.kind == "int":
            text = value.strip()
            if not _WHOLE.fullmatch(text):
                errors[f"/{f.name}"] = [_("Enter a whole number.")]
            value = int(text) if _WHOLE.fullmatch(text) else text
        elif f.kind in ("decimal", "text", "identity"):
            value = value.strip()
        policy[f.name] = value
    if errors:
        raise ValidationFailed(errors={"policy": errors})
    return {"policy": policy, **{f.name: values[f.name] for f in EXTRA_FIELDS}}
