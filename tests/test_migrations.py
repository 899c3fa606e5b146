"""The schema comes from migrations, and the models never drift from them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from web.db import (
    DatabaseNotReady,
    current_revision,
    head_revision,
    include_in_comparison,
    require_current_schema,
)


async def test_models_match_migrations(engine: AsyncEngine) -> None:
    def diff(connection: sa.Connection) -> list[object]:
        return list(
            compare_metadata(
                MigrationContext.configure(
                    connection, opts={"compare_type": True, "include_object": include_in_comparison}
                ),
                SQLModel.metadata,
            )
        )

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == [], f"models and migrations differ; write a migration: {differences}"


async def test_migrated_database_is_at_head(engine: AsyncEngine) -> None:
    assert await current_revision(engine) == head_revision()
    await require_current_schema(engine)


async def test_outdated_schema_is_refused_with_the_command_to_run(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE alembic_version SET version_num = '0014'"))
    with pytest.raises(DatabaseNotReady, match=r"revision 0014.*fairweigh db upgrade"):
        await require_current_schema(engine)
