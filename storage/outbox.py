"""The outbox: messages decided in a transaction, delivered later, exactly once as far as can be known.

A row goes pending → sending → sent. A dispatcher takes one row at a time: it marks it `sending` (a
commit), hands it to the platform, then marks it `sent` in the same commit that marks the next one
`sending`. After a crash, only rows left in `sending` are uncertain — at most one per worker — and are sent
again once their lease expires. Those state commits use `synchronous=NORMAL` on SQLite and
`synchronous_commit=off` on PostgreSQL: durable across a crash of civicbot's process (what the guarantee is
about), and cheap; a crash of the database server itself may forget the last few marks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database
from storage.tables import OutboxMessage

PENDING, SENDING, SENT, FAILED, DROPPED = "pending", "sending", "sent", "failed", "dropped"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What a decision wants sent."""

    dedup_key: str
    platform: str
    recipient: str
    payload: dict[str, Any]
    not_after: datetime | None = None


async def enqueue(session: AsyncSession, messages: Sequence[Outgoing], *, now: datetime) -> None:
    """Add messages inside the caller's transaction; a dedup key already queued is silently skipped, so
    deciding the same thing twice (two schedulers, a retry) sends it once."""
    if not messages:
        return
    rows = [
        {
            "dedup_key": m.dedup_key[:200],
            "platform": m.platform,
            "recipient": m.recipient,
            "payload": json.dumps(m.payload, ensure_ascii=False),
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "not_after": m.not_after,
            "created_at": now,
        }
        for m in messages
    ]
    bind = session.bind
    dialect = postgresql if bind is not None and bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedup_key"])
    await session.exec(statement, params=rows)  # type: ignore[call-overload]


async def claim(
    db: Database, *, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[OutboxMessage]:
    """Take up to `limit` due rows for this worker. Expired leases (a worker that died) come back first.
    On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets several workers share the queue without waiting."""
    async with db.relaxed_write() as session:
        await session.exec(  # type: ignore[call-overload]
            update(OutboxMessage)
            .where(col(OutboxMessage.state).in_([PENDING, SENDING]), col(OutboxMessage.lease_until) < now)
            .values(state=PENDING, worker=None, lease_until=None)
        )
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.state == PENDING,
                col(OutboxMessage.worker).is_(None),
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(limit)
        )
        if db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        rows = list((await session.exec(query)).all())
        if rows:
            await session.exec(  # type: ignore[call-overload]
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_([r.id for r in rows]))
                .values(worker=worker, lease_until=now + lease)
            )
        return rows


async def advance(
    connection: AsyncConnection,
    *,
    done: tuple[int, str, str | None] | None,
    start: int | None,
    worker: str,
    now: datetime,
    lease: timedelta,
) -> None:
    """One commit that records how the previous row ended (`done`: id, state, message id) and marks the
    next one `sending`: the only moment a row is uncertain is between these two commits. It runs on the
    dispatcher's own connection (see `Database.relaxed_connection`), one statement per row."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    async with connection.begin():
        if done is not None:
            row_id, state, message_id = done
            await connection.execute(
                table.update()
                .where(table.c.id == row_id)
                .values(
                    state=state,
                    message_id=message_id,
                    sent_at=now if state == SENT else None,
                    worker=None,
                    lease_until=None,
                )
            )
        if start is not None:
            await connection.execute(
                table.update()
                .where(table.c.id == start)
                .values(state=SENDING, attempts=table.c.attempts + 1, worker=worker, lease_until=now + lease)
            )


async def retry_later(db: Database, row_id: int, *, at: datetime, error: str) -> None:
    async with db.relaxed_write() as session:
        await session.exec(  # type: ignore[call-overload]
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == row_id)
            .values(state=PENDING, next_attempt_at=at, last_error=error[:300], worker=None, lease_until=None)
        )


async def finish(db: Database, row_id: int, *, state: str, error: str | None = None) -> None:
    async with db.relaxed_write() as session:
        await session.exec(  # type: ignore[call-overload]
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == row_id)
            .values(state=state, last_error=(error or "")[:300] or None, worker=None, lease_until=None)
        )


async def release(db: Database, worker: str) -> None:
    """Give back rows claimed but not started (a clean shutdown)."""
    async with db.write() as session:
        await session.exec(  # type: ignore[call-overload]
            update(OutboxMessage)
            .where(OutboxMessage.worker == worker, OutboxMessage.state == PENDING)
            .values(worker=None, lease_until=None)
        )


async def counts(db: Database) -> dict[str, int]:
    async with db.read() as session:
        rows = await session.exec(
            select(OutboxMessage.state, func.count()).group_by(col(OutboxMessage.state))  # type: ignore[call-overload]
        )
        return {state: count for state, count in rows.all()}


async def failures(db: Database, *, prefix: str = "", limit: int = 50) -> list[OutboxMessage]:
    async with db.read() as session:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.state == FAILED, col(OutboxMessage.dedup_key).startswith(prefix))
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        )
        return list((await session.exec(query)).all())
