"""The outbox: messages decided in a transaction, delivered later, exactly once as far as can be known.

A row goes pending → sending → sent. A dispatcher takes one row at a time: it marks it `sending` (a
commit), hands it to the platform, then marks it `sent` in the same commit that marks the next one
`sending`. After a crash, only rows left in `sending` are uncertain — at most one per worker — and are
sent again once their lease expires. This module is the outbox as the rest of civicbot sees it (queue in
a decision's transaction, count, list failures); the dispatcher's side is `storage.outbox_queue`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database, dialect_insert
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


def encode_payload(payload: dict[str, Any]) -> str:
    """A payload as the `outbox.payload` column stores it."""
    return json.dumps(payload, ensure_ascii=False)


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
            "payload": encode_payload(m.payload),
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "not_after": m.not_after,
            "created_at": now,
        }
        for m in messages
    ]
    bind = session.bind
    insert = dialect_insert(bind is not None and bind.dialect.name == "postgresql")
    statement = insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedup_key"])
    await session.exec(statement, params=rows)


SUPERSEDED = ":superseded:"


async def supersede(session: AsyncSession, prefix: str, moment: str) -> None:
    """Messages decided under `prefix` for a moment that changed (a deadline moved): those still waiting
    are dropped, and every one is keyed apart (`<key>:superseded:<moment>`), so that what the new moment
    calls for is decided afresh, once, while the history of what was sent stays."""
    await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.dedup_key).startswith(prefix),
            col(OutboxMessage.state) == PENDING,
            col(OutboxMessage.worker).is_(None),
        )
        .values(state=DROPPED, last_error="superseded")
    )
    suffix = f"{SUPERSEDED}{moment}"
    await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.dedup_key).startswith(prefix),
            col(OutboxMessage.dedup_key).not_like(f"%{SUPERSEDED}%"),
            func.length(col(OutboxMessage.dedup_key)) <= 200 - len(suffix),
        )
        .values(dedup_key=col(OutboxMessage.dedup_key) + suffix)
    )


async def counts(db: Database) -> dict[str, int]:
    async with db.read() as session:
        rows = await session.exec(
            select(OutboxMessage.state, func.count()).group_by(col(OutboxMessage.state))
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
