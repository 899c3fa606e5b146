"""dialogue_state indexed by updated_at (issue 13): the worker reminds stories left untold for half an hour

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 20:30:00

Rows of dialogue_state are never deleted (one per chat user ever), so the look for dialogues quiet for half an
hour and less than a day must not read them all every five minutes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_dialogue_state_updated_at", "dialogue_state", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dialogue_state_updated_at", table_name="dialogue_state")
