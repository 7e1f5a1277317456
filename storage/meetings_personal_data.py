"""What events store about a person: their answers to events (RSVPs) and the events they created. Gathered
for /mydata, erased or anonymized in /forget's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.erasure import Account, resident_id
from storage.tables import Meeting, Rsvp


@dataclass
class MeetingData:
    rsvps: list[tuple[Meeting, str]] = field(default_factory=list)  # (event, answer)
    created: list[tuple[int, str]] = field(default_factory=list)  # (number, title)


async def gather(session: AsyncSession, account: Account) -> MeetingData:
    found = MeetingData()
    rsvps = await session.exec(
        select(Meeting, Rsvp.answer)
        .join(Rsvp, col(Rsvp.meeting_id) == col(Meeting.id))
        .where(Rsvp.platform == account.platform, Rsvp.user_id == account.user_id)
        .order_by(col(Meeting.starts_at))
    )
    found.rsvps = [(meeting, answer) for meeting, answer in rsvps.all()]
    rid = await resident_id(session, account)
    if rid is not None:
        query = select(Meeting.id, Meeting.title).where(Meeting.created_by == rid).order_by(col(Meeting.id))
        found.created = [(mid, title) for mid, title in (await session.exec(query)).all() if mid is not None]
    return found


async def erase(session: AsyncSession, account: Account) -> list[int]:
    """Their answers to events deleted, the events they created without author; returns the events whose
    counts change."""
    mine = (col(Rsvp.platform) == account.platform, col(Rsvp.user_id) == account.user_id)
    meetings = sorted(set((await session.exec(select(Rsvp.meeting_id).where(*mine))).all()))
    await session.exec(delete(Rsvp).where(*mine))
    rid = await resident_id(session, account)
    if rid is not None:
        await session.exec(update(Meeting).where(col(Meeting.created_by) == rid).values(created_by=None))
    return meetings
