"""What proposals store about a person: the proposals they wrote, their supports and follows, and the steps
they took as an organizer. Gathered for /mydata; erased or anonymized in /forget's transaction: supports and
follows withdrawn, their proposals kept without their name (the text belongs to the community's debate)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.erasure import Account, resident_id
from storage.tables import Proposal, ProposalFollow, ProposalStep, ProposalSupport


@dataclass
class ProposalData:
    written: list[Proposal] = field(default_factory=list)
    supported: list[Proposal] = field(default_factory=list)
    followed: list[Proposal] = field(default_factory=list)


async def gather(session: AsyncSession, account: Account) -> ProposalData:
    found = ProposalData()
    rid = await resident_id(session, account)
    if rid is None:
        return found
    mine = select(Proposal).where(Proposal.author_id == rid).order_by(col(Proposal.id))
    found.written = list((await session.exec(mine)).all())
    for link, into in ((ProposalSupport, found.supported), (ProposalFollow, found.followed)):
        query = (
            select(Proposal)
            .join(link, col(link.proposal_id) == col(Proposal.id))
            .where(link.resident_id == rid)
            .order_by(col(Proposal.id))
        )
        into.extend((await session.exec(query)).all())
    return found


@dataclass(frozen=True, slots=True)
class Erased:
    changed: list[int]  # the proposals whose cards change (a support fewer, a name gone)
    supports: int
    follows: int
    written: int


async def erase(session: AsyncSession, account: Account) -> Erased:
    """Supports and follows deleted, their proposals without author, their steps as an organizer without
    actor."""
    rid = await resident_id(session, account)
    if rid is None:
        return Erased([], 0, 0, 0)
    found = await gather(session, account)
    for link in (ProposalSupport, ProposalFollow):
        await session.exec(delete(link).where(col(link.resident_id) == rid))
    await session.exec(
        update(Proposal).where(col(Proposal.author_id) == rid).values(author_id=None, show_name=False)
    )
    await session.exec(update(ProposalStep).where(col(ProposalStep.actor_id) == rid).values(actor_id=None))
    changed = {p.id for p in found.supported} | {p.id for p in found.written}
    return Erased(
        sorted(i for i in changed if i is not None),
        len(found.supported),
        len(found.followed),
        len(found.written),
    )
