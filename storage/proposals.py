"""Residents' proposals: each community's rules, submitting, moderating and answering (every change of
status a dated `ProposalStep`), and the lists and histories organizers and residents read.

Every decision that sends something (the card to post once approved, the author told of a moderation, the
followers told of an answer) writes its outbox rows in the transaction of the decision: the caller passes
a `build` function that turns the proposal and its new step, as stored, into `Outgoing` messages. What was
decided is then entirely on disk or not at all, and each message's dedup key names its step, so deciding
twice sends nothing twice. Supports and follows: storage/proposal_supports.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.database import Database, dialect_insert
from storage.outbox import Outgoing, enqueue
from storage.tables import (
    Community,
    OutboxMessage,
    Proposal,
    ProposalSettings,
    ProposalStep,
    ProposalSupport,
    Resident,
)

# What a proposal is now (`proposal.status`) and what each step of its history made it (`proposal_step`)
PENDING = "pending"  # waiting for an organizer's approval
CHANGES = "changes"  # sent back to its author, to edit and submit again
REJECTED = "rejected"  # refused by the moderation: never published
OPEN = "open"  # published: gathering supports, no official answer yet
STUDYING = "studying"  # « à l'étude »
ACCEPTED = "accepted"  # « retenue »
DECLINED = "declined"  # « non retenue » (always with its reason)
IN_PROGRESS = "in_progress"  # « en cours »
DONE = "done"  # « réalisée »
ANSWERS = (STUDYING, ACCEPTED, DECLINED, IN_PROGRESS, DONE)  # what /answer may set
PUBLISHED = (OPEN, *ANSWERS)  # on a card in its community
SUPPORTABLE = (OPEN, STUDYING, ACCEPTED, IN_PROGRESS)  # a support still means something

Build = Callable[[AsyncSession, Proposal, ProposalStep], Awaitable[Sequence[Outgoing]]]


# -- each community's rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rules:
    """How a community takes proposals, its own choices over the deployment's defaults."""

    enabled: bool = True
    moderation: bool = True
    threshold: int = 25
    answer_days: int = 30

    def over(self, row: ProposalSettings | None) -> Rules:
        """These defaults, with what the community chose (`row`) in their place."""
        if row is None:
            return self
        return Rules(
            enabled=self.enabled if row.enabled is None else row.enabled,
            moderation=self.moderation if row.moderation is None else row.moderation,
            threshold=self.threshold if row.threshold is None else row.threshold,
            answer_days=self.answer_days if row.answer_days is None else row.answer_days,
        )


RULES = ("enabled", "moderation", "threshold", "answer_days")


async def rules_in(session: AsyncSession, community_id: int, defaults: Rules) -> Rules:
    return defaults.over(await session.get(ProposalSettings, community_id))


async def rules(db: Database, community_id: int, defaults: Rules) -> Rules:
    async with db.read() as session:
        return await rules_in(session, community_id, defaults)


async def set_rules(
    db: Database, community_id: int, values: dict[str, object], *, actor: str, now: datetime
) -> None:
    """An organizer's choices for their community (an upsert), audited in the same transaction."""
    assert values and set(values) <= set(RULES)
    async with db.write() as session:
        statement = dialect_insert(db.is_postgres)(ProposalSettings).values(
            community_id=community_id, **values
        )
        await session.exec(statement.on_conflict_do_update(index_elements=["community_id"], set_=values))
        audit.record(
            session,
            at=now,
            actor=actor,
            action="proposals.settings",
            object_type="community",
            object_id=community_id,
            detail=", ".join(f"{key}={value}" for key, value in sorted(values.items())),
        )


# -- submitting ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """A proposal as its author wrote it."""

    community_id: int
    author_id: int
    show_name: bool
    title: str
    description: str
    language: str


async def submit(
    db: Database,
    draft: Draft,
    *,
    moderated: bool,
    weekly_limit: int,
    now: datetime,
    build: Build,
) -> Proposal | None:
    """Store a new proposal, waiting for moderation or published at once (its card queued by `build`), with
    its first step. None when its author already submitted `weekly_limit` in the last seven days: counted
    under a lock on the author, so that simultaneous submissions cannot pass the limit together."""
    async with db.write() as session:
        await session.get(Resident, draft.author_id, with_for_update=True)
        if await _submitted_since(session, draft.author_id, now - timedelta(days=7)) >= weekly_limit:
            return None
        proposal = Proposal(
            community_id=draft.community_id,
            author_id=draft.author_id,
            show_name=draft.show_name,
            title=draft.title,
            description=draft.description,
            status=PENDING if moderated else OPEN,
            language=draft.language,
            created_at=now,
            published_at=None if moderated else now,
        )
        session.add(proposal)
        await session.flush()
        step = await _step(session, proposal, PENDING, "", draft.author_id, now)
        if not moderated:
            step = await _step(session, proposal, OPEN, "", None, now)
        await enqueue(session, await build(session, proposal, step), now=now)
    return proposal


