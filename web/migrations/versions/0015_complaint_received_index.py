"""an index on when cases were received, for open data

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 19:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_complaint_received', 'complaint', ['received_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_complaint_received', table_name='complaint')
