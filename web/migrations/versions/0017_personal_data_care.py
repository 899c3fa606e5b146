"""personal data care: when a case ended, legal holds, erasure requests, the contact access log

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 09:00:00

Expand only (see the README's Development section): a nullable column and new tables, which the previous release
neither reads nor writes. Cases that ended before this revision get their `ended_at` from the nightly purge, in
batches, not here: a backfill of every case inside the migration would hold the table while the service runs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild on SQLite): nullable, so it is instant on both databases.
    op.add_column('complaint', sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_complaint_ended_at'), 'complaint', ['ended_at'], unique=False)
    op.create_table(
        'legal_hold',
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('set_by', sa.Integer(), nullable=True),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id']),
        sa.PrimaryKeyConstraint('complaint_id'),
    )
    op.create_table(
        'erasure_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('via', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_erasure_request_complaint_id'), 'erasure_request', ['complaint_id'], unique=False)
    op.create_table(
        'contact_access',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('route', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_contact_access_at'), 'contact_access', ['at'], unique=False)
    op.create_index('ix_contact_access_case', 'contact_access', ['complaint_id', 'at'], unique=False)
    op.create_index('ix_contact_access_user', 'contact_access', ['user_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_contact_access_user', table_name='contact_access')
    op.drop_index('ix_contact_access_case', table_name='contact_access')
    op.drop_index(op.f('ix_contact_access_at'), table_name='contact_access')
    op.drop_table('contact_access')
    op.drop_index(op.f('ix_erasure_request_complaint_id'), table_name='erasure_request')
    op.drop_table('erasure_request')
    op.drop_table('legal_hold')
    op.drop_index(op.f('ix_complaint_ended_at'), table_name='complaint')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_column('ended_at')
