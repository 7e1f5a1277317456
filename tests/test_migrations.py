"""Starting civicbot migrates its database. Processes that start together on a fresh database (a split
deployment's first start) must not trip over each other: one migrates, the others find it done."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import Database
from tests.databases import BACKENDS, database_url


@pytest.mark.parametrize("backend", BACKENDS)
async def test_processes_starting_together_on_a_fresh_database_migrate_it_once(backend: str, tmp_path: Path):
    async with database_url(backend, tmp_path, fresh=True) as url:
        starting = [Database(url) for _ in range(4)]
        try:
            # without turns they deadlock or collide on PostgreSQL: a bounded wait makes that a failure
            await asyncio.wait_for(asyncio.gather(*(db.migrate() for db in starting)), timeout=30)
            async with starting[0].read() as session:
                versions = (await session.exec(text("SELECT version_num FROM alembic_version"))).all()  # type: ignore[call-overload]
            assert len(versions) == 1
        finally:
            for db in starting:
                await db.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_migrations_build_exactly_the_schema_the_models_describe(backend: str, tmp_path: Path):
    """A column added to a model without its migration (or the reverse) is found here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import storage.tables  # noqa: F401  (registers every table on the metadata)

    async with database_url(backend, tmp_path, fresh=True) as url:
        database = Database(url)
        try:
            await database.migrate()
            async with database.read_engine.connect() as connection:
                differences = await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
                )
        finally:
            await database.dispose()
    assert differences == []
