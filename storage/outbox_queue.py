"""The dispatcher's own connection to the outbox: claim rows, mark them, settle them.

A worker writes one mark per message: a single UPDATE that records how the previous row ended and marks the
next one `sending` (see `storage.outbox`). Through the ORM that took about a millisecond (statement
building, greenlet switches, BEGIN, two UPDATEs and COMMIT), which held a worker to the ceiling of one
transaction per message. Here every operation is one statement in autocommit on a raw driver connection:
on SQLite a `sqlite3` connection owned by a thread of its own (the event loop never waits on the file
lock), on PostgreSQL an asyncpg connection whose statements asyncpg prepares once. Commits skip the disk
flush (`synchronous=NORMAL` in WAL, `synchronous_commit=off`): a mark survives a crash of civicbot's
process, which is what the outbox's guarantee is about; a crash of the database server may forget the
last few marks.

Errors of these driver connections never carry a statement's values: sqlite3 names only the constraint or
column, and these statements (claims and marks of existing rows) can break no key whose value asyncpg
would quote in a DETAIL. The payloads they move are never part of a message.

A row claimed by a worker that then outlived its lease (it hung, or died) goes back to the queue; the
mark that starts a row checks it still belongs to this worker, so two workers never both send it.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from storage.database import Database
from storage.outbox import PENDING, SENDING, SENT

NO_ROW = -1  # an id no row has: "no previous row" or "no next row"

Done = tuple[int, str, str | None]  # row id, final state, the platform's message id


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this worker may send, once it has marked it `sending`."""

    id: int
    platform: str
    payload: str
    attempts: int
    not_after: datetime | None
    next_attempt_at: datetime


# Statements are written once with :name parameters; PostgreSQL gets $n with the types spelled out (it
# cannot infer a parameter's type inside CASE).
_TYPES = {
    "id": "bigint",
    "done": "bigint",
    "start": "bigint",
    "limit": "integer",
    "now": "timestamp",
    "at": "timestamp",
    "sent_at": "timestamp",
    "lease_until": "timestamp",
}

_RELEASE_EXPIRED = """
UPDATE outbox SET state = '{pending}', worker = NULL, lease_until = NULL
WHERE state IN ('{pending}', '{sending}') AND lease_until < :now
"""
_CLAIM = """
UPDATE outbox SET worker = :worker, lease_until = :lease_until
WHERE id IN (
    SELECT id FROM outbox
    WHERE state = '{pending}' AND worker IS NULL AND next_attempt_at <= :now
    ORDER BY next_attempt_at, id LIMIT :limit {lock}
)
RETURNING id, platform, payload, attempts, not_after, next_attempt_at
"""
_ADVANCE = """
UPDATE outbox SET
    state = CASE WHEN id = :done THEN :state ELSE '{sending}' END,
    message_id = CASE WHEN id = :done THEN :message_id ELSE message_id END,
    sent_at = CASE WHEN id = :done THEN :sent_at ELSE sent_at END,
    attempts = CASE WHEN id = :done THEN attempts ELSE attempts + 1 END,
    worker = CASE WHEN id = :done THEN NULL ELSE :worker END,
    lease_until = CASE WHEN id = :done THEN NULL ELSE :lease_until END
WHERE id = :done OR (id = :start AND worker = :worker AND state = '{pending}')
RETURNING id
"""
_RETRY = """
UPDATE outbox SET state = '{pending}', next_attempt_at = :at, last_error = :error, worker = NULL,
    lease_until = NULL
WHERE id = :id
"""
_FINISH = """
UPDATE outbox SET state = :state, last_error = :error, worker = NULL, lease_until = NULL WHERE id = :id
"""
_RELEASE = """
UPDATE outbox SET worker = NULL, lease_until = NULL WHERE worker = :worker AND state = '{pending}'
"""


