"""Recording votes: a group-commit writer, and the voter pseudonyms of anonymous polls.

Each tap is a toggle: the same option again withdraws it, another option moves a single-choice vote.
Callers hand their tap to the writer and wait; the writer takes every tap waiting (up to `max_batch`),
applies them in order inside one transaction, commits, and only then answers each caller. One commit (one
fsync) serves a whole batch, which is what lets the bot keep up with a crowd tapping at once, and no caller
hears "vote recorded" before it is on disk. The primary key of `ballot` is the final guard: whatever any
other process does, a voter has one ballot per slot.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import and_, delete, or_
from sqlmodel import col, select

from storage.database import Database, dialect_insert
from storage.tables import Ballot, Poll


def voter_key(poll_key: bytes, identity: str) -> str:
    """The pseudonym of `identity` in one anonymous poll: stable while the poll's key exists, and
    meaningless once the key is deleted at close."""
    digest = hmac.new(poll_key, identity.encode(), hashlib.sha256).digest()[:16]
    return "a" + base64.urlsafe_b64encode(digest).decode().removesuffix("==")  # 16 bytes: 22 characters


def public_voter(resident_id: int) -> str:
    return f"r{resident_id}"


class Outcome(StrEnum):
    ADDED = "added"
    MOVED = "moved"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"
    CORRECTED = "corrected"  # the poll was corrected since the button was shown: its options may differ


@dataclass(frozen=True, slots=True)
class Tap:
    poll_id: int
    voter: str
    option: int
    multi: bool
    resident_id: int | None = None
    version: int = 1  # of the poll, as the tapped button showed it

    @property
    def slot(self) -> int:
        return self.option if self.multi else 0


class BallotWriter:
    def __init__(self, db: Database, *, max_batch: int = 100) -> None:  # pragma: no mutate (a capacity)
        self._db = db
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Tap, asyncio.Future[Outcome]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def tap(self, tap: Tap) -> Outcome:
        """Record one tap; returns once it is committed."""
        if self._task is None or self._task.done():
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run(), name="ballot-writer")  # pragma: no mutate (a label)
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((tap, future))
        return await future

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                outcomes = await self._apply([tap for tap, _ in batch])
            except Exception as error:  # the callers get the error; the writer goes on
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):  # pragma: no mutate (same lengths)
                if not future.done():
                    future.set_result(outcome)

    async def _apply(self, taps: list[Tap]) -> list[Outcome]:
        poll_ids = {t.poll_id for t in taps}
        voters = {t.voter for t in taps}
        async with self._db.write() as session:
            open_query = select(Poll.id, Poll.version).where(
                col(Poll.id).in_(poll_ids),  # pragma: no mutate (narrows the read and the lock: speed only)
                col(Poll.closed_at).is_(None),
            )
            if self._db.is_postgres:
                open_query = open_query.with_for_update(read=True)  # a concurrent close waits for us
            open_polls = dict((await session.exec(open_query)).all())
            before: dict[tuple[int, str, int], tuple[int, int | None]] = {}
            existing = await session.exec(
                select(Ballot).where(
                    col(Ballot.poll_id).in_(poll_ids),  # pragma: no mutate (narrows the read: speed only)
                    col(Ballot.voter).in_(voters),  # pragma: no mutate (narrows the read: speed only)
                )
            )
            for ballot in existing.all():
                before[(ballot.poll_id, ballot.voter, ballot.slot)] = (ballot.option, ballot.resident_id)
            after = dict(before)
            outcomes: list[Outcome] = []
            for t in taps:
                if t.poll_id not in open_polls:
                    outcomes.append(Outcome.CLOSED)
                    continue
                if open_polls[t.poll_id] != t.version:
                    outcomes.append(Outcome.CORRECTED)
                    continue
                key = (t.poll_id, t.voter, t.slot)
                current = after.get(key)
                if current is not None and current[0] == t.option:
                    del after[key]
                    outcomes.append(Outcome.WITHDRAWN)
                else:
                    after[key] = (t.option, t.resident_id)
                    outcomes.append(Outcome.ADDED if current is None else Outcome.MOVED)
            removed = [k for k in before if k not in after]
            changed = [(k, v) for k, v in after.items() if (k, v) not in before.items()]
            if removed:
                await session.exec(
                    delete(Ballot).where(
                        or_(
                            *(
                                and_(col(Ballot.poll_id) == p, col(Ballot.voter) == v, col(Ballot.slot) == s)
                                for p, v, s in removed
                            )
                        )
                    )
                )
            if changed:
                rows = [
                    {"poll_id": p, "voter": v, "slot": s, "option": option, "resident_id": rid}
                    for (p, v, s), (option, rid) in changed
                ]
                # (SQLite accepts PostgreSQL's form of this upsert too: no test can tell a wrong choice here)
                insert = dialect_insert(self._db.is_postgres)(Ballot)  # pragma: no mutate
                upsert = insert.on_conflict_do_update(
                    index_elements=["poll_id", "voter", "slot"],
                    set_={"option": insert.excluded.option, "resident_id": insert.excluded.resident_id},
                )
                await session.exec(upsert, params=rows)
        return outcomes
