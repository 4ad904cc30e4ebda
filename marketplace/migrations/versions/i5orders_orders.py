"""orders and licenses (issue 5)

Revision ID: i5orders
Revises: i5listings
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import marketplace.db  # noqa: F401

revision = 'i5orders'
down_revision = 'i5listings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
