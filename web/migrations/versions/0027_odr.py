"""ODR: the merchants taking part, and the complaints in settlement with them

Revision ID: 0027
Revises: 0025
Create Date: 2026-12-05 08:00:00

Expand only: two new tables, which the previous release neither reads nor writes. The new case status
(with_merchant) is a value of a VARCHAR column: no change to the schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'odr_merchant',
        sa.Column('merchant_id', sa.Integer(), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('since', sa.Date(), nullable=True),
        sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], name=op.f('fk_odr_merchant_merchant_id_merchant')),
        sa.PrimaryKeyConstraint('merchant_id', name=op.f('pk_odr_merchant')),
    )
    op.create_table(
        'odr_case',
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('merchant_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('proposal', sa.Text(), nullable=False),
        sa.Column('refund_yuan', sa.Float(), nullable=True),
        sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_odr_case_complaint_id_complaint')),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], name=op.f('fk_odr_case_merchant_id_merchant')),
        sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_odr_case')),
    )
    op.create_index(op.f('ix_odr_case_merchant_id'), 'odr_case', ['merchant_id'], unique=False)
    op.create_index(op.f('ix_odr_case_outcome'), 'odr_case', ['outcome'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_odr_case_outcome'), table_name='odr_case')
    op.drop_index(op.f('ix_odr_case_merchant_id'), table_name='odr_case')
    op.drop_table('odr_case')
    op.drop_table('odr_merchant')
