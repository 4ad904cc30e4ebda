"""Settled deals of this exchange and the anonymised comparables drawn from them (issue 5 §1,
market approach).

:func:`record_settled_deal` is called by the orders service when a paid agreement activates,
inside its transaction (no commit here). Domain, quality score and capacity (rows) are taken
from the element version itself, never from the caller, so comparables cannot be invented.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from marketplace.assets.models import Asset, AssetVersion
from marketplace.db import db
from marketplace.elements.models import ElementVersion
from marketplace.errors import NotFound, ValidationFailed
from marketplace.ids import new_id
from marketplace.valuations.methods import MAX_FEN
from marketplace.valuations.models import MarketDeal

CURRENCIES = ("CNY",)


def element_domain(version: ElementVersion) -> str:
    """The domain of the element version's first input asset (``""`` if it has none)."""
    for item in version.inputs:
        asset_version = db.session.get(AssetVersion, item.get("version_id"))
        asset = asset_version and db.session.get(Asset, asset_version.asset_id)
        if asset is not None:
            return asset.domain
    return ""


def quality_score(version: ElementVersion) -> Decimal | None:
    """The version's profiled quality score (0–100) as an exact two-place Decimal."""
    score = (version.quality or {}).get("score")
    return None if score is None else Decimal(f"{float(score):.2f}")


def record_settled_deal(element_version_id: str, price_fen: int, currency: str,
                        plan_kind: str, settled_at: datetime, *,
                        source_ref: str) -> MarketDeal:
    """Record one settled deal (idempotent on ``source_ref``, e.g. the agreement id); joins
    the caller's transaction and does not commit."""
    existing = db.session.scalar(select(MarketDeal).where(MarketDeal.source_ref == source_ref))
    if existing is not None:
        return existing
    version = db.session.get(ElementVersion, element_version_id)
    if version is None:
        raise NotFound("No such element version.")
    errors = {name: [message] for name, bad, message in (
        ("currency", currency not in CURRENCIES, f"One of {list(CURRENCIES)}."),
        ("price_fen", not 0 <= price_fen <= MAX_FEN, "A non-negative amount in fen."),
        ("plan_kind", not 0 < len(plan_kind) <= 32, "1 to 32 characters."),
        ("source_ref", not 0 < len(source_ref) <= 64, "1 to 64 characters."),
        ("settled_at", settled_at.tzinfo is None, "An aware datetime.")) if bad}
    if errors:
        raise ValidationFailed(errors=errors)
    score = quality_score(version)
    deal = MarketDeal(
        id=new_id("mdl"), source_ref=source_ref, element_id=version.element_id,
        element_version_id=version.id, domain=element_domain(version), plan_kind=plan_kind,
        price_fen=price_fen, currency=currency,
        quality_centi=None if score is None else int(score * 100),
        rows=version.row_count, settled_at=settled_at)
    db.session.add(deal)
    db.session.flush()
    return deal


def usable(domain: str | None, currency: str, since: date | None,
           until: date | None = None, exclude_element: str | None = None) -> Select[Any]:
    """Deals that can serve as comparables: priced in ``currency``, with a positive quality
    score and row count, in the domain (all when None), settled in ``[since, until]``."""
    query = select(MarketDeal).where(
        MarketDeal.currency == currency, MarketDeal.quality_centi > 0, MarketDeal.rows > 0)
    if domain is not None:
        query = query.where(MarketDeal.domain == domain)
    if since is not None:
        query = query.where(MarketDeal.settled_at >= datetime.combine(since, time(), UTC))
    if until is not None:
        query = query.where(MarketDeal.settled_at < datetime.combine(
            until + timedelta(days=1), time(), UTC))
    if exclude_element is not None:
        query = query.where(MarketDeal.element_id != exclude_element)
    return query


def count(query: Select[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def newest_first(query: Select[Any], after: tuple[datetime, str] | None,
                 limit: int) -> list[MarketDeal]:
    """A page of ``query`` by settlement time, newest first (keyset on time and id)."""
    if after is not None:
        query = query.where(or_(MarketDeal.settled_at < after[0], and_(
            MarketDeal.settled_at == after[0], MarketDeal.id < after[1])))
    return list(db.session.scalars(query.order_by(
        MarketDeal.settled_at.desc(), MarketDeal.id.desc()).limit(limit)))


def round_significant(n: int, digits: int = 2) -> int:
    """``n`` to ``digits`` significant figures (ties to even): 12345 -> 12000."""
    places = len(str(n)) - digits
    return n if places <= 0 else round(n, -places)


def anonymised(deal: MarketDeal) -> dict[str, Any]:
    """What ``GET /market/comparables`` shows: no buyer, merchant, element or deal id; the
    month instead of the moment; capacity to two significant figures."""
    return {"month": deal.settled_at.strftime("%Y-%m"), "domain": deal.domain,
            "plan_kind": deal.plan_kind, "price_fen": deal.price_fen, "currency": deal.currency,
            "quality_score": (deal.quality_centi or 0) / 100,
            "rows": round_significant(deal.rows)}
