"""Facet counts from marginals (issue 5 §3, marketplace.listings.facets): for random entry sets
and filters, ``count_facets`` over the two marginals — whether summed from the cached whole
catalog (``Joint.marginals``) or aggregated by SQL with ``key_condition`` — equals disjunctive
counts computed here by brute force from the definition: a value's count is the number of
entries that pass every *other* facet's filter and hold the value."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.listings.distribution import Joint
from marketplace.listings.facets import (
    DIGITS,
    FACETS,
    VOCABULARY,
    count_facets,
    facet_key,
    key_condition,
)
from marketplace.listings.marginals import decode, keys_text, strings_json

DOMAINS = ["交通", "企业", "热线", "医疗"]
MODES = [["records_api"], ["sandbox"], ["records_api", "sandbox"]]
ENTRY = st.fixed_dictionaries({
    "domain": st.sampled_from(DOMAINS),
    "merchant_kind": st.sampled_from(VOCABULARY["merchant_kind"]),
    "delivery_mode": st.sampled_from(MODES),
    "price_band": st.sampled_from(VOCABULARY["price_band"]),
    "quality_band": st.sampled_from(VOCABULARY["quality_band"]),
    "classification": st.sampled_from(VOCABULARY["classification"]),
})
FILTERS = st.fixed_dictionaries({}, optional={
    facet: st.lists(st.sampled_from(VOCABULARY.get(facet, [*DOMAINS, "水务"])), max_size=3)
    for facet in FACETS})


def _key(entry: dict[str, Any]) -> int:
    return facet_key(entry["merchant_kind"], entry["delivery_mode"], entry["price_band"],
                     entry["quality_band"], entry["classification"])


def _passes(entry: dict[str, Any], facet: str, wanted: list[str]) -> bool:
    if not wanted:
        return True
    if facet == "delivery_mode":
        return bool(set(entry[facet]) & set(wanted))
    return entry[facet] in wanted


def _brute(entries: list[dict[str, Any]], filters: dict[str, list[str]]) -> tuple[int, Any]:
    def others(entry: dict[str, Any], facet: str | None) -> bool:
        return all(_passes(entry, f, w) for f, w in filters.items() if f != facet)

    total = sum(others(e, None) for e in entries)
    facets = {}
    for facet in FACETS:
        counts = Counter(v for e in entries if others(e, facet)
                         for v in (e[facet] if facet == "delivery_mode" else [e[facet]]))
        if facet in VOCABULARY:
            facets[facet] = [{"value": v, "count": counts.get(v, 0)} for v in VOCABULARY[facet]]
        else:
            values = set(counts) | set(filters.get(facet, []))
            facets[facet] = [{"value": v, "count": counts.get(v, 0)}
                             for v in sorted(values, key=lambda v: (-counts.get(v, 0), v))]
    return total, facets


def _joint(entries: list[dict[str, Any]]) -> Joint:
    return Joint.of([(d, k, n) for (d, k), n in Counter(
        (e["domain"], _key(e)) for e in entries).items()])


@settings(max_examples=300, deadline=None)
@given(entries=st.lists(ENTRY, max_size=30), filters=FILTERS)
def test_counts_from_the_cached_joint_equal_brute_force(entries: list[dict[str, Any]],
                                                        filters: dict[str, list[str]]) -> None:
    by_domain, by_key = _joint(entries).marginals(filters)
    assert count_facets(by_domain, by_key, filters) == _brute(entries, filters)


ENGINE = sa.create_engine("sqlite://")
TABLE = sa.Table("entries", sa.MetaData(), sa.Column("domain", sa.String),
                 sa.Column("facet_key", sa.SmallInteger))
TABLE.create(ENGINE)


def _sql_marginals(entries: list[dict[str, Any]], filters: dict[str, list[str]]) -> Any:
    """The marginals as marketplace.listings.matched reads them, on SQLite: one row of the
    two aggregates (marketplace.listings.marginals) filtered with ``key_condition``,
    decoded."""
    def where(keep: Any) -> list[Any]:
        return [key_condition(f, w, TABLE.c.domain, TABLE.c.facet_key)
                for f, w in filters.items() if w and keep(f)]

    with ENGINE.begin() as conn:
        conn.execute(TABLE.delete())
        if entries:
            conn.execute(TABLE.insert(), [{"domain": e["domain"], "facet_key": _key(e)}
                                          for e in entries])
        keys, domains = conn.execute(sa.select(
            keys_text(TABLE.c.facet_key, where(lambda f: f == "domain"), ENGINE.dialect),
            strings_json(TABLE.c.domain, where(lambda f: f != "domain"), ENGINE.dialect),
        )).one()
    return decode(keys, domains)


@settings(max_examples=200, deadline=None)
@given(entries=st.lists(ENTRY, max_size=30), filters=FILTERS)
def test_counts_from_sql_marginals_equal_brute_force(entries: list[dict[str, Any]],
                                                     filters: dict[str, list[str]]) -> None:
    by_domain, by_key = _sql_marginals(entries, filters)
    assert count_facets(by_domain, by_key, filters) == _brute(entries, filters)


@given(entry=ENTRY)
def test_digits_decode_the_key(entry: dict[str, Any]) -> None:
    digits = DIGITS[_key(entry)]
    modes = sum(1 << i for i, m in enumerate(VOCABULARY["delivery_mode"])
                if m in entry["delivery_mode"])
    assert digits == (VOCABULARY["merchant_kind"].index(entry["merchant_kind"]), modes,
                      VOCABULARY["price_band"].index(entry["price_band"]),
                      VOCABULARY["quality_band"].index(entry["quality_band"]),
                      VOCABULARY["classification"].index(entry["classification"]))
