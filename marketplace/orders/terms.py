"""The exact terms a buyer accepts: policy and price snapshot, and their hash (issue 5 §5).

The policy is the listing's license template instantiated with the listing's parameters, the
amount due on ordering (a ``compensate`` obligation: nothing is allowed until it is paid) and,
when the template restricts purposes, narrowed to the one purpose the buyer declares. It holds
no instant, so the same listing, plan and purpose always give the same terms; the validity
period counts from activation (``elapsedTime``) and is copied onto the agreement.

``terms_hash`` = SHA-256 of the RFC 8785 canonical JSON of :meth:`Terms.document`
(``listing_id``, ``element_version_id``, ``policy``, ``price``): anyone holding the license
document can recompute it.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from contracts import LeftOperand, Operator, Policy, PolicyError, policy_to_dict, render, template
from contracts import policy_digest as digest_of
from ledger.canonical import dumps_canonical
from marketplace.errors import Conflict, ValidationFailed
from marketplace.listings.models import Listing, ListingPlan, Period, PlanKind

#: Plans whose price is due when ordering; metered plans are billed for use, afterwards.
PREPAID = frozenset({PlanKind.one_off, PlanKind.subscription})
PERIOD_MONTHS = {Period.monthly: 1, Period.annual: 12}


@dataclass(frozen=True)
class Terms:
    listing: Listing
    plan: ListingPlan
    purpose: str
    policy: Policy
    price: dict[str, Any]

    @property
    def policy_doc(self) -> dict[str, Any]:
        return policy_to_dict(self.policy)

    @property
    def policy_digest(self) -> str:
        return digest_of(self.policy)

    def document(self) -> dict[str, Any]:
        return {"listing_id": self.listing.id,
                "element_version_id": self.listing.element_version_id,
                "policy": self.policy_doc, "price": self.price}

    @property
    def terms_hash(self) -> str:
        return terms_hash(self.document())

    @property
    def amount_fen(self) -> int:
        return int(self.price["amount_fen"])

    def contract_text(self) -> dict[str, str]:
        return {lang: render(self.policy, lang) for lang in ("zh", "en")}


def terms_hash(document: dict[str, Any]) -> str:
    return hashlib.sha256(dumps_canonical(document)).hexdigest()


def price_snapshot(plan: ListingPlan) -> dict[str, Any]:
    """Every price field of the plan (null where its kind has none) and the amount due now."""
    due = (plan.price_fen or 0) if plan.kind in PREPAID else 0
    return {"plan_id": plan.id, "kind": plan.kind.value, "currency": plan.currency,
            "amount_fen": due, "price_fen": plan.price_fen,
            "period": plan.period.value if plan.period else None,
            "auto_renew": plan.auto_renew,
            "unit": plan.unit.value if plan.unit else None,
            "unit_price_fen": plan.unit_price_fen, "included_quota": plan.included_quota}


def allowed_purposes(policy: Policy) -> frozenset[str] | None:
    """The purposes the policy's permissions admit, or None when it does not restrict them."""
    for rule in policy.permissions:
        for c in rule.constraints:
            if getattr(c, "left_operand", None) is LeftOperand.PURPOSE \
                    and c.operator is Operator.IS_ANY_OF:
                return frozenset(c.right_operand)  # type: ignore[arg-type]
    return None


def build(listing: Listing, plan_id: str, purpose: str) -> Terms:
    """The terms for ordering ``plan_id`` of ``listing`` for ``purpose``: 409 unless listed,
    422 for another listing's plan or a purpose the license does not admit."""
    if listing.state.value != "listed":
        raise Conflict(f"The listing is {listing.state.value}, not listed: it cannot be ordered.",
                       state=listing.state.value)
    plan = next((p for p in listing.plans if p.id == plan_id), None)
    if plan is None:
        raise ValidationFailed(errors={"plan_id": ["Not a plan of this listing."]})
    price = price_snapshot(plan)
    params = dict(listing.license_params)
    params.update(uid=f"elx:listing:{listing.id}:{plan.id}", currency=plan.currency,
                  price_fen=price["amount_fen"] or None)
    try:
        policy = template(listing.license_template, **params)
        allowed = allowed_purposes(policy)
        if allowed is not None:
            if purpose not in allowed:
                raise ValidationFailed(errors={"purpose": [
                    f"This license admits only: {', '.join(sorted(allowed))}."]})
            policy = template(listing.license_template, **{**params, "purposes": [purpose]})
    except PolicyError as exc:  # the listing was checked when drafted; never expected
        raise Conflict("The listing's license cannot be instantiated.") from exc
    return Terms(listing, plan, purpose, policy, price)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (clamped to the month's last day)."""
    years, index = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + years, index + 1
    return moment.replace(year=year, month=month,
                          day=min(moment.day, calendar.monthrange(year, month)[1]))


def valid_until(listing_params: dict[str, Any], price: dict[str, Any],
                start: datetime) -> datetime | None:
    """When a license activated at ``start`` ends: the license's ``valid_days`` and a
    subscription's paid period, whichever is sooner (None: perpetual)."""
    ends = []
    if listing_params.get("valid_days") is not None:
        ends.append(start + timedelta(days=int(listing_params["valid_days"])))
    if price["kind"] == PlanKind.subscription.value and price["period"] is not None:
        ends.append(add_months(start, PERIOD_MONTHS[Period(price["period"])]))
    return min(ends) if ends else None
