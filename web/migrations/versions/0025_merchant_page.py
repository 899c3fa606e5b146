"""the merchant's page: contact phone and person from the ledger, signed links and their uses, commitments signed
online and who revoked them, verification reminders

Revision ID: 0025
Revises: 0020
Create Date: 2026-12-05 08:00:00

Expand only: new tables, a nullable column and columns with a server default, which the previous release neither
reads nor needs to write.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0025'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int) -> sa.Column[str]:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False, server_default='')


def upgrade() -> None:
    op.create_table(
        'merchant_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('merchant_id', sa.Integer(), nullable=False),
        sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('issued_by', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], name=op.f('fk_merchant_link_merchant_id_merchant')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_link')),
    )
    op.create_index(op.f('ix_merchant_link_merchant_id'), 'merchant_link', ['merchant_id'], unique=False)
    op.create_table(
        'merchant_link_use',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ['link_id'], ['merchant_link.id'], name=op.f('fk_merchant_link_use_link_id_merchant_link')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_link_use')),
    )
    op.create_index(op.f('ix_merchant_link_use_link_id'), 'merchant_link_use', ['link_id'], unique=False)
    op.create_table(
        'verification_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('merchant_id', sa.Integer(), nullable=False),
        sa.Column('instrument_id', sa.Integer(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ['instrument_id'], ['instrument.id'], name=op.f('fk_verification_reminder_instrument_id_instrument')
        ),
        sa.ForeignKeyConstraint(
            ['merchant_id'], ['merchant.id'], name=op.f('fk_verification_reminder_merchant_id_merchant')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_reminder')),
        sa.UniqueConstraint('instrument_id', 'valid_until', 'days', name='uq_verification_reminder_once'),
    )
    op.create_index(
        op.f('ix_verification_reminder_merchant_id'), 'verification_reminder', ['merchant_id'], unique=False
    )
    # Plain ADD COLUMNs (no batch rebuild on SQLite): nullable or with a default, instant on both databases.
    op.add_column('commitment', sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('commitment', _text('signer', 100))
    op.add_column('commitment', _text('revoked_by', 50))
    op.add_column('merchant', _text('contact_phone', 40))
    op.add_column('merchant', _text('contact_person', 100))


def downgrade() -> None:
    with op.batch_alter_table('merchant', schema=None) as batch_op:
        batch_op.drop_column('contact_person')
        batch_op.drop_column('contact_phone')
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_column('revoked_by')
        batch_op.drop_column('signer')
        batch_op.drop_column('signed_at')
    op.drop_index(op.f('ix_verification_reminder_merchant_id'), table_name='verification_reminder')
    op.drop_table('verification_reminder')
    op.drop_index(op.f('ix_merchant_link_use_link_id'), table_name='merchant_link_use')
    op.drop_table('merchant_link_use')
    op.drop_index(op.f('ix_merchant_link_merchant_id'), table_name='merchant_link')
    op.drop_table('merchant_link')
