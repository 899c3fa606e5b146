"""queue: an index of the one- and two-character pieces of complaint texts, for short searches (PostgreSQL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 19:40:00

The trigram index (0007) cannot serve a search of one or two characters: such a word has no trigram. A
handler's search is often that short (a stall's two-character name, 短两, 电子), and a rare one had to read
every case of the scope. This index holds each text's distinct characters and character pairs, lower-cased;
complaints/queue/listing.py asks it for short words. SQLite has no such index; its LIKE reads the rows, as before.

The index is on an expression, which the models cannot declare for both databases: models and migrations are
compared without it (see MIGRATION_ONLY_INDEXES in web/db.py).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION fairweigh_short_grams(t text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(DISTINCT gram), '{}'::text[])
            FROM (
                SELECT substr(lower(t), i, n) AS gram
                FROM generate_series(1, char_length(t)) AS i, (VALUES (1), (2)) AS sizes(n)
                WHERE i + n - 1 <= char_length(t)
            ) AS grams
        $$
        """
    )
    op.execute('CREATE INDEX ix_complaint_text_short_grams ON complaint USING gin (fairweigh_short_grams(text))')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP INDEX ix_complaint_text_short_grams')
    op.execute('DROP FUNCTION fairweigh_short_grams(text)')
