"""Connecting to the database: engines, per-backend settings, sessions and migrations.

SQLite gets WAL (readers never wait for the writer), `synchronous=FULL` (a commit is on disk when it
returns, which is what acknowledging a vote promises), `secure_delete` (a deleted row is overwritten,
not left in a free page) and `BEGIN IMMEDIATE` on the write engine (a transaction that reads then writes
never fails half-way with "database is locked"). PostgreSQL needs none of this.
"""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, inspect
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.keystore import KeyStore, default_directory

if TYPE_CHECKING:
    from alembic.config import Config  # deferred (like `_upgrade`'s): alembic is ~120 ms of imports

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x63697669  # an advisory lock id of civicbot's own ("civi")
_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=(.+)$", re.MULTILINE)


def alembic_config(
    connection: Connection | None = None, url: str | None = None, keys: KeyStore | None = None
) -> Config:
    from alembic.config import Config  # deferred (like `_upgrade`'s): alembic is ~120 ms of imports

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    config.attributes["connection"] = connection
    config.attributes["keys"] = keys  # where a migration moves secrets out of the database (0005)
    return config


@cache
def head_revision() -> str | None:
    """The newest migration's revision, read from the `revision` and `down_revision` lines of the migration
    files, or None (Alembic then decides) when they do not name exactly one. Asking Alembic itself means
    importing it, about 0.1 s of every start, for a schema that is current almost every time;
    tests/test_migrations.py checks that both readings agree."""
    revisions: set[str] = set()
    parents: set[str | None] = set()
    try:
        for path in (MIGRATIONS / "versions").glob("*.py"):
            lines = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
            revisions.add(ast.literal_eval(lines["revision"].strip()))
            down = ast.literal_eval(lines.get("down_revision", "None").strip())
            parents.update(down if isinstance(down, tuple) else (down,))
    except (KeyError, ValueError, SyntaxError):
        return None
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _schema_is_current(connection: Connection) -> bool:
    head = head_revision()
    if head is None or not inspect(connection).has_table("alembic_version"):
        return False
    return list(connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()) == [head]


def _upgrade(connection: Connection, keys: KeyStore) -> None:
    from alembic import command  # deferred: only a process that migrates pays for alembic's imports

    command.upgrade(alembic_config(connection, keys=keys), "head")


def dialect_insert(postgres: bool) -> Any:
    """The dialect's `insert` (the one with ON CONFLICT), imported when first used: a process on SQLite (the
    terminal chat, most tests) never loads PostgreSQL's dialect, about 25 ms of imports."""
    if postgres:
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below emits BEGIN itself
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=FULL",
        "busy_timeout=10000",
        "foreign_keys=ON",
        "secure_delete=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


class Database:
    """Two engines on one database: `write()` sessions serialize on SQLite, `read()` sessions never do."""

    def __init__(self, url: str, *, echo: bool = False, key_dir: Path | None = None) -> None:
        self.url = url
        self.keys = KeyStore(key_dir or default_directory(url))  # what must be destroyable: never in here
        self.is_sqlite = url.startswith("sqlite")
        self.is_postgres = url.startswith("postgresql")
        # hide_parameters: an error message (and so a log line) names the failed statement but never its
        # values, which may be a resident's anonymous answer
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.is_postgres:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=False)
        self.write_engine: AsyncEngine = create_async_engine(url, **kwargs)
        self.read_engine: AsyncEngine = self.write_engine
        if self.is_sqlite:
            event.listen(self.write_engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(
                self.write_engine.sync_engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE")
            )
            self.read_engine = create_async_engine(url, **kwargs)
            event.listen(self.read_engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.read_engine.sync_engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        self._writer = async_sessionmaker(self.write_engine, class_=AsyncSession, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that commits when the block ends and rolls back if it raises."""
        async with self._writer() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session, session.begin():
            yield session

    async def shred(self) -> None:
        """Make what was just deleted (a closed poll's ballots as they were, a resident's sealed draft) leave
        SQLite's files too. `secure_delete` zeroes deleted cells in the database file, but the write-ahead log
        still holds the pages as they were: a TRUNCATE checkpoint copies every frame into the database file
        and empties the log. When a reader holds an old snapshot the log cannot be emptied yet: the next
        shred, or the checkpoint at a clean stop, does it. PostgreSQL keeps its WAL and dead rows whatever we
        do: there, what must disappear never enters the database in a usable form (storage/keystore.py)."""
        if not self.is_sqlite:
            return
        async with self.write_engine.connect() as connection:  # outside any transaction: on the driver itself
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection  # aiosqlite's connection, which SQLAlchemy types as `Any | None`
            assert driver is not None
            await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def migrate(self) -> None:
        """Bring the schema to the latest Alembic revision (run at every start; when the database already
        records the newest revision, one query, without loading Alembic). On PostgreSQL, processes starting
        together (a split deployment) take turns: an advisory lock held for the transaction makes the
        second wait, then find the schema current."""
        async with self.write_engine.begin() as conn:
            if self.is_postgres:
                await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            if not await conn.run_sync(_schema_is_current):
                await conn.run_sync(_upgrade, self.keys)

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
