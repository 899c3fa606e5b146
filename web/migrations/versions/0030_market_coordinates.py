"""markets get coordinates (GCJ-02 degrees): a shopper's shared location finds the market nearest them

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 01:40:00

Expand only: two nullable columns, which the previous release neither reads nor writes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("market", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("market", sa.Column("longitude", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("market", schema=None) as batch_op:
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
