"""the other codes an instrument carries: GB/T 36377 identification code, GTIN with GS1 serial, meter asset number

Revision ID: 0028
Revises: 0025
Create Date: 2026-12-05 08:10:00

Expand only: nullable columns, which the previous release neither reads nor writes, and indexes (unique ones over
columns that are NULL everywhere when created).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no batch rebuild on SQLite); SQLite cannot add a UNIQUE column, so the indexes carry it.
    op.add_column("instrument", sa.Column("id_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column("instrument", sa.Column("gtin", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=True))
    op.add_column("instrument", sa.Column("gs1_serial", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column("instrument", sa.Column("asset_no", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.create_index("ix_instrument_id_code", "instrument", ["id_code"], unique=True)
    op.create_index("ix_instrument_gtin_serial", "instrument", ["gtin", "gs1_serial"], unique=True)
    op.create_index("ix_instrument_asset_no", "instrument", ["asset_no"], unique=True)
    op.create_index("ix_instrument_serial_no", "instrument", ["serial_no"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_instrument_serial_no", table_name="instrument")
    op.drop_index("ix_instrument_asset_no", table_name="instrument")
    op.drop_index("ix_instrument_gtin_serial", table_name="instrument")
    op.drop_index("ix_instrument_id_code", table_name="instrument")
    with op.batch_alter_table("instrument", schema=None) as batch_op:
        batch_op.drop_column("asset_no")
        batch_op.drop_column("gs1_serial")
        batch_op.drop_column("gtin")
        batch_op.drop_column("id_code")
