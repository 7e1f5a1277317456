"""What organizers change in a poll once it is posted: a correction while nobody has voted, a deletion.

A correction rewrites the poll in place (question, options, settings, deadline) and bumps its `version`, in a
transaction that first makes sure no ballot exists: taps take the poll's row for share (PostgreSQL; SQLite's
writers take turns), so a vote and a correction never cross — either the vote lands first and the correction
is refused, or the correction lands first and a tap on a button of the old version is refused
(storage/ballots.py), since its option number may name another option now.

A deletion keeps the poll's row as a tombstone, closed and emptied: its number stays taken (SQLite would give
the number of a removed last row to the next poll, and the old vote buttons would then vote in it), its
cards can still be found and edited to say it was deleted (also one delivered late), a stale button and
/results can say it was deleted rather than that it never existed, and the audit entries keep naming a row.
Everything else goes in the same transaction: question, options, ballots, author, the closing announcements'
texts (rewritten where they were posted: a public poll's names them) and what was still waiting to be sent;
the anonymity key is destroyed right after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.database import Database
from storage.outbox import PENDING, SENT, encode_payload
from storage.polls import announcement_key, key_name
from storage.tables import Ballot, OutboxMessage, Poll, PollOption

# what a correction may change, in the order its audit entry and its confirmation list them
CORRECTABLE = ("question", "options", "multi", "public", "hidden", "private_results", "closes_at")


def reminder_prefix(poll_id: int) -> str:
    """The outbox keys of a poll's closing reminders (bot/events/closings.py writes them)."""
    return f"poll:{poll_id}:reminder:"


class Refusal(StrEnum):
    """Why a poll could not be corrected or deleted."""

    GONE = "gone"  # no such poll
    DELETED = "deleted"
    CLOSED = "closed"
    VOTED = "voted"  # someone has voted: the votes answered the poll as it reads


@dataclass(frozen=True, slots=True)
class Corrected:
    changed: tuple[str, ...]  # names from CORRECTABLE; empty when the poll already read so
    version: int


async def correct_poll(
    db: Database, poll_id: int, values: dict[str, Any], *, actor: str, now: datetime
) -> Corrected | Refusal:
    """Rewrite an open poll nobody has voted in with `values` (every name of CORRECTABLE), audited."""
    async with db.write() as session:
        poll = await session.get(Poll, poll_id, with_for_update=True)
        refusal = await _refusal(session, poll, open_only=True)
        if refusal is not None:
            return refusal
        assert poll is not None
        options = await _options(session, poll_id)
        before = {name: getattr(poll, name, None) for name in CORRECTABLE} | {"options": options}
        changed = tuple(name for name in CORRECTABLE if before[name] != values[name])
        if not changed:
            return Corrected((), poll.version)
        for name in changed:
            if name != "options":
                setattr(poll, name, values[name])
        poll.version += 1
        session.add(poll)
        if "options" in changed:
            await session.exec(delete(PollOption).where(col(PollOption.poll_id) == poll_id))
            session.add_all(
                PollOption(poll_id=poll_id, position=n, label=label)
                for n, label in enumerate(values["options"])
            )
        if "closes_at" in changed:  # a reminder still waiting announced the old deadline: decided again
            await _drop_waiting(session, reminder_prefix(poll_id))
        if not poll.public:  # (became anonymous: its key on disk before the commit, as at creation)
            await db.keys.obtain(key_name(poll_id))
        audit.record(
            session,
            at=now,
            actor=actor,
            action="poll.edit",
            object_type="poll",
            object_id=poll_id,
            detail=f"version {poll.version}: " + ", ".join(changed),
        )
        corrected = Corrected(changed, poll.version)
        public = poll.public
    if public:  # (became public, or was: no key)
        await db.keys.destroy(key_name(poll_id))
    return corrected


@dataclass(frozen=True, slots=True)
class Deleted:
    ballots: int  # erased
    rewritten: list[OutboxMessage]  # sent closing announcements, now saying it was deleted: to edit


Tombstone = Callable[[OutboxMessage], dict[str, Any]]


async def delete_poll(
    db: Database, poll_id: int, *, tombstone: Tombstone, actor: str, now: datetime
) -> Deleted | Refusal:
    """Delete a poll, open or closed (see the module's docstring). `tombstone` gives what a closing
    announcement already posted reads now (the payload of its row)."""
    async with db.write() as session:
        poll = await session.get(Poll, poll_id, with_for_update=True)
        refusal = await _refusal(session, poll, open_only=False)
        if refusal is not None:
            return refusal
        assert poll is not None
        was_open = poll.closed_at is None
        ballots = (await session.exec(select(func.count()).where(Ballot.poll_id == poll_id))).one()
        await session.exec(delete(Ballot).where(col(Ballot.poll_id) == poll_id))
        await session.exec(delete(PollOption).where(col(PollOption.poll_id) == poll_id))
        poll.question = ""
        poll.created_by = None
        poll.closes_at = None
        poll.closed_at = poll.closed_at or now
        poll.deleted_at = now
        poll.version += 1
        session.add(poll)
        rewritten = await _retire_announcements(session, poll_id, tombstone)
        await _drop_waiting(session, reminder_prefix(poll_id))
        audit.record(
            session,
            at=now,
            actor=actor,
            action="poll.delete",
            object_type="poll",
            object_id=poll_id,
            detail=f"{'open' if was_open else 'closed'}, {ballots} ballots erased",
        )
    await db.keys.destroy(key_name(poll_id))
    await db.shred()  # the erased ballots' pages leave SQLite's write-ahead log too
    return Deleted(ballots=ballots, rewritten=rewritten)


async def _refusal(session: AsyncSession, poll: Poll | None, *, open_only: bool) -> Refusal | None:
    if poll is None:
        return Refusal.GONE
    if poll.deleted_at is not None:
        return Refusal.DELETED
    if not open_only:
        return None
    if poll.closed_at is not None:
        return Refusal.CLOSED
    voted = (await session.exec(select(Ballot.poll_id).where(Ballot.poll_id == poll.id).limit(1))).first()
    return Refusal.VOTED if voted is not None else None


async def _options(session: AsyncSession, poll_id: int) -> list[str]:
    query = select(PollOption.label).where(PollOption.poll_id == poll_id).order_by(col(PollOption.position))
    return list((await session.exec(query)).all())


async def _drop_waiting(session: AsyncSession, prefix: str) -> None:
    """Forget the messages under `prefix` not handed to a platform yet (none of them goes out)."""
    await session.exec(
        delete(OutboxMessage).where(
            col(OutboxMessage.dedup_key).startswith(prefix),
            col(OutboxMessage.state) == PENDING,
            col(OutboxMessage.worker).is_(None),
        )
    )


async def _retire_announcements(
    session: AsyncSession, poll_id: int, tombstone: Tombstone
) -> list[OutboxMessage]:
    """A closed poll's announcements: not sent yet, never sent; sent, rewritten to say it was deleted (and
    returned, to be edited where they were posted); failed or given up, removed. One being sent right now is
    left as it is."""
    await _drop_waiting(session, announcement_key(poll_id))
    query = select(OutboxMessage).where(col(OutboxMessage.dedup_key).startswith(announcement_key(poll_id)))
    rewritten: list[OutboxMessage] = []
    for row in (await session.exec(query.order_by(col(OutboxMessage.id)))).all():
        if row.state == SENT:
            row.payload = encode_payload(tombstone(row))
            session.add(row)
            if row.message_id is not None:
                rewritten.append(row)
        elif row.worker is None:
            await session.delete(row)
    return rewritten
