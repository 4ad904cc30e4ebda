"""valuations (issue 5)

Revision ID: i5valuations
Revises: 63d722ceddad
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = 'i5valuations'
down_revision = '63d722ceddad'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
