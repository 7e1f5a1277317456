"""Throwaway databases for tests: a SQLite file in the test's temporary folder, or a PostgreSQL database
created for the test and dropped after it.

Either is a copy of a template that this pytest process migrates once, with the project's own
`Database.migrate`, the first time a test asks for one: copying a migrated database is cheaper than
migrating an empty one for every test (~0.2 s of Alembic batch operations on SQLite). The app still runs its
migrations when it starts; it then finds the schema current. A test about migrating itself asks for
`fresh=True`: an empty database.

On SQLite the template is a file in a temporary folder, copied into the test's folder. On PostgreSQL it is a
database (`CREATE DATABASE … TEMPLATE`) with a name of its own per process (test processes running side by
side never share one: a template cannot be copied while someone is connected to it), and everything said to
the server happens on a thread and event loop of this module's own (`_Server`): the copy the next test will
get is made while the current test runs, and a finished test's database is dropped there too — on
PostgreSQL 15 a DROP DATABASE forces a checkpoint, 0.3 to 1 s that no test needs to wait for. Both templates
are removed at the end of the session (`drop_template`, called by `pytest_sessionfinish` in conftest.py,
whatever the tests' outcome), after the last drops.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
import uuid
import weakref
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    import asyncpg

    from storage.database import Database

POSTGRES_ADMIN_DSN = os.environ.get("CIVICBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

T = TypeVar("T")


def _async_url(name: str) -> str:
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def _migrate(url: str) -> None:
    from storage.database import Database

    database = Database(url)
    try:
        await database.migrate()
    finally:
        await database.dispose()  # a template cannot be copied while a connection to it is open


# -- SQLite -------------------------------------------------------------------------------------------------

_sqlite_template: Path | None = None
_sqlite_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def _migrated_sqlite_template() -> Path:
    """This process's migrated SQLite file, made on first use; all of it in the one file (no WAL beside it),
    as a database civicbot has never opened is."""
    global _sqlite_template
    lock = _sqlite_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock:  # two databases asked for at once (on one loop) make one template
        if _sqlite_template is None:
            path = Path(tempfile.mkdtemp(prefix="civicbot-template-")) / "civicbot.db"
            await _migrate(f"sqlite+aiosqlite:///{path}")
            connection = sqlite3.connect(path)
            connection.execute("PRAGMA journal_mode=DELETE")
            connection.close()
            _sqlite_template = path
        return _sqlite_template


# -- PostgreSQL ---------------------------------------------------------------------------------------------


class _Server:
    """This process's admin connection to PostgreSQL and everything done with it, on a thread of its own: its
    event loop outlives the tests' (one per test), so a drop can finish after the test that asked for it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-postgres", daemon=True)
        self.thread.start()
        # two admin connections, one statement at a time on each: copies are made on the first while drops
        # (the slow part) go on the second, so a test never waits for the previous test's drop
        self.admin: asyncpg.Connection | None = None
        self.dropper: asyncpg.Connection | None = None
        self.locks: dict[str, asyncio.Lock] = {}
        self.template: str | None = None
        self.spare: asyncio.Task[str] | None = None  # the next test's copy, being made
        self.failed_drops: list[str] = []

    def run(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(work, self.loop)

    async def execute(self, statement: str, *, on: str = "admin") -> None:
        connection = self.admin if on == "admin" else self.dropper
        assert connection is not None
        async with self.locks.setdefault(on, asyncio.Lock()):
            await connection.execute(statement)

    async def reachable(self) -> bool:
        """Whether PostgreSQL answers (connecting once; a later test asks again if it did not)."""
        import asyncpg

        try:
            if self.admin is None or self.admin.is_closed():
                self.admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=3)
            if self.dropper is None or self.dropper.is_closed():
                self.dropper = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=3)
        except (OSError, asyncpg.PostgresError):
            return False
        return True

    async def _copy(self) -> str:
        if self.template is None:
            name = f"civicbot_template_{uuid.uuid4().hex}"
            await self.execute(f'CREATE DATABASE "{name}"')
            try:
                await _migrate(_async_url(name))
                # and none can open by mistake (a copy would then fail with "being accessed by other users")
                await self.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            except BaseException:
                await self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                raise
            self.template = name
        name = f"civicbot_test_{uuid.uuid4().hex[:12]}"
        await self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    async def copy(self) -> str:
        """A migrated database of the test's own: the one made ahead if any, and the next one made now."""
        spare, self.spare = self.spare, None
        try:
            name = await (spare if spare is not None else self._copy())
        finally:
            if self.spare is None:  # (two copies asked for at once make one spare)
                self.spare = self.loop.create_task(self._copy())
        return name

    async def empty(self) -> str:
        name = f"civicbot_test_{uuid.uuid4().hex[:12]}"
        await self.execute(f'CREATE DATABASE "{name}"')
        return name

    async def drop(self, name: str) -> None:
        try:
            await self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', on="dropper")
        except Exception as error:  # told at the end of the session: nobody waits for a drop
            self.failed_drops.append(f"{name}: {error!r}")

    async def close(self) -> None:
        """Drop the copy made ahead and the template (after the drops already asked for: a lock is fair)."""
        spare, self.spare = self.spare, None
        if spare is not None:
            with contextlib.suppress(Exception):  # a copy that failed to be made has nothing to drop
                await self.drop(await spare)
        if self.template is not None:
            await self.drop(self.template)
            self.template = None
        for connection in (self.admin, self.dropper):
            if connection is not None:
                await connection.close()
        self.admin = self.dropper = None
        if self.failed_drops:
            raise RuntimeError(f"test databases left on the server: {'; '.join(self.failed_drops)}")


_server: _Server | None = None


def _the_server() -> _Server:
    global _server
    if _server is None:
        _server = _Server()
    return _server


async def _on_server(work: Coroutine[Any, Any, T]) -> T:
    return await asyncio.wrap_future(_the_server().run(work))


def drop_template() -> None:
    """Remove this process's templates, if it made any, once the drops already asked for are done (at the
    end of the test session; no loop is running)."""
    global _server, _sqlite_template
    if _sqlite_template is not None:
        shutil.rmtree(_sqlite_template.parent, ignore_errors=True)
        _sqlite_template = None
    if _server is not None:
        server, _server = _server, None
        try:
            server.run(server.close()).result(timeout=120)
        finally:
            server.loop.call_soon_threadsafe(server.loop.stop)
            server.thread.join(timeout=10)
            server.loop.close()


@asynccontextmanager
async def database_url(backend: str, tmp_path: Path, *, fresh: bool = False) -> AsyncIterator[str]:
    """The URL of a database of its own for one test: migrated already (a copy of the template) unless
    `fresh`, then empty."""
    if backend == "sqlite":
        path = tmp_path / "civicbot.db"
        if not fresh:
            shutil.copyfile(await _migrated_sqlite_template(), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    server = _the_server()
    if not await _on_server(server.reachable()):
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {POSTGRES_ADMIN_DSN}")
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_DSN} (start it to run these tests)")
    name = await _on_server(server.empty() if fresh else server.copy())
    try:
        yield _async_url(name)
    finally:
        server.run(server.drop(name))  # on the server's thread: the test does not wait for it


async def dump(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as someone reading the database would see it."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    import storage.tables  # noqa: F401  (every table registers itself in SQLModel.metadata)
    from tests.sql import execute

    tables: dict[str, list[dict[str, Any]]] = {}
    async with db.read() as session:
        for table in SQLModel.metadata.sorted_tables:
            rows = (await execute(session, text(f'SELECT * FROM "{table.name}"'))).mappings().all()
            tables[table.name] = [dict(row) for row in rows]
    return tables
