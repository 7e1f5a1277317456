"""What events store about a person: their answers to events (RSVPs) and the events they created. Gathered
for /mydata, erased or anonymized in /forget's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.erasure import Account, resident_id
from storage.tables import Event, Rsvp


@dataclass
class EventData:
    rsvps: list[tuple[Event, str]] = field(default_factory=list)  # (event, answer)
    created: list[tuple[int, str]] = field(default_factory=list)  # (number, title)


async def gather(session: AsyncSession, account: Account) -> EventData:
    found = EventData()
    rsvps = await session.exec(
        select(Event, Rsvp.answer)
        .join(Rsvp, col(Rsvp.event_id) == col(Event.id))
        .where(Rsvp.platform == account.platform, Rsvp.user_id == account.user_id)
        .order_by(col(Event.starts_at))
    )
    found.rsvps = [(event, answer) for event, answer in rsvps.all()]
    rid = await resident_id(session, account)
    if rid is not None:
        query = select(Event.id, Event.title).where(Event.created_by == rid).order_by(col(Event.id))
        found.created = [(mid, title) for mid, title in (await session.exec(query)).all() if mid is not None]
    return found


async def erase(session: AsyncSession, account: Account) -> list[int]:
    """Their answers to events deleted, the events they created without author; returns the events whose
    counts change."""
    mine = (col(Rsvp.platform) == account.platform, col(Rsvp.user_id) == account.user_id)
    events = sorted(set((await session.exec(select(Rsvp.event_id).where(*mine))).all()))
    await session.exec(delete(Rsvp).where(*mine))
    rid = await resident_id(session, account)
    if rid is not None:
        await session.exec(update(Event).where(col(Event.created_by) == rid).values(created_by=None))
    return events
