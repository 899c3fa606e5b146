"""an instrument's field of use (用途), and what an inspection did after failed samplings

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGAL_USE = sa.Enum(
    'trade_settlement', 'safety', 'medical', 'environment', 'law_enforcement',
    name='legaluse', native_enum=False, length=32,
)


def upgrade() -> None:
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_use', LEGAL_USE, nullable=False, server_default='trade_settlement'))
    # The kinds' defaults (lookup/legal_use.py): health instruments serve medicine, the rest settle trade.
    op.execute(
        "UPDATE instrument SET legal_use = 'medical' WHERE kind IN ('refractometer', 'blood_pressure_meter')"
    )
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_failed_handled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('product_fine_yuan', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('quantity_failed_handled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('quantity_fine_yuan', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_column('quantity_fine_yuan')
        batch_op.drop_column('quantity_failed_handled')
        batch_op.drop_column('product_fine_yuan')
        batch_op.drop_column('product_failed_handled')
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.drop_column('legal_use')
