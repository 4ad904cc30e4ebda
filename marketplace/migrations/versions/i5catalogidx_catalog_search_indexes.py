"""covering indexes for catalog search (issue 5 §3, catalog performance): a term's postings in
doc_id order (multi-term matching merges them), and what a search reads of each match

Revision ID: i5catalogidx
Revises: i6invoicepay
Create Date: 2026-11-22 22:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = 'i5catalogidx'
down_revision = 'i6invoicepay'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('catalog_entries', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_entries_facets', ['doc_id', 'domain', 'facet_key', 'price_from_fen', 'quality_centi'], unique=False)
    with op.batch_alter_table('catalog_terms', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_terms_term_doc', ['term', 'doc_id', 'weight'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('catalog_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_terms_term_doc')
    with op.batch_alter_table('catalog_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_entries_facets')
