"""Throwaway databases for tests: a SQLite file in a temporary folder, or a PostgreSQL database created for
the test and dropped after it.

A PostgreSQL database is a copy (`CREATE DATABASE … TEMPLATE`) of a template that this pytest process migrates
once, with the project's own `Database.migrate`, the first time a test asks for one: copying a migrated
database is cheaper than migrating an empty one for every test. A SQLite database is likewise a copy of a file
this process migrated once (a file copy takes milliseconds, a migration most of a second). The app still runs
its migrations when it starts; it then finds the schema current. A test about migrating itself asks for
`fresh=True`: an empty database. The PostgreSQL template has a name of its own per process (test processes
running side by side never share one: a template cannot be copied while someone is connected to it) and is
dropped at the end of the session (`drop_template`, called by `pytest_sessionfinish` in conftest.py, whatever
the tests' outcome); the SQLite file is removed when the process exits.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import asyncpg

POSTGRES_ADMIN_DSN = os.environ.get("CIVICBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

_template: str | None = None  # this process's migrated template, once made
_sqlite_template: Path | None = None  # this process's migrated SQLite file, once made
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


async def _migrated_sqlite_template() -> Path:
    """This process's migrated SQLite file, made on first use and kept until the process exits: a process
    forked from this one (mutmut's workers) copies it too, and leaves it to the process that made it."""
    global _sqlite_template
    loop = asyncio.get_running_loop()
    lock = _template_locks.setdefault(loop, asyncio.Lock())
    async with lock:
        if _sqlite_template is not None:
            return _sqlite_template
        from storage.database import Database

        folder = Path(tempfile.mkdtemp(prefix="civicbot-template-"))
        atexit.register(_remove_sqlite_template, folder, os.getpid())
        database = Database(f"sqlite+aiosqlite:///{folder / 'template.db'}")
        try:
            await database.migrate()
        finally:
            await database.dispose()  # checkpoints the WAL: the one file then holds the whole schema
        _sqlite_template = folder / "template.db"
        return _sqlite_template


def _remove_sqlite_template(folder: Path, owner: int) -> None:
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


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
    unless `fresh`, then empty."""
    if backend == "sqlite":
        path = tmp_path / "civicbot.db"
        if not fresh:
            shutil.copyfile(await _migrated_sqlite_template(), path)
        yield f"sqlite+aiosqlite:///{path}"
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
