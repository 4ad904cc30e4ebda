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
    op.create_table('orders',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('buyer_org_id', sa.String(length=24), nullable=False),
    sa.Column('buyer_user_id', sa.String(length=24), nullable=False),
    sa.Column('listing_id', sa.String(length=24), nullable=False),
    sa.Column('plan_id', sa.String(length=24), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('state', sa.Enum('free', 'awaiting_payment', 'paid', 'unpaid', name='orderstate', native_enum=False, length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('payment_provider', sa.String(length=32), nullable=True),
    sa.Column('payment_ref', sa.String(length=255), nullable=True),
    sa.Column('payment_error', sa.Text(), nullable=True),
    sa.Column('payment_action', sa.JSON(), nullable=True),
    sa.Column('paid_at', marketplace.db.UTCDateTime(), nullable=True),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_org_id'], ['organizations.id'], name=op.f('fk_orders_buyer_org_id_organizations')),
    sa.ForeignKeyConstraint(['buyer_user_id'], ['users.id'], name=op.f('fk_orders_buyer_user_id_users')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_orders_listing_id_listings')),
    sa.ForeignKeyConstraint(['plan_id'], ['listing_plans.id'], name=op.f('fk_orders_plan_id_listing_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('buyer_org_id', 'idempotency_key', name=op.f('uq_orders_buyer_org_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_listing_id'), ['listing_id'], unique=False)

    op.create_table('agreements',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('order_id', sa.String(length=24), nullable=False),
    sa.Column('listing_id', sa.String(length=24), nullable=False),
    sa.Column('plan_id', sa.String(length=24), nullable=False),
    sa.Column('element_id', sa.String(length=24), nullable=False),
    sa.Column('element_version_id', sa.String(length=24), nullable=False),
    sa.Column('buyer_org_id', sa.String(length=24), nullable=False),
    sa.Column('merchant_org_id', sa.String(length=24), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.Column('policy_digest', sa.String(length=64), nullable=False),
    sa.Column('price', sa.JSON(), nullable=False),
    sa.Column('terms_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.Enum('pending_payment', 'active', 'suspended', 'expired', 'terminated', 'revoked', name='agreementstate', native_enum=False, length=32), nullable=False),
    sa.Column('valid_from', marketplace.db.UTCDateTime(), nullable=True),
    sa.Column('valid_until', marketplace.db.UTCDateTime(), nullable=True),
    sa.Column('count_used', sa.BigInteger(), nullable=False),
    sa.Column('accepted_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('accepted_by', sa.String(length=24), nullable=False),
    sa.Column('revoked_at', marketplace.db.UTCDateTime(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('ledger_index', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by'], ['users.id'], name=op.f('fk_agreements_accepted_by_users')),
    sa.ForeignKeyConstraint(['buyer_org_id'], ['organizations.id'], name=op.f('fk_agreements_buyer_org_id_organizations')),
    sa.ForeignKeyConstraint(['element_id'], ['elements.id'], name=op.f('fk_agreements_element_id_elements')),
    sa.ForeignKeyConstraint(['element_version_id'], ['element_versions.id'], name=op.f('fk_agreements_element_version_id_element_versions')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_agreements_listing_id_listings')),
    sa.ForeignKeyConstraint(['merchant_org_id'], ['organizations.id'], name=op.f('fk_agreements_merchant_org_id_organizations')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_agreements_order_id_orders')),
    sa.ForeignKeyConstraint(['plan_id'], ['listing_plans.id'], name=op.f('fk_agreements_plan_id_listing_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements')),
    sa.UniqueConstraint('order_id', name=op.f('uq_agreements_order_id'))
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreements_buyer_org_id'), ['buyer_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_element_id'), ['element_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_merchant_org_id'), ['merchant_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_valid_until'), ['valid_until'], unique=False)

    op.create_table('agreement_events',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('agreement_id', sa.String(length=24), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('event', sa.Enum('payment_succeeded', 'payment_failed', 'payment_timeout', 'suspend', 'resume', 'expire', 'terminate', 'refund', 'revoke', name='agreementevent', native_enum=False, length=32), nullable=True),
    sa.Column('from_state', sa.Enum('pending_payment', 'active', 'suspended', 'expired', 'terminated', 'revoked', name='agreementstate', native_enum=False, length=32), nullable=True),
    sa.Column('to_state', sa.Enum('pending_payment', 'active', 'suspended', 'expired', 'terminated', 'revoked', name='agreementstate', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor_org_id', sa.String(length=24), nullable=False),
    sa.Column('actor_user_id', sa.String(length=24), nullable=True),
    sa.Column('at', marketplace.db.UTCDateTime(), nullable=False),
    sa.Column('ledger_index', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['actor_org_id'], ['organizations.id'], name=op.f('fk_agreement_events_actor_org_id_organizations')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_agreement_events_actor_user_id_users')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_events_agreement_id_agreements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_events')),
    sa.UniqueConstraint('agreement_id', 'seq', name=op.f('uq_agreement_events_agreement_id'))
    )
    with op.batch_alter_table('agreement_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_events_agreement_id'), ['agreement_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('agreement_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_events_agreement_id'))

    op.drop_table('agreement_events')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreements_valid_until'))
        batch_op.drop_index(batch_op.f('ix_agreements_state'))
        batch_op.drop_index(batch_op.f('ix_agreements_merchant_org_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_listing_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_element_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_buyer_org_id'))

    op.drop_table('agreements')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_listing_id'))

    op.drop_table('orders')
