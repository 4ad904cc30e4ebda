"""valuations (issue 5)

Revision ID: i5valuations
Revises: 63d722ceddad
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import marketplace.db  # noqa: F401

revision = 'i5valuations'
down_revision = '63d722ceddad'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
