"""who a case is assigned to, on the case itself, for the queue's column and its "assigned to me" filter

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 19:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True))
        batch_op.create_index(batch_op.f('ix_complaint_assignee'), ['assignee'], unique=False)
    # Each case's latest assignment, from its timeline (the only place it was kept until now).
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT complaint_id, facts FROM complaintevent WHERE action = 'assign' ORDER BY id")
    ).all()
    latest: dict[int, str] = {}
    for complaint_id, facts in rows:
        facts = json.loads(facts) if isinstance(facts, str) else facts
        if facts and facts.get('assignee'):
            latest[complaint_id] = str(facts['assignee'])[:50]
    for complaint_id, assignee in latest.items():
        connection.execute(
            sa.text("UPDATE complaint SET assignee = :assignee WHERE id = :id"), {"assignee": assignee, "id": complaint_id}
        )


def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_assignee'))
        batch_op.drop_column('assignee')
