"""Name and literal resolution for vetting (issue 7 §3): columns are looked up in the
element's schema (case-insensitively, as DuckDB does), checked against the policy's roles, and
literals are converted to typed Python values that are later bound as parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from sandbox.model import Value, column_kind
from sandbox.policy import QueryPolicy
from sandbox.rules import reject

__all__ = ["MAX_LITERAL", "Resolver"]

MAX_LITERAL = 1000  # characters in one string literal; digits in one number are capped at 30


class Resolver:
    """Resolves column references of one query against the schema and the policy."""

    def __init__(self, policy: QueryPolicy, columns: Mapping[str, str]) -> None:
        self.policy = policy
        self.kinds = {name: column_kind(t) for name, t in columns.items()}
        self._by_lower = {name.lower(): name for name in columns}
        self.qualifiers = {policy.table}

    def name(self, node: exp.Column) -> str:
        """The schema name of a column reference; identity and unknown columns are refused."""
        if node.args.get("db") or node.args.get("catalog"):
            reject("sandbox.from.not_element")
        table = node.args.get("table")
        if table is not None and table.name.lower() not in self.qualifiers:
            reject("sandbox.from.not_element")
        if not isinstance(node.this, exp.Identifier):
            reject("sandbox.select.star" if isinstance(node.this, exp.Star)
                   else "sandbox.syntax.not_allowed")
        found = self._by_lower.get(node.name.lower())
        if found is None:
            reject("sandbox.column.unknown")
        if found == self.policy.identity:
            reject("sandbox.identity.referenced")
        return found

    def dimension(self, node: exp.Expression, rule: str) -> str:
        """A column reference that must be one of the policy's dimensions."""
        if not isinstance(node, exp.Column):
            reject(rule)
        name = self.name(node)
        if name not in self.policy.dimensions:
            reject(rule, name)
        return name

    def literal(self, node: exp.Expression, column: str) -> Value:
        """A literal compared with ``column``, converted to the column's Python type."""
        kind = self.kinds[column]
        while isinstance(node, exp.Paren):
            node = node.this
        if kind == "text" and isinstance(node, exp.Literal) and node.is_string:
            if len(node.this) > MAX_LITERAL:
                reject("sandbox.literal.type_mismatch", column)
            return str(node.this)
        if kind == "bool" and isinstance(node, exp.Boolean):
            return bool(node.this)
        if kind == "date":
            if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE):
                node = node.this
            if isinstance(node, exp.Literal) and node.is_string:
                try:
                    return date.fromisoformat(node.this)
                except ValueError:
                    reject("sandbox.literal.type_mismatch", column)
        if kind in ("int", "float"):
            return _number(node, column, kind)
        if isinstance(node, exp.Placeholder | exp.Parameter):
            reject("sandbox.parameter.not_allowed")
        if isinstance(node, exp.Literal | exp.Boolean | exp.Null | exp.Neg | exp.Cast):
            reject("sandbox.literal.type_mismatch", column)
        return reject("sandbox.where.not_allowed")


def number(node: exp.Expression) -> Decimal | None:
    """A numeric literal (optionally negated) as a Decimal, or None if it is not one."""
    sign = 1
    while isinstance(node, exp.Neg | exp.Paren):
        sign = -sign if isinstance(node, exp.Neg) else sign
        node = node.this
    if not isinstance(node, exp.Literal) or node.is_string or len(str(node.this)) > 30:
        return None
    try:
        value = Decimal(str(node.this))
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value.adjusted()) > 30:
        return None
    return sign * value


def _number(node: exp.Expression, column: str, kind: str) -> Value:
    value = number(node)
    if value is None:
        if isinstance(node, exp.Placeholder | exp.Parameter):
            reject("sandbox.parameter.not_allowed")
        return reject("sandbox.literal.type_mismatch", column)
    if value == value.to_integral_value():
        return int(value)
    return value
