"""listings and catalog (issue 5)

Revision ID: i5listings
Revises: i5valuations
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = 'i5listings'
down_revision = 'i5valuations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
