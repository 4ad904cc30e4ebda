"""buyers' attempts to pay metered-usage invoices (issue 6)

Revision ID: i6invoicepay
Revises: i6billing
Create Date: 2026-11-22 20:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marketplace.db

revision = 'i6invoicepay'
down_revision = 'i6billing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('revenue_invoice_attempts',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('invoice_id', sa.String(length=24), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('payment_method', sa.String(length=255), nullable=False),
    sa.Column('status', sa.Enum('pending', 'action_required', 'succeeded', 'failed', name='paystatus', native_enum=False, length=32), nullable=False),
    sa.Column('decline_code', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=24), nullable=True),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_revenue_invoice_attempts_created_by_users')),
    sa.ForeignKeyConstraint(['invoice_id'], ['revenue_invoices.id'], name=op.f('fk_revenue_invoice_attempts_invoice_id_revenue_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revenue_invoice_attempts')),
    sa.UniqueConstraint('invoice_id', 'idempotency_key', name=op.f('uq_revenue_invoice_attempts_invoice_id'))
    )
    with op.batch_alter_table('revenue_invoice_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revenue_invoice_attempts_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_revenue_invoice_attempts_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('revenue_invoice_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revenue_invoice_attempts_status'))
        batch_op.drop_index(batch_op.f('ix_revenue_invoice_attempts_invoice_id'))
    op.drop_table('revenue_invoice_attempts')
