"""orders and licenses (issue 5)

Revision ID: i5orders
Revises: i5listings
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = 'i5orders'
down_revision = 'i5listings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