async def _submitted_since(session: AsyncSession, author_id: int, since: datetime) -> int:
    query = select(func.count()).where(Proposal.author_id == author_id, Proposal.created_at > since)
    return (await session.exec(query)).one()


async def submitted_since(db: Database, author_id: int, since: datetime) -> int:
    async with db.read() as session:
        return await _submitted_since(session, author_id, since)


async def _step(
    session: AsyncSession, proposal: Proposal, status: str, text: str, actor_id: int | None, now: datetime
) -> ProposalStep:
    assert proposal.id is not None
    step = ProposalStep(proposal_id=proposal.id, at=now, status=status, text=text, actor_id=actor_id)
    session.add(step)
    await session.flush()
    return step


async def resubmit(
    db: Database, proposal_id: int, *, author_id: int, title: str, description: str, now: datetime
) -> Proposal | None:
    """The author's edit of a proposal sent back to them: waiting for moderation again. None when it is not
    theirs or not waiting for their changes (any more)."""
    async with db.write() as session:
        proposal = await session.get(Proposal, proposal_id, with_for_update=True)
        if proposal is None or proposal.author_id != author_id or proposal.status != CHANGES:
            return None
        proposal.title, proposal.description, proposal.status = title, description, PENDING
        session.add(proposal)
        await _step(session, proposal, PENDING, "", author_id, now)
    return proposal


# -- deciding: moderation and official answers ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    """A change of status: what it may follow, what it makes the proposal, and its text."""

    allowed_from: tuple[str, ...]
    status: str
    text: str = ""


async def decide(
    db: Database,
    proposal_id: int,
    decision: Decision,
    *,
    actor_id: int | None,
    actor: str,
    now: datetime,
    build: Build,
) -> tuple[Proposal, ProposalStep] | None:
    """Apply a decision once: None when the proposal is gone or no longer in a status it may follow
    (another organizer decided first). The step, its audit entry and its messages in one transaction."""
    async with db.write() as session:
        # locked: two organizers deciding at once must not both move it (SQLite's writers are serialized)
        proposal = await session.get(Proposal, proposal_id, with_for_update=True)
        if proposal is None or proposal.status not in decision.allowed_from:
            return None
        proposal.status = decision.status
        if decision.status == OPEN and proposal.published_at is None:
            proposal.published_at = now
        session.add(proposal)
        step = await _step(session, proposal, decision.status, decision.text, actor_id, now)
        audit.record(
            session,
            at=now,
            actor=actor,
            action=f"proposal.{decision.status}",
            object_type="proposal",
            object_id=proposal_id,
        )
        await enqueue(session, await build(session, proposal, step), now=now)
    return proposal, step


# -- reading -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProposalView:
    """A proposal with what its card shows besides its own columns."""

    proposal: Proposal
    platform: str  # its community's
    chat_id: str
    community_title: str
    timezone: str | None  # its community's, when it chose one
    author_name: str | None  # when its author chose to show it and is still known
    supports: int

    @property
    def id(self) -> int:
        assert self.proposal.id is not None
        return self.proposal.id


async def view_in(session: AsyncSession, proposal_id: int) -> ProposalView | None:
    proposal = await session.get(Proposal, proposal_id, populate_existing=True)
    if proposal is None:
        return None
    community = await session.get(Community, proposal.community_id)
    assert community is not None
    name = None
    if proposal.show_name and proposal.author_id is not None:
        author = await session.get(Resident, proposal.author_id)
        name = author.display_name if author is not None else None
    count = select(func.count()).where(ProposalSupport.proposal_id == proposal_id)
    return ProposalView(
        proposal,
        community.platform,
        community.chat_id,
        community.title or community.chat_id,
        community.timezone,
        name,
        (await session.exec(count)).one(),
    )


async def view(db: Database, proposal_id: int) -> ProposalView | None:
    async with db.read() as session:
        return await view_in(session, proposal_id)


async def get(db: Database, proposal_id: int) -> Proposal | None:
    async with db.read() as session:
        return await session.get(Proposal, proposal_id)


async def latest_answer_in(session: AsyncSession, proposal_id: int) -> ProposalStep | None:
    """Its latest official answer, if it has one."""
    query = (
        select(ProposalStep)
        .where(ProposalStep.proposal_id == proposal_id, col(ProposalStep.status).in_(ANSWERS))
        .order_by(col(ProposalStep.at).desc(), col(ProposalStep.id).desc())
    )
    return (await session.exec(query)).first()


