"""A query's two facet marginals (:func:`.facets.count_facets`) read as one row (issue 5 §3,
catalog performance).

Grouping the matches by facet_key and by domain in SQL sorts them twice and returns a row per
group. Instead one scan of the matches aggregates each marginal into one text, counted here:

* the facet_keys of the matches passing the domain filter — integers, comma-separated
  (``group_concat`` on SQLite, ``string_agg`` on PostgreSQL);
* the domains of the matches passing every non-domain filter — a JSON array of strings
  (``json_group_array`` / ``json_agg``), so any domain text (commas, quotes, any script)
  round-trips exactly.

Both are ``NULL`` (or ``[]``) when no match passes. The order of the values is irrelevant.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlalchemy import Text, and_, cast, func, literal_column
from sqlalchemy.engine import Dialect

from marketplace.listings.distribution import Marginals


def _filtered(aggregate: Any, where: list[Any]) -> Any:
    return aggregate.filter(and_(*where)) if where else aggregate


def keys_text(key: Any, where: list[Any], dialect: Dialect) -> Any:
    """SQL: the values of the integer column ``key`` over the rows passing ``where``,
    comma-separated."""
    if dialect.name == "sqlite":
        return _filtered(func.group_concat(key), where)
    if dialect.name == "postgresql":
        return _filtered(func.string_agg(cast(key, Text), literal_column("','")), where)
    raise NotImplementedError(dialect.name)


def strings_json(column: Any, where: list[Any], dialect: Dialect) -> Any:
    """SQL: the values of the text column ``column`` over the rows passing ``where``, as a
    JSON array."""
    if dialect.name == "sqlite":
        return _filtered(func.json_group_array(column), where)
    if dialect.name == "postgresql":
        return cast(_filtered(func.json_agg(column), where), Text)
    raise NotImplementedError(dialect.name)


def decode(keys: str | None, domains: str | None) -> Marginals:
    """``(by_domain, by_key)`` from the two texts: how often each value occurs."""
    by_key = {int(key): n for key, n in Counter(keys.split(",")).items()} if keys else {}
    by_domain = dict(Counter(json.loads(domains))) if domains else {}
    return by_domain, by_key
