"""listings and catalog (issue 5)

Revision ID: i5listings
Revises: i5valuations
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import marketplace.db  # noqa: F401

revision = 'i5listings'
down_revision = 'i5valuations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
