"""Words for the catalog's fixed vocabularies (facet values, sorts, plan kinds, quality
dimensions), in the visitor's language; unknown values are shown as they are."""

from __future__ import annotations

from marketplace.web.i18n import gettext as _


def facet_names() -> dict[str, str]:
    return {"domain": _("Domain"), "merchant_kind": _("Merchant type"),
            "delivery_mode": _("Delivery"), "price_band": _("Price"),
            "quality_band": _("Quality score"), "classification": _("Classification")}


def values() -> dict[str, str]:
    """Facet values, plan kinds, periods, meter units and delivery modes (distinct names)."""
    return {
        "resource_provider": _("Data resource provider"), "data_developer": _("Data developer"),
        "data_broker": _("Data broker"), "compliance_consultant": _("Compliance consultant"),
        "records_api": _("Records API"), "sandbox": _("Privacy sandbox"),
        "free": _("Free"), "under_100": _("Under ¥100"), "100_to_1000": _("¥100 – ¥1,000"),
        "1000_to_10000": _("¥1,000 – ¥10,000"), "over_10000": _("Over ¥10,000"),
        "unscored": _("Not scored"), "under_60": _("Under 60"), "60_to_80": _("60 – 80"),
        "80_to_90": _("80 – 90"), "90_to_100": _("90 – 100"),
        "general": _("General data"), "important": _("Important data"), "core": _("Core data"),
        "one_off": _("One-off (perpetual)"), "subscription": _("Subscription"),
        "metered": _("Pay per use"),
        "api_call": _("API call"), "sandbox_query": _("sandbox query"),
    }


def sorts() -> dict[str, str]:
    return {"relevance": _("Relevance"), "newest": _("Newest"),
            "price_asc": _("Price, lowest first"), "price_desc": _("Price, highest first"),
            "quality": _("Quality score"), "popularity": _("Popularity")}


def dimensions() -> dict[str, str]:
    """GB/T 36344-2018 quality dimensions (see marketplace.pipeline.quality_rules)."""
    return {"completeness": _("Completeness"), "uniqueness": _("Uniqueness"),
            "validity": _("Validity"), "consistency": _("Consistency"),
            "timeliness": _("Timeliness"), "accuracy": _("Accuracy")}


def search_errors() -> dict[str, str]:
    """The catalog service's messages (marketplace.listings.catalog), translated."""
    return {"The query has no letters, digits or ideographs.":
            _("The query has no letters, digits or ideographs."),
            "At most 32 search terms.": _("At most 32 search terms."),
            "Invalid cursor for this search.": _("Invalid cursor for this search."),
            "Invalid cursor.": _("Invalid cursor for this search.")}
