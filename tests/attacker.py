"""Reading a database the way a thief, a backup or a curious administrator would: every byte of SQLite's
files, every page of every PostgreSQL relation (through `pageinspect`, dead rows included) and, when this
machine lets us read the server's disk, its write-ahead log. The anonymity tests attack with these."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text

from storage.database import Database
from tests.sql import execute

PAGE = 8192


def sqlite_files(db: Database) -> bytes:
    """civicbot.db, its -wal and -shm: what copying the folder while the bot runs takes."""
    database = Path(db.write_engine.url.database or "")
    return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*") if p.is_file())


async def postgres_pages(db: Database) -> bytes:
    """Every page of every table, index and TOAST relation of the database, raw: live rows, dead rows and
    whatever a vacuum left in free space."""
    pages: list[bytes] = []
    async with db.write_engine.connect() as connection:
        await connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        await connection.commit()
        relations = (
            await connection.execute(
                text(
                    "SELECT c.oid::regclass::text, pg_relation_size(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 't', 'i') "
                    "AND c.relpersistence = 'p'"
                )
            )
        ).all()
        for name, size in relations:
            for block in range(size // PAGE):
                page = await connection.execute(
                    text("SELECT get_raw_page(:name, :block)"), {"name": name, "block": block}
                )
                pages.append(bytes(page.scalar_one()))
    return b"".join(pages)


async def wal_segment(db: Database) -> str | None:
    """The name of the WAL segment being written now (PostgreSQL), to read the log from there on later."""
    if not db.is_postgres:
        return None
    async with db.read() as session:
        return (await execute(session, text("SELECT pg_walfile_name(pg_current_wal_lsn())"))).scalar_one()


async def postgres_wal(db: Database, since: str) -> bytes | None:
    """The server's write-ahead log from segment `since` to the current one (every test database of the
    server writes there: a test reads what was written during it), or None when this process may not read
    the server's disk (the tests then say so instead of passing silently)."""
    async with db.read() as session:
        directory = Path((await execute(session, text("SHOW data_directory"))).scalar_one()) / "pg_wal"
        until = await wal_segment(db)
    assert until is not None
    try:
        names = sorted(p.name for p in directory.iterdir() if len(p.name) == 24 and since <= p.name <= until)
        return b"".join((directory / name).read_bytes() for name in names)
    except OSError:
        return None


async def everything(db: Database, since: str | None) -> bytes:
    """All an attacker holding a copy of the database gets (on PostgreSQL, the log from segment `since`)."""
    if db.is_sqlite:
        return sqlite_files(db)
    assert since is not None
    wal = await postgres_wal(db, since)
    if wal is None:  # (CI runs as root beside the server: it reads them)
        warnings.warn("pg_wal is not readable by this user: only the pages were attacked", stacklevel=2)
    return await postgres_pages(db) + (wal or b"")


def correct_attributions(truth: Sequence[object], guessed: Sequence[object]) -> int:
    """How many of `guessed` (an attacker's order) sit where `truth` (the real order) has them; the attacker
    reads an order both ways, so the better of the two counts."""
    forward = sum(a == b for a, b in zip(truth, guessed, strict=True))
    backward = sum(a == b for a, b in zip(truth, reversed(guessed), strict=True))
    return max(forward, backward)
