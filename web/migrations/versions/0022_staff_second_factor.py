"""staff sign-in: the second factor (TOTP and one-time recovery codes), known devices and administrators' acts in
the login audit

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-05 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0022'
down_revision: str | None = '0021_consumer_intent'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_pending', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enrolled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True))
        batch_op.create_index('ix_login_attempt_device_at', ['device', 'at'], unique=False)
    op.create_table(
        'staff_recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_staff_recovery_code_user_id'), 'staff_recovery_code', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_staff_recovery_code_user_id'), table_name='staff_recovery_code')
    op.drop_table('staff_recovery_code')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_device_at')
        batch_op.drop_column('actor')
        batch_op.drop_column('device')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enrolled_at')
        batch_op.drop_column('totp_pending')
        batch_op.drop_column('totp_secret')
