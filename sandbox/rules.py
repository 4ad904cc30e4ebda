"""Stable rule ids of the vetting step (issue 7 §3) and their fixed messages.

Messages are constants: a rejection may name a schema column or the policy's table, never a
literal, a value or any other text taken from the query.
"""

from __future__ import annotations

from typing import NoReturn

from sandbox.errors import Rejected

__all__ = ["RULES", "reject"]

_FILTER = ("Filters may only compare a dimension with a literal (=, <>, <, <=, >, >=, IN, "
           "BETWEEN), combined with AND and NOT, or with OR over a single column.")
RULES: dict[str, str] = {
    "sandbox.syntax.invalid": "The query could not be parsed as one DuckDB SELECT statement.",
    "sandbox.syntax.too_long": "The query is too long.",
    "sandbox.syntax.comment": "Comments are not accepted; send the bare query.",
    "sandbox.syntax.not_allowed": "The query uses a construct the sandbox does not accept.",
    "sandbox.query.too_complex": "The query has too many terms.",
    "sandbox.statement.count": "Send exactly one statement.",
    "sandbox.statement.not_select": "Only a single SELECT query is accepted.",
    "sandbox.from.not_element": "Query exactly one table: the element's own table.",
    "sandbox.table_function.not_allowed": "Table functions, file paths and URLs are not accepted.",
    "sandbox.values.not_allowed": "VALUES lists are not accepted.",
    "sandbox.join.not_allowed": "Joins are not accepted.",
    "sandbox.subquery.not_allowed": "Subqueries, CTEs and set operations are not accepted.",
    "sandbox.window.not_allowed": "Window functions and QUALIFY are not accepted.",
    "sandbox.sample.not_allowed": "SAMPLE is not accepted.",
    "sandbox.parameter.not_allowed": "Placeholders are not accepted; write literals inline.",
    "sandbox.function.not_allowed": ("Only COUNT(*), COUNT(column), COUNT(DISTINCT column), "
                                     "SUM(column) and AVG(column) are accepted."),
    "sandbox.aggregate.row_revealing": ("Aggregates that reveal individual values (lists, "
                                        "strings, histograms, min/max, arg_max, first, any_value"
                                        ", quantiles) are not accepted."),
    "sandbox.aggregate.not_allowed": "The policy does not allow this aggregate on this column.",
    "sandbox.distinct.not_allowed": "DISTINCT is only accepted as COUNT(DISTINCT column).",
    "sandbox.identity.referenced": "The identity column may not appear anywhere in the query.",
    "sandbox.column.unknown": "The query names a column the element does not have.",
    "sandbox.column.not_allowed": "The policy does not allow this column in the query.",
    "sandbox.group.not_dimension": "GROUP BY accepts only the policy's dimension columns.",
    "sandbox.select.star": "SELECT * is not accepted; name dimensions and aggregates.",
    "sandbox.select.not_grouped": ("Every output column must be an aggregate or a grouped "
                                   "dimension."),
    "sandbox.select.expression": ("Each output column must be one dimension or one aggregate; "
                                  "derive other values from the answer."),
    "sandbox.select.no_aggregate": "The query must compute at least one aggregate.",
    "sandbox.where.not_dimension": "Filters accept only the policy's dimension columns.",
    "sandbox.where.not_allowed": _FILTER,
    "sandbox.where.or_across_columns": ("OR may only combine conditions on one column; OR across "
                                        "columns (tracker filters) is not accepted."),
    "sandbox.literal.type_mismatch": "A literal does not match its column's type.",
    "sandbox.having.not_allowed": ("HAVING may only compare an output aggregate with a number, "
                                   "combined with AND."),
    "sandbox.order.not_output": "ORDER BY may only name output columns.",
    "sandbox.limit.invalid": "LIMIT must be a positive integer.",
    "sandbox.limit.too_large": "LIMIT exceeds the policy's maximum number of rows.",
    "sandbox.offset.not_allowed": "OFFSET is not accepted.",
    "sandbox.result.too_many_groups": ("The query produces more groups than the policy allows; "
                                       "filter or group more coarsely."),
}


def reject(rule: str, column: str | None = None) -> NoReturn:
    """Raise :class:`Rejected` for ``rule``; ``column`` must be a schema column name."""
    message = RULES[rule]
    raise Rejected(rule, f"{message} (column: {column})" if column else message)
