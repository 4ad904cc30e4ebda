"""One place that imports every model module, so metadata is complete (Alembic, tests)."""

from __future__ import annotations


def import_all_models() -> None:
    import marketplace.access.models
    import marketplace.accounts.models
    import marketplace.assets.models
    import marketplace.elements.models
    import marketplace.jobs.models
    import marketplace.listings.catalog_models
    import marketplace.listings.models
    import marketplace.orders.models
    import marketplace.payments.models
    import marketplace.revenue.billing_models
    import marketplace.revenue.closing
    import marketplace.revenue.models
    import marketplace.valuations.models  # noqa: F401
