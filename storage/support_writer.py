"""Recording supports: a group-commit writer, as votes have (storage/ballots.py).

Callers hand their tap to the database's writer and wait; the writer takes every tap waiting (up to
`MAX_BATCH`), applies them in order inside one transaction — the supporters' resident rows created at their
first tap, the proposals locked (PostgreSQL; SQLite's writers are serialized), each tap toggled with the
double-tap rule, the threshold checked once per proposal — commits, and only then answers each caller. One
commit serves a whole crowd, and no caller hears « soutien enregistré » before it is on disk. The primary key
of `proposal_support` is the final guard: whatever another process does, one support per resident.

The writer's task ends whenever nothing is waiting, so nothing is left running between crowds.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, delete, func, or_, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database, dialect_insert
from storage.outbox import Outgoing, enqueue
from storage.proposals import SUPPORTABLE, Rules, rules_in
from storage.tables import Community, Proposal, ProposalSupport, Resident

MAX_BATCH = 200
DOUBLE_TAP = timedelta(seconds=3)

Reached = Callable[[AsyncSession, Proposal], Awaitable[Sequence[Outgoing]]]


class Tapped(StrEnum):
    ADDED = "added"
    KEPT = "kept"  # a second tap within DOUBLE_TAP: nothing changed
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"  # the proposal's status takes no more of these
    GONE = "gone"
    ELSEWHERE = "elsewhere"  # tapped in another conversation than the proposal's community


@dataclass(frozen=True, slots=True)
class Tap:
    outcome: Tapped
    status: str | None = None  # the proposal's, when CLOSED
    reached: bool = False  # this support made the proposal reach its threshold


@dataclass(frozen=True, slots=True)
class Supporter:
    """Who tapped, as their platform names them (their resident row is created if they have none)."""

    platform: str
    user_id: str
    display_name: str


@dataclass
class Request:
    proposal_id: int
    who: Supporter
    chat: tuple[str, str] | None  # (platform, chat id) the tap came from; None: a tap from anywhere
    now: datetime
    defaults: Rules
    reached: Reached
    answer: asyncio.Future[Tap] = field(init=False)


async def _residents(
    session: AsyncSession, people: set[Supporter], now: datetime, postgres: bool
) -> dict[tuple[str, str], int]:
    """The resident id of each supporter, rows created for those who have none (simultaneous first contacts
    in two processes make one row)."""
    keys = list({(p.platform, p.user_id) for p in people})
    query = select(Resident.platform, Resident.user_id, Resident.id).where(
        tuple_(col(Resident.platform), col(Resident.user_id)).in_(keys)
    )
    found = {(platform, user): rid for platform, user, rid in (await session.exec(query)).all() if rid}
    missing = {(p.platform, p.user_id): p for p in people if (p.platform, p.user_id) not in found}
    if missing:
        rows = [
            Resident(
                platform=p.platform, user_id=p.user_id, display_name=p.display_name[:128], created_at=now
            )
            for p in missing.values()
        ]
        insert = dialect_insert(postgres)(Resident).on_conflict_do_nothing(
            index_elements=["platform", "user_id"]
        )
        await session.exec(insert, params=[r.model_dump(exclude={"id"}) for r in rows])
        found.update(
            {(platform, user): rid for platform, user, rid in (await session.exec(query)).all() if rid}
        )
    return found


class SupportWriter:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: list[Request] = []
        self._task: asyncio.Task[None] | None = None

    async def tap(self, request: Request) -> Tap:
        """Record one tap; returns its outcome once committed."""
        request.answer = asyncio.get_running_loop().create_future()
        self._queue.append(request)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="support-writer")
        return await request.answer

    async def _run(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                outcomes = await self._apply(batch)
            except Exception as error:  # the callers get the error; the writer goes on
                for request in batch:
                    if not request.answer.done():
                        request.answer.set_exception(error)
                continue
            for request, outcome in zip(batch, outcomes, strict=True):
                if not request.answer.done():
                    request.answer.set_result(outcome)
        self._task = None  # (no await since the queue was seen empty: a tap now starts a new task)

    async def _apply(self, batch: list[Request]) -> list[Tap]:
        postgres = self._db.is_postgres
        async with self._db.write() as session:
            ids = await _residents(session, {r.who for r in batch}, batch[-1].now, postgres)
            proposal_ids = sorted({r.proposal_id for r in batch})
            query = (
                select(Proposal, Community.platform, Community.chat_id)
                .join(Community, col(Community.id) == col(Proposal.community_id))
                .where(col(Proposal.id).in_(proposal_ids))
                .order_by(col(Proposal.id))  # (locked in one order: two writers never wait on each other)
            )
            if postgres:
                query = query.with_for_update(of=Proposal)
            proposals = {
                p.id: (p, (platform, chat)) for p, platform, chat in (await session.exec(query)).all()
            }
            existing_query = select(ProposalSupport).where(
                col(ProposalSupport.proposal_id).in_(proposal_ids),
                col(ProposalSupport.resident_id).in_(list(set(ids.values()))),
            )
            before = {
                (s.proposal_id, s.resident_id): s.created_at
                for s in (await session.exec(existing_query)).all()
            }
            after = dict(before)
            outcomes = [_toggle(r, proposals.get(r.proposal_id), ids, after) for r in batch]
            await _write(session, before, after, postgres)
            return await _thresholds(session, batch, outcomes, proposals)


def _toggle(
    request: Request,
    found: tuple[Proposal, tuple[str, str]] | None,
    ids: dict[tuple[str, str], int],
    supports: dict[tuple[int, int], datetime],
) -> Tap:
    if found is None:
        return Tap(Tapped.GONE)
    proposal, chat = found
    if request.chat is not None and request.chat != chat:
        return Tap(Tapped.ELSEWHERE)
    if proposal.status not in SUPPORTABLE:
        return Tap(Tapped.CLOSED, proposal.status)
    key = (request.proposal_id, ids[(request.who.platform, request.who.user_id)])
    since = supports.get(key)
    if since is None:
        supports[key] = request.now
        return Tap(Tapped.ADDED)
    if request.now - since < DOUBLE_TAP:
        return Tap(Tapped.KEPT)
    del supports[key]
    return Tap(Tapped.WITHDRAWN)


async def _write(
    session: AsyncSession,
    before: dict[tuple[int, int], datetime],
    after: dict[tuple[int, int], datetime],
    postgres: bool,
) -> None:
    removed = [key for key in before if key not in after]
    added = [
        {"proposal_id": p, "resident_id": r, "created_at": at}
        for (p, r), at in after.items()
        if (p, r) not in before
    ]
    if removed:
        await session.exec(
            delete(ProposalSupport).where(
                or_(
                    *(
                        and_(col(ProposalSupport.proposal_id) == p, col(ProposalSupport.resident_id) == r)
                        for p, r in removed
                    )
                )
            )
        )
    if added:
        insert = dialect_insert(postgres)(ProposalSupport).on_conflict_do_nothing()
        await session.exec(insert, params=added)


async def _thresholds(
    session: AsyncSession,
    batch: list[Request],
    outcomes: list[Tap],
    proposals: dict[Any, tuple[Proposal, tuple[str, str]]],
) -> list[Tap]:
    """The proposals a support of this batch made reach their threshold: the last such support is the one
    that reached it; its organizers' notices are queued in this transaction."""
    result = list(outcomes)
    for proposal_id, (proposal, _) in proposals.items():
        added = [
            n
            for n, (r, o) in enumerate(zip(batch, outcomes, strict=True))
            if r.proposal_id == proposal_id and o.outcome is Tapped.ADDED
        ]
        if not added or proposal.threshold_reached_at is not None:
            continue
        last = batch[added[-1]]
        rules = await rules_in(session, proposal.community_id, last.defaults)
        count = select(func.count()).where(ProposalSupport.proposal_id == proposal_id)
        if (await session.exec(count)).one() < rules.threshold:
            continue
        proposal.threshold_reached_at = last.now
        proposal.answer_due_at = last.now + timedelta(days=rules.answer_days)
        session.add(proposal)
        await session.flush()
        await enqueue(session, await last.reached(session, proposal), now=last.now)
        result[added[-1]] = Tap(Tapped.ADDED, reached=True)
    return result


_WRITERS: weakref.WeakKeyDictionary[Database, SupportWriter] = weakref.WeakKeyDictionary()


def writer(db: Database) -> SupportWriter:
    """The database's support writer (one per database object, as one per process in production)."""
    found = _WRITERS.get(db)
    if found is None:
        found = _WRITERS[db] = SupportWriter(db)
    return found
