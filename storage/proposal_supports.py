"""Supports and follows of proposals, the threshold a support may reach, and who hears of a proposal.

One support per resident per proposal: the primary key says so, and taps are applied by a group-commit
writer (storage/support_writer.py) under a lock on the proposal (PostgreSQL; SQLite's writers are
serialized), so the count a tap reads, and the threshold it may cross, include every tap before it. A tap
toggles (tap again to withdraw), except within `DOUBLE_TAP` of the support it would withdraw: a resident's
double tap, or a crowd of taps of theirs landing at once, is one support, never a support and its
withdrawal. A follow is toggled the same way, in a transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database, dialect_insert
from storage.proposals import PUBLISHED, Rules
from storage.support_writer import DOUBLE_TAP, Reached, Request, writer
from storage.support_writer import Supporter as Supporter
from storage.support_writer import Tap as Tap
from storage.support_writer import Tapped as Tapped
from storage.tables import Proposal, ProposalFollow, ProposalSupport, Resident

Link = type[ProposalSupport] | type[ProposalFollow]


async def _toggle(
    session: AsyncSession, link: Link, proposal_id: int, resident_id: int, now: datetime, postgres: bool
) -> Tapped:
    existing = await session.get(link, (proposal_id, resident_id))
    if not isinstance(existing, ProposalSupport | ProposalFollow):
        statement = dialect_insert(postgres)(link).values(
            proposal_id=proposal_id, resident_id=resident_id, created_at=now
        )
        result = await session.exec(statement.on_conflict_do_nothing())
        return Tapped.ADDED if result.rowcount == 1 else Tapped.KEPT
    if now - existing.created_at < DOUBLE_TAP:
        return Tapped.KEPT
    await session.exec(
        delete(link).where(col(link.proposal_id) == proposal_id, col(link.resident_id) == resident_id)
    )
    return Tapped.WITHDRAWN


async def support(
    db: Database,
    proposal_id: int,
    who: Supporter,
    *,
    chat: tuple[str, str] | None,
    now: datetime,
    defaults: Rules,
    reached: Reached,
) -> Tap:
    """Apply one tap on « Je soutiens » made in `chat` (None: from anywhere, as in the tapper's private chat),
    through the database's group-commit writer. The support that reaches the community's threshold first sets
    the date the answer is due and queues what `reached` builds (the organizers' notices), in its
    transaction."""
    return await writer(db).tap(Request(proposal_id, who, chat, now, defaults, reached))


async def follow(db: Database, proposal_id: int, resident_id: int, *, now: datetime) -> Tap:
    """Apply one tap on « Suivre » (tap again to stop following)."""
    async with db.write() as session:
        proposal = await session.get(Proposal, proposal_id)
        if proposal is None:
            return Tap(Tapped.GONE)
        if proposal.status not in PUBLISHED:
            return Tap(Tapped.CLOSED, proposal.status)
        return Tap(await _toggle(session, ProposalFollow, proposal_id, resident_id, now, db.is_postgres))


async def count_in(session: AsyncSession, proposal_id: int) -> int:
    query = select(func.count()).where(ProposalSupport.proposal_id == proposal_id)
    return (await session.exec(query)).one()


async def count(db: Database, proposal_id: int) -> int:
    async with db.read() as session:
        return await count_in(session, proposal_id)


async def involved(db: Database, proposal_id: int, resident_id: int) -> bool:
    """Whether the resident supports or follows the proposal."""
    async with db.read() as session:
        for link in (ProposalSupport, ProposalFollow):
            if await session.get(link, (proposal_id, resident_id)) is not None:
                return True
    return False


# -- who hears of a proposal ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reader:
    """Someone told of a proposal's steps in private, with what we know of their private chat."""

    resident_id: int
    platform: str
    user_id: str
    language: str | None
    reachable: bool  # wrote to the bot in private and no private message failed for good since


async def concerned(session: AsyncSession, proposal: Proposal) -> list[Reader]:
    """Its author, its supporters and its followers, each once."""
    supporters = select(ProposalSupport.resident_id).where(ProposalSupport.proposal_id == proposal.id)
    followers = select(ProposalFollow.resident_id).where(ProposalFollow.proposal_id == proposal.id)
    query = (
        select(Resident)
        .where(
            or_(
                col(Resident.id) == proposal.author_id,
                col(Resident.id).in_(supporters),
                col(Resident.id).in_(followers),
            )
        )
        .order_by(col(Resident.platform), col(Resident.user_id))
    )
    return [
        Reader(
            resident.id or 0,
            resident.platform,
            resident.user_id,
            resident.language,
            resident.private_chat_open and not resident.unreachable,
        )
        for resident in (await session.exec(query)).all()
    ]
