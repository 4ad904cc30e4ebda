"""The whole catalog's (domain, facet_key) distribution, which the facet counts of every
search without a query — and of a one-term query every entry holds — are summed from
(issue 5 §3, :mod:`.facets`).

It is cached per process, keyed by the catalog generation (:class:`.CatalogGeneration`), which
every transaction that publishes or delists bumps; entries are immutable while listed.
(highest entry id, entry count) was not enough: on PostgreSQL an id is taken before commit and
transactions commit out of order, so a publish and a delist could restore both numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.listings.catalog_models import CatalogEntry as E
from marketplace.listings.catalog_models import CatalogGeneration
from marketplace.listings.facets import passing

Marginals = tuple[dict[str, int], dict[int, int]]


@dataclass(frozen=True)
class Joint:
    """Entry counts per domain and facet_key, with both margins summed once."""

    per_domain: dict[str, dict[int, int]]
    domain_totals: dict[str, int]
    key_totals: dict[int, int]

    @classmethod
    def of(cls, rows: list[tuple[str, int, int]]) -> Joint:
        per_domain: dict[str, dict[int, int]] = {}
        key_totals: dict[int, int] = {}
        for domain, key, n in rows:
            per_domain.setdefault(domain, {})[key] = n
            key_totals[key] = key_totals.get(key, 0) + n
        return cls(per_domain, {d: sum(keys.values()) for d, keys in per_domain.items()},
                   key_totals)

    def marginals(self, filters: dict[str, list[str]]) -> Marginals:
        """Per domain, the entries passing every non-domain filter; per facet_key, those
        passing the domain filter (see :func:`.facets.count_facets`)."""
        if any(wanted for facet, wanted in filters.items() if facet != "domain"):
            ok = passing(self.key_totals, filters)
            by_domain = {d: sum(n for key, n in keys.items() if key in ok)
                         for d, keys in self.per_domain.items()}
        else:
            by_domain = self.domain_totals
        domains = filters.get("domain")
        if not domains:
            return by_domain, self.key_totals
        by_key: dict[int, int] = {}
        for domain in set(domains):
            for key, n in self.per_domain.get(domain, {}).items():
                by_key[key] = by_key.get(key, 0) + n
        return by_domain, by_key


def whole_catalog() -> Joint:
    """The whole catalog's joint distribution, cached per process and keyed by the catalog
    generation. Cached only if the generation did not move while it was computed (each
    statement may see a newer commit than the one before)."""
    def key() -> int | None:
        return db.session.scalar(select(CatalogGeneration.value).where(
            CatalogGeneration.id == 1))

    before = key()
    cached = current_app.extensions.get("elx.catalog.joint")
    if cached is not None and cached[0] == before:
        return cached[1]  # type: ignore[no-any-return]
    joint = Joint.of([(d, k, n) for d, k, n in db.session.execute(
        select(E.domain, E.facet_key, func.count()).group_by(E.domain, E.facet_key))])
    if key() == before:
        current_app.extensions["elx.catalog.joint"] = (before, joint)
    return joint
