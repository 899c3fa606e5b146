"""Alembic environment: runs on the connection fairweigh hands it (see web/db.py)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from web.db import include_in_comparison
from web.tables import metadata

target_metadata = metadata


def run_migrations(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        include_object=include_in_comparison,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with `fairweigh db upgrade`; it supplies the database connection.")
run_migrations(connection)
