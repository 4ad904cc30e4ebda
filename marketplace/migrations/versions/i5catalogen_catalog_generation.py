"""catalog generation: a counter bumped with every catalog change, the whole-catalog cache key
(issue 5 §3; (highest entry id, entry count) could repeat on PostgreSQL, where ids are taken
before commit and transactions commit out of order)

Revision ID: i5catalogen
Revises: i5catalogidx
Create Date: 2026-11-23 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'i5catalogen'
down_revision = 'i5catalogidx'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'catalog_generation',
        sa.Column('id', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_generation')),
    )
    op.bulk_insert(table, [{'id': 1, 'value': 0}])


def downgrade() -> None:
    op.drop_table('catalog_generation')