async def history(db: Database, proposal_id: int) -> list[ProposalStep]:
    async with db.read() as session:
        query = (
            select(ProposalStep)
            .where(ProposalStep.proposal_id == proposal_id)
            .order_by(col(ProposalStep.at), col(ProposalStep.id))
        )
        return list((await session.exec(query)).all())


async def waiting(db: Database, community_ids: Iterable[int] | None) -> list[Proposal]:
    """Proposals waiting for moderation, oldest first, in these communities (None: everywhere)."""
    async with db.read() as session:
        query = select(Proposal).where(Proposal.status == PENDING)
        if community_ids is not None:
            query = query.where(col(Proposal.community_id).in_(list(community_ids)))
        return list((await session.exec(query.order_by(col(Proposal.created_at), col(Proposal.id)))).all())


BY_SUPPORTS, BY_DATE = "supports", "date"


async def listed(
    db: Database,
    community_ids: Iterable[int],
    statuses: Sequence[str],
    *,
    order: str,
    offset: int,
    limit: int,
) -> tuple[list[tuple[Proposal, int]], int]:
    """A page of published proposals of these communities with their supports, by supports (most first) or
    by date (newest first), and how many there are in all."""
    ids = list(community_ids)
    where = (col(Proposal.community_id).in_(ids), col(Proposal.status).in_(list(statuses)))
    supports = (
        select(func.count())
        .where(col(ProposalSupport.proposal_id) == col(Proposal.id))
        .correlate(Proposal)
        .scalar_subquery()
    )
    query = select(Proposal, supports).where(*where)
    if order == BY_SUPPORTS:
        query = query.order_by(supports.desc(), col(Proposal.published_at).desc(), col(Proposal.id).desc())
    else:
        query = query.order_by(col(Proposal.published_at).desc(), col(Proposal.id).desc())
    async with db.read() as session:
        total = (await session.exec(select(func.count()).select_from(Proposal).where(*where))).one()
        rows = (await session.exec(query.offset(offset).limit(limit))).all()
    return [(proposal, count) for proposal, count in rows], total


# -- the card's message ------------------------------------------------------------------------------------


def card_key(proposal_id: int) -> str:
    """The dedup key of a proposal's card in its community (posted through the outbox once published)."""
    return f"proposal:{proposal_id}:card"


async def card_message(db: Database, proposal_id: int) -> str | None:
    """The platform's id of the proposal's card: remembered on the proposal once known, else read from its
    outbox row (the dispatcher records what the platform called each message it sent)."""
    async with db.read() as session:
        proposal = await session.get(Proposal, proposal_id)
        if proposal is None or proposal.message_id is not None:
            return proposal.message_id if proposal is not None else None
        query = select(OutboxMessage.message_id).where(OutboxMessage.dedup_key == card_key(proposal_id))
        found = (await session.exec(query)).first()
    if found is not None:
        async with db.write() as session:
            await session.exec(
                update(Proposal).where(col(Proposal.id) == proposal_id).values(message_id=found)
            )
    return found


# -- answers owed: the organizers' reminders ----------------------------------------------------------------


async def owed(db: Database) -> list[Proposal]:
    """Published proposals that reached their threshold and have no official answer yet."""
    async with db.read() as session:
        query = select(Proposal).where(Proposal.status == OPEN, col(Proposal.answer_due_at).is_not(None))
        return list((await session.exec(query.order_by(col(Proposal.answer_due_at)))).all())


async def decide_reminder(
    db: Database,
    proposal_id: int,
    decided: int,
    due: int,
    *,
    now: datetime,
    build: Callable[[AsyncSession, Proposal], Awaitable[Sequence[Outgoing]]],
) -> int:
    """Queue the organizers' reminder of an answer owed, if it is still owed and no other process decided it
    since the caller read `decided` reminders; the proposal then counts `due` (every reminder whose time
    has come: after a long stop, one message stands for those missed), which is what plans the next one.
    Returns the number of messages offered to the outbox."""
    async with db.write() as session:
        proposal = await session.get(Proposal, proposal_id, with_for_update=True)
        if proposal is None or proposal.status != OPEN or proposal.reminders != decided or due <= decided:
            return 0
        proposal.reminders = due
        session.add(proposal)
        messages = await build(session, proposal)
        await enqueue(session, messages, now=now)
        return len(messages)


async def published(db: Database, community_ids: Sequence[int] | None) -> list[int]:
    """The published proposals of these communities (None: all), in the order they were published."""
    async with db.read() as session:
        query = select(Proposal.id).where(col(Proposal.status).in_(PUBLISHED))
        if community_ids is not None:
            query = query.where(col(Proposal.community_id).in_(list(community_ids)))
        found = (await session.exec(query.order_by(col(Proposal.published_at), col(Proposal.id)))).all()
    return [i for i in found if i is not None]
