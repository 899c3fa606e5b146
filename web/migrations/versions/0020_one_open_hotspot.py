"""at most one open hotspot per merchant, enforced by a partial unique index

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text('cleared_at IS NULL')


def upgrade() -> None:
    # Open rows that concurrent intake raised twice for one merchant: the newest stays open, the others are
    # closed as of their last complaint (kept, since an inspection may name them).
    op.execute(
        "UPDATE hotspot SET cleared_at = last_complaint_at WHERE cleared_at IS NULL AND id < "
        "(SELECT max(newer.id) FROM hotspot AS newer WHERE newer.merchant_id = hotspot.merchant_id "
        "AND newer.cleared_at IS NULL)"
    )
    op.create_index(
        'uq_hotspot_open_merchant', 'hotspot', ['merchant_id'], unique=True, sqlite_where=OPEN, postgresql_where=OPEN
    )


def downgrade() -> None:
    op.drop_index('uq_hotspot_open_merchant', table_name='hotspot')
