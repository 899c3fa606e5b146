"""the shopper's own choice of 投诉 or 举报, kept beside the classifier's reading

Revision ID: 0021_consumer_intent
Revises: 0020
Create Date: 2026-12-05 07:00:00

Expand only: two nullable columns. Cases received before this release keep NULL in both (their ``intent`` is the
reading they were handled by).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021_consumer_intent'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INTENTS = ('complaint', 'report', 'inquiry', 'feedback')


def _intent() -> sa.Enum:
    return sa.Enum(*INTENTS, name='intent', native_enum=False, length=32)


def upgrade() -> None:
    with op.batch_alter_table('complaint') as batch:
        batch.add_column(sa.Column('classifier_intent', _intent(), nullable=True))
        batch.add_column(sa.Column('consumer_intent', _intent(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('complaint') as batch:
        batch.drop_column('consumer_intent')
        batch.drop_column('classifier_intent')
