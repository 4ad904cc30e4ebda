"""One place that imports every model module, so metadata is complete (Alembic, tests)."""

from __future__ import annotations


def import_all_models() -> None:
    import marketplace.accounts.models
    import marketplace.assets.models
    import marketplace.elements.models
    import marketplace.jobs.models  # noqa: F401
