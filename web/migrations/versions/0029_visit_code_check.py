"""the codes a volunteer scanned on a visit, and whether each named an instrument (the GM2D item, 一扫清)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 01:50:00

Expand only: a new table, which the previous release neither reads nor writes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_code_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["volunteer_visit.id"], name=op.f("fk_visit_code_check_visit_id_volunteer_visit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_code_check")),
    )
    op.create_index(op.f("ix_visit_code_check_visit_id"), "visit_code_check", ["visit_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_visit_code_check_visit_id"), table_name="visit_code_check")
    op.drop_table("visit_code_check")