@dataclass(frozen=True)
class Statement:
    sqlite: str
    postgres: str
    names: tuple[str, ...]  # the order of PostgreSQL's $n

    @classmethod
    def of(cls, template: str, *, lock: str = "") -> Statement:
        names: list[str] = []

        def positional(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in names:
                names.append(name)
            cast = _TYPES.get(name, "text")
            return f"${names.index(name) + 1}::{cast}"

        states = {"pending": PENDING, "sending": SENDING}  # the state names storage.outbox defines
        return cls(
            sqlite=template.format(lock="", **states),
            postgres=re.sub(r"(?<!:):(\w+)", positional, template.format(lock=lock, **states)),
            names=tuple(names),
        )


RELEASE_EXPIRED = Statement.of(_RELEASE_EXPIRED)
CLAIM = Statement.of(_CLAIM, lock="FOR UPDATE SKIP LOCKED")
ADVANCE = Statement.of(_ADVANCE)
RETRY = Statement.of(_RETRY)
FINISH = Statement.of(_FINISH)
RELEASE = Statement.of(_RELEASE)


def _naive_utc(moment: datetime) -> datetime:
    """Columns hold naive UTC (see `storage.columns.UTCDateTime`)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC)


class Connection(Protocol):
    async def run(self, statement: Statement, values: dict[str, Any]) -> list[tuple[Any, ...]]: ...

    def checkpoint(self) -> None:
        """Housekeeping between batches, never waited for."""

    async def close(self) -> None: ...


class SQLiteConnection:
    """A `sqlite3` connection owned by one thread: statements run off the event loop.

    Its commits never checkpoint the WAL themselves (a checkpoint flushes to disk: ~10 ms, which would make
    the next send late); `checkpoint()` starts one on a second thread and connection instead, between
    batches, without waiting for it."""

    PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000")
    CHECKPOINT_EVERY = 200  # rows written

    def __init__(self, path: str) -> None:
        self._path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-queue")
        self._checkpointer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-checkpoint")
        self._connections: dict[str, sqlite3.Connection] = {}
        self._checkpoint: asyncio.Future[Any] | None = None
        self._written = 0  # rows written since the last checkpoint (read and reset on the loop's side)

    def _open(self, role: str, *pragmas: str) -> sqlite3.Connection:
        """The connection of the calling thread's role (each thread keeps its own)."""
        if role not in self._connections:
            connection = sqlite3.connect(self._path, isolation_level=None)
            for pragma in (*self.PRAGMAS, *pragmas):
                connection.execute(f"PRAGMA {pragma}")
            self._connections[role] = connection
        return self._connections[role]

    def _run(self, sql: str, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        values = {
            key: value.isoformat(sep=" ", timespec="microseconds") if isinstance(value, datetime) else value
            for key, value in values.items()
        }
        cursor = self._open("queue", "wal_autocheckpoint=0").execute(sql, values)
        rows = cursor.fetchall()
        self._written += max(cursor.rowcount, 0)
        return rows

    async def run(self, statement: Statement, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        return await asyncio.get_running_loop().run_in_executor(
            self._thread, self._run, statement.sqlite, values
        )

    def _passive_checkpoint(self) -> None:
        self._open("checkpoint").execute("PRAGMA wal_checkpoint(PASSIVE)")

    def checkpoint(self) -> None:
        """Only once the marks have grown the WAL by a batch or so: an idle queue costs no disk flush."""
        if self._written < self.CHECKPOINT_EVERY:
            return
        if self._checkpoint is None or self._checkpoint.done():
            self._written = 0
            loop = asyncio.get_running_loop()
            self._checkpoint = loop.run_in_executor(self._checkpointer, self._passive_checkpoint)

    def _close(self, role: str) -> None:
        connection = self._connections.pop(role, None)
        if connection is not None:
            connection.close()

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        for role, thread in (("queue", self._thread), ("checkpoint", self._checkpointer)):
            await loop.run_in_executor(thread, self._close, role)
            thread.shutdown(wait=False)


class PostgresConnection:
    """An asyncpg connection of the dispatcher's own."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._connection: Any = None

    async def run(self, statement: Statement, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        if self._connection is None:
            # deferred: a process on SQLite never loads it (~25 ms)
            import asyncpg

            self._connection = await asyncpg.connect(
                self._dsn, server_settings={"synchronous_commit": "off", "application_name": "civicbot"}
            )
        rows = await self._connection.fetch(statement.postgres, *(values[name] for name in statement.names))
        return [tuple(row) for row in rows]

    def checkpoint(self) -> None:
        return None  # PostgreSQL's checkpointer is a server process

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


class OutboxQueue:
    """What a dispatcher worker does to the outbox, one statement each."""

    def __init__(self, db: Database, worker: str, lease: timedelta) -> None:
        url = make_url(db.url)
        self.connection: Connection = (
            PostgresConnection(url.set(drivername="postgresql").render_as_string(hide_password=False))
            if db.is_postgres
            else SQLiteConnection(url.database or "")
        )
        self.worker = worker
        self.lease = lease
        self._released_at: datetime | None = None

    async def claim(self, *, now: datetime, limit: int) -> list[Claimed]:
        """Take up to `limit` due rows, oldest first. Rows of a worker whose lease expired come back
        (looked for a few times per lease, not at every claim: it scans the whole queue)."""
        if self._released_at is None or now - self._released_at >= self.lease / 4:
            await self.connection.run(RELEASE_EXPIRED, {"now": _naive_utc(now)})
            self._released_at = now
        rows = await self.connection.run(
            CLAIM,
            {
                "worker": self.worker,
                "lease_until": _naive_utc(now + self.lease),
                "now": _naive_utc(now),
                "limit": limit,
            },
        )
        self.connection.checkpoint()
        claimed = [
            Claimed(row[0], row[1], row[2], row[3], _aware(row[4]), _aware(row[5]) or now) for row in rows
        ]
        return sorted(claimed, key=lambda row: (row.next_attempt_at, row.id))

    async def advance(self, *, done: Done | None, start: int | None, now: datetime) -> bool:
        """One commit that records how `done` ended and marks `start` sending. False when `start` is no
        longer this worker's (its lease expired and another worker took it): it must not be sent."""
        row_id, state, message_id = done if done is not None else (NO_ROW, SENT, None)
        rows = await self.connection.run(
            ADVANCE,
            {
                "done": row_id,
                "state": state,
                "message_id": message_id,
                "sent_at": _naive_utc(now) if state == SENT else None,
                "worker": self.worker,
                "lease_until": _naive_utc(now + self.lease),
                "start": start if start is not None else NO_ROW,
            },
        )
        return start is not None and any(row[0] == start for row in rows)

    async def retry_later(self, row_id: int, *, at: datetime, error: str) -> None:
        await self.connection.run(RETRY, {"id": row_id, "at": _naive_utc(at), "error": error[:300]})

    async def finish(self, row_id: int, *, state: str, error: str | None = None) -> None:
        await self.connection.run(
            FINISH, {"id": row_id, "state": state, "error": (error or "")[:300] or None}
        )

    async def release(self) -> None:
        """Give back rows claimed but not started (a clean shutdown)."""
        await self.connection.run(RELEASE, {"worker": self.worker})

    async def close(self) -> None:
        await self.connection.close()
