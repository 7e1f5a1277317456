"""Throwaway databases for tests: a SQLite file in a temporary folder, or a PostgreSQL database created for
the test and dropped after it.

A PostgreSQL database is a copy (`CREATE DATABASE … TEMPLATE`) of a template that this pytest process migrates
once, with the project's own `Database.migrate`, the first time a test asks for one: copying a migrated
database is cheaper than migrating an empty one for every test. The app still runs its migrations when it
starts; it then finds the schema current. A test about migrating itself asks for `fresh=True`: an empty
database. The template has a name of its own per process (test processes running side by side never share
one: a template cannot be copied while someone is connected to it) and is dropped at the end of the session
(`drop_template`, called by `pytest_sessionfinish` in conftest.py, whatever the tests' outcome).
"""

from __future__ import annotations

import asyncio
import os
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import asyncpg

    from storage.database import Database

POSTGRES_ADMIN_DSN = os.environ.get("CIVICBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

_template: str | None = None  # this process's migrated template, once made
_template_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _async_url(name: str) -> str:
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def _admin_connection() -> asyncpg.Connection | None:
    """A connection to the admin database, or None when PostgreSQL is not reachable."""
    import asyncpg

    try:
        return await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return None


async def _migrated_template(admin: asyncpg.Connection) -> str:
    """The name of this process's migrated template, made on first use."""
    global _template
    loop = asyncio.get_running_loop()
    lock = _template_locks.setdefault(loop, asyncio.Lock())
    async with lock:  # two databases asked for at once (on one loop) make one template
        if _template is not None:
            return _template
        from storage.database import Database

        name = f"civicbot_template_{uuid.uuid4().hex}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            database = Database(_async_url(name))
            try:
                await database.migrate()
            finally:
                await database.dispose()  # a template cannot be copied while a connection to it is open
            # and none can open by mistake (a copy would then fail with "being accessed by other users")
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        except BaseException:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            raise
        _template = name
        return name


async def _drop_template() -> None:
    global _template
    if _template is None:
        return
    import asyncpg

    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{_template}" WITH (FORCE)')
    finally:
        await admin.close()
    _template = None


def drop_template() -> None:
    """Drop this process's template, if it made one (at the end of the test session; no loop is running)."""
    if _template is not None:
        asyncio.run(_drop_template())


@asynccontextmanager
async def database_url(backend: str, tmp_path: Path, *, fresh: bool = False) -> AsyncIterator[str]:
    """The URL of a database of its own for one test: migrated already on PostgreSQL (a copy of the template)
    unless `fresh`, then empty. A SQLite database is always an empty file."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'civicbot.db'}"
        return
    admin = await _admin_connection()
    if admin is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {POSTGRES_ADMIN_DSN}")
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_DSN} (start it to run these tests)")
    import asyncpg

    name = f"civicbot_test_{uuid.uuid4().hex[:12]}"
    try:
        template = "" if fresh else f' TEMPLATE "{await _migrated_template(admin)}"'
        await admin.execute(f'CREATE DATABASE "{name}"{template}')
    finally:
        await admin.close()
    try:
        yield _async_url(name)
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def dump(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as someone reading the database would see it."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    import storage.tables  # noqa: F401  (every table registers itself in SQLModel.metadata)

    tables: dict[str, list[dict[str, Any]]] = {}
    async with db.read() as session:
        for table in SQLModel.metadata.sorted_tables:
            rows = (await session.exec(text(f'SELECT * FROM "{table.name}"'))).mappings().all()  # type: ignore[call-overload]
            tables[table.name] = [dict(row) for row in rows]
    return tables
