"""The one-row facet marginals (issue 5 §3, marketplace.listings.marginals): for random rows
of (domain, facet_key) and random filters, the two aggregate texts, decoded, equal the counts
computed here, on SQLite and (with ELX_TEST_DATABASE_URL) PostgreSQL. Domains are any text —
commas, quotes, backslashes, brackets, control characters, any script — and must round-trip
exactly; facet_keys span the SmallInteger column."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.listings.marginals import decode, keys_text, strings_json
from tests.conftest import PG_URL

TABLE = sa.Table("marginal_rows", sa.MetaData(), sa.Column("domain", sa.String(32)),
                 sa.Column("facet_key", sa.SmallInteger), sa.Column("key_ok", sa.Boolean),
                 sa.Column("domain_ok", sa.Boolean), prefixes=["TEMPORARY"])
DOMAIN = st.text(st.characters(codec="utf-8"), max_size=32) | st.sampled_from(
    ["交通", "a,b", '"', "\\", "[]", '["x"]', "null", " ", "", "\u2028", "😀", "Ω,\"\\n"])
ROWS = st.lists(st.tuples(DOMAIN, st.integers(0, 32767), st.booleans(), st.booleans()),
                max_size=40)
_engines: dict[str, sa.Engine] = {}


def _engine(backend: str) -> sa.Engine:
    if backend not in _engines:
        _engines[backend] = sa.create_engine(PG_URL if backend == "postgresql" else "sqlite://")
    return _engines[backend]


def _aggregate(backend: str, rows: list[tuple[str, int, bool, bool]], filter_keys: bool,
               filter_domains: bool) -> tuple[Any, Any]:
    """Both texts, from a temporary table dropped after use."""
    engine = _engine(backend)
    t = TABLE.c
    with engine.begin() as conn:
        TABLE.create(conn)
        if rows:
            conn.execute(TABLE.insert(), [{"domain": d, "facet_key": k, "key_ok": a,
                                           "domain_ok": b} for d, k, a, b in rows])
        keys, domains = conn.execute(sa.select(
            keys_text(t.facet_key, [t.key_ok] if filter_keys else [], engine.dialect),
            strings_json(t.domain, [t.domain_ok] if filter_domains else [], engine.dialect),
        )).one()
        TABLE.drop(conn)
    return keys, domains


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, filter_keys=st.booleans(), filter_domains=st.booleans())
def test_decoded_aggregates_equal_the_counts(backend: str,
                                             rows: list[tuple[str, int, bool, bool]],
                                             filter_keys: bool, filter_domains: bool) -> None:
    if backend == "postgresql":  # PostgreSQL text cannot hold NUL (nor can a domain: Text)
        rows = [(d.replace("\x00", ""), k, a, b) for d, k, a, b in rows]
    by_domain, by_key = decode(*_aggregate(backend, rows, filter_keys, filter_domains))
    assert by_key == Counter(k for _, k, a, _ in rows if a or not filter_keys)
    assert by_domain == Counter(d for d, _, _, b in rows if b or not filter_domains)


def test_no_rows_decode_to_empty_marginals() -> None:
    assert decode(None, None) == ({}, {})
    assert decode(None, "[]") == ({}, {})
    assert decode("7,7,30000", '["a,b","a,b","\\""]') == ({"a,b": 2, '"': 1}, {7: 2, 30000: 1})


@pytest.mark.parametrize("name", ["mysql", "oracle"])
def test_other_dialects_are_refused(name: str) -> None:
    dialect = SimpleNamespace(name=name)
    with pytest.raises(NotImplementedError):
        keys_text(TABLE.c.facet_key, [], dialect)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        strings_json(TABLE.c.domain, [], dialect)  # type: ignore[arg-type]
