"""What the console's element page may show a visitor (issue 8 §1, issue 5 §3).

A signed-in visitor is authorised exactly like ``GET /elements/{id}``: ``element.read`` lets
the owner's members and operator staff see every version, anyone else only an element that is
in the catalog (404 otherwise), and with it the sample rows and the pipeline spec the API
serves them. An anonymous visitor — whom the element API refuses (401) — sees only what the
public catalog publishes about a *listed* element: its description, schema, quality scores,
lineage hashes, ledger indexes and the plans of its listed listings, for the listed versions
only; never sample rows or the spec; an element not in the catalog is 404, as for outsiders.
Every visitor of a listed element sees its aggregate valuation range
(:func:`marketplace.valuations.queries.public_range`: no agency names, no inputs); the
individual valuations come from :func:`marketplace.valuations.services.list_for_element` (its
own rule, ``valuation.read``) and are None for visitors it refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from marketplace.accounts.common import get_by_id
from marketplace.accounts.models import Organization
from marketplace.assets.models import AssetVersion
from marketplace.auth import Principal
from marketplace.db import db
from marketplace.elements import services as elements
from marketplace.elements.models import Element, ElementVersion
from marketplace.errors import NotFound
from marketplace.listings.models import Listing, ListingState
from marketplace.valuations import services as valuations
from marketplace.valuations.models import Valuation
from marketplace.valuations.queries import PublicRange, public_range


@dataclass(frozen=True)
class Input:
    """One input of the shown version: an asset version, its hash and its ledger entry."""

    alias: str
    version_id: str
    sha256: str
    ledger_index: int | None


@dataclass(frozen=True)
class ElementPage:
    element: Element
    merchant: str  # the owner organisation's name, as the catalog shows it
    version: ElementVersion
    versions: tuple[int, ...]  # the version numbers this visitor may open
    listings: tuple[Listing, ...]  # the element's listings in the catalog, newest first
    inputs: tuple[Input, ...]
    full: bool  # ``element.read`` passed: sample rows and spec as the API serves them
    valuations: tuple[Valuation, ...] | None  # None: ``valuation.read`` refused
    valuation_range: PublicRange | None  # the public aggregate (listed elements only)

    @property
    def sample(self) -> list[dict[str, Any]] | None:
        return self.version.sample if self.full else None

    @property
    def listed(self) -> bool:
        return bool(self.listings)


def _listed(element_id: str) -> tuple[Listing, ...]:
    return tuple(db.session.scalars(select(Listing).where(
        Listing.element_id == element_id, Listing.state == ListingState.listed)
        .order_by(Listing.listed_at.desc(), Listing.id)))


def _inputs(version: ElementVersion) -> tuple[Input, ...]:
    ids = [item["version_id"] for item in version.inputs]
    ledger = {row.id: row.ledger_index for row in db.session.execute(
        select(AssetVersion.id, AssetVersion.ledger_index).where(AssetVersion.id.in_(ids)))}
    return tuple(Input(item.get("alias", ""), item["version_id"], item.get("sha256", ""),
                       ledger.get(item["version_id"])) for item in version.inputs)


def _merchant(element: Element) -> str:
    org = db.session.get(Organization, element.owner_org_id)
    return org.name if org is not None else ""


def _valuations(principal: Principal, element_id: str) -> tuple[Valuation, ...] | None:
    try:
        return tuple(valuations.list_for_element(principal, element_id))
    except NotFound:
        return None


def element_page(principal: Principal | None, element_id: str,
                 number: int | None = None) -> ElementPage:
    """The element page of ``element_id`` at version ``number`` (default: the newest listed
    version, else the latest) for ``principal`` (None: an anonymous visitor)."""
    element = get_by_id(Element, element_id)
    listings = _listed(element.id) if element is not None else ()
    default = max((lst.version for lst in listings), default=None)
    if principal is not None:
        element, version = elements.version(principal, element_id, number or default)
        numbers = tuple(range(1, element.latest_version + 1))
        return ElementPage(element, _merchant(element), version, numbers, listings,
                           _inputs(version), True, _valuations(principal, element.id),
                           public_range(element.id))
    if element is None or not listings:
        raise NotFound("No such resource.")
    numbers = tuple(sorted({lst.version for lst in listings}))
    if (number or default) not in numbers:
        raise NotFound("The element has no such version.")
    version = db.session.scalar(select(ElementVersion).where(
        ElementVersion.element_id == element.id, ElementVersion.version == (number or default)))
    if version is None:
        raise NotFound("The element has no such version.")
    return ElementPage(element, _merchant(element), version, numbers, listings,
                       _inputs(version), False, None, public_range(element.id))
