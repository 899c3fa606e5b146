"""scan pages kept in their gzip form only (issue 17): rendered_page made again without body, with tag for etag

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 05:00:00

The stored pages are a cache made from the registry, so the table is dropped and made again rather than converted:
`fairweigh pages render` (or the scans themselves) fills it again. The triggers of 0031 name the table only in their
bodies, which both databases resolve when they run, so they keep working on the new table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(columns: list[sa.Column[object]]) -> None:
    op.create_table(
        "rendered_page",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("stamp", sa.String(length=40), nullable=False),
        sa.Column("rendered_on", sa.Date(), nullable=False),
        sa.Column("true_until", sa.Date(), nullable=False),
        *columns,
        sa.Column("date_at", sa.Integer(), nullable=False),
        sa.Column("gzipped_date_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", "language", "format"),
    )
    op.create_index("ix_rendered_page_true_until", "rendered_page", ["true_until"], unique=False)


def _drop() -> None:
    op.drop_index("ix_rendered_page_true_until", table_name="rendered_page")
    op.drop_table("rendered_page")


def upgrade() -> None:
    _drop()
    _create(
        [
            sa.Column("tag", sa.String(length=16), nullable=False),
            sa.Column("gzipped", sa.LargeBinary(), nullable=False),
        ]
    )


def downgrade() -> None:
    _drop()
    _create(
        [
            sa.Column("etag", sa.String(length=40), nullable=False),
            sa.Column("body", sa.LargeBinary(), nullable=False),
            sa.Column("gzipped", sa.LargeBinary(), nullable=False),
        ]
    )
