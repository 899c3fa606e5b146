"""queue search: a trigram index over the shopper's words

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00.000000

The queue's text search (complaints/queue/listing.py) runs `text ILIKE '%…%'`. On PostgreSQL a GIN index of trigrams
(pg_trgm, a trusted extension since PostgreSQL 13: the database owner may create it) answers that from the
index. SQLite has no such index: it gets an empty placeholder of the same name (a partial index on WHERE 0,
which holds no rows and costs nothing), so that the models, which declare the index once for both databases,
and the migrated schema agree everywhere.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index(
            'ix_complaint_text_trgm',
            'complaint',
            ['text'],
            unique=False,
            postgresql_using='gin',
            postgresql_ops={'text': 'gin_trgm_ops'},
        )
    else:
        op.create_index('ix_complaint_text_trgm', 'complaint', ['text'], unique=False, sqlite_where=sa.false())


def downgrade() -> None:
    # The extension stays: other objects in the database may use it, and it costs nothing unused.
    op.drop_index('ix_complaint_text_trgm', table_name='complaint')
