"""The audit log: every organizer action, recorded in the transaction of the action itself."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database
from storage.tables import AuditEntry


def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    detail: str = "",
) -> None:
    """Add an entry to the caller's transaction, so the action and its audit stand or fall together."""
    session.add(
        AuditEntry(
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=detail[:2000],
        )
    )


async def log(
    db: Database,
    *,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    detail: str = "",
) -> None:
    """An entry for an action that writes nothing else (an organizer reading interim results, an export),
    in a transaction of its own that commits before the data is read: nothing is read unrecorded."""
    async with db.write() as session:
        record(
            session,
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
        )


async def entries(db: Database, *, actor: str | None = None, limit: int = 1000) -> list[AuditEntry]:
    async with db.read() as session:
        query = select(AuditEntry).order_by(col(AuditEntry.id))
        if actor is not None:
            query = query.where(AuditEntry.actor == actor)
        return list((await session.exec(query.limit(limit))).all())
