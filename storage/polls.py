"""Polls: creation, copies in communities, closing, deadlines and the tally, all computed in SQL.

An anonymous poll's key (what turns a resident into their pseudonym in `ballot`) lives in the key store,
never in the database (storage/keystore.py says why), and is destroyed at the close. The close also rewrites
the poll's ballots: fresh random pseudonyms, written in a shuffled order, so that neither the pseudonyms nor
where a ballot sits in the file (cell order, `ctid`, the transaction that wrote it) recall the order of the
votes.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit, outbox
from storage.database import Database
from storage.residents import community_id_in
from storage.tables import Ballot, Poll, PollOption, PollPost, Resident

SHUFFLE = secrets.SystemRandom()


def key_name(poll_id: int) -> str:
    """The key store's name of an anonymous poll's key."""
    return f"poll-{poll_id}"


@dataclass(frozen=True, slots=True)
class PollPostInfo:
    platform: str
    chat_id: str
    message_id: str | None


@dataclass(frozen=True, slots=True)
class PollInfo:
    id: int
    question: str
    options: tuple[str, ...]
    multi: bool
    public: bool
    hidden: bool
    language: str
    timezone: str
    closes_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    created_by: int | None
    community_id: int | None  # the community that owns it (where it was first posted)
    posts: tuple[PollPostInfo, ...]
    private_results: bool = False  # tallies only for its organizers, in private
    version: int = 1  # bumped by every correction (vote buttons name the version they were shown for)
    deleted_at: datetime | None = None  # deleted by its organizers: a tombstone, closed, with nothing in it

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    def posted_in(self, platform: str, chat_id: str) -> bool:
        return any(p.platform == platform and p.chat_id == chat_id for p in self.posts)


@dataclass(frozen=True, slots=True)
class Tally:
    counts: tuple[int, ...]  # ballots per option
    voters: int  # distinct voters
    names: tuple[tuple[str, ...], ...] | None = None  # per option, for public polls only


def announcement_key(poll_id: int, chat_key: str = "") -> str:
    """The outbox key of a poll's closing announcement in one chat; without the chat, the prefix of all."""
    return f"poll:{poll_id}:closed:{chat_key}"


async def create_poll(
    db: Database,
    *,
    question: str,
    options: list[str],
    multi: bool,
    public: bool,
    hidden: bool,
    language: str,
    timezone: str,
    closes_at: datetime | None,
    posts: list[tuple[str, str]],
    created_by: int | None,
    actor: str,
    now: datetime,
    private_results: bool = False,
) -> PollInfo:
    """Write the poll, its options, its anonymity key, its copies and the audit entry in one transaction."""
    async with db.write() as session:
        poll = Poll(
            question=question,
            multi=multi,
            public=public,
            hidden=hidden,
            private_results=private_results,
            language=language,
            timezone=timezone,
            closes_at=closes_at,
            created_at=now,
            created_by=created_by,
            community_id=await community_id_in(session, *posts[0]) if posts else None,
        )
        session.add(poll)
        await session.flush()
        assert poll.id is not None
        session.add_all(
            PollOption(poll_id=poll.id, position=n, label=label) for n, label in enumerate(options)
        )
        if not public:  # on disk before the poll exists: no vote can come before its key
            await db.keys.obtain(key_name(poll.id))
        session.add_all(
            PollPost(poll_id=poll.id, platform=pf, chat_id=chat, posted_at=now) for pf, chat in posts
        )
        audit.record(
            session,
            at=now,
            actor=actor,
            action="poll.create",
            object_type="poll",
            object_id=poll.id,
            detail=f"{len(options)} options, {'public' if public else 'anonymous'}"
            f"{', multi' if multi else ''}{', hidden' if hidden else ''}"
            f"{', private results' if private_results else ''}, posted to {len(posts)}",
        )
        poll_id = poll.id
    info = await get_poll(db, poll_id)
    assert info is not None
    return info


async def get_poll(db: Database, poll_id: int) -> PollInfo | None:
    async with db.read() as session:
        return await poll_in(session, poll_id)


async def poll_in(session: AsyncSession, poll_id: int) -> PollInfo | None:
    """The poll as seen by an open transaction (closing reads it in its own)."""
    poll = await session.get(Poll, poll_id)
    if poll is None:
        return None
    options = (
        await session.exec(
            select(PollOption.label).where(PollOption.poll_id == poll_id).order_by(col(PollOption.position))
        )
    ).all()
    posts = (
        await session.exec(
            select(PollPost).where(PollPost.poll_id == poll_id).order_by(col(PollPost.posted_at))
        )
    ).all()
    assert poll.id is not None
    return PollInfo(
        id=poll.id,
        question=poll.question,
        options=tuple(options),
        multi=poll.multi,
        public=poll.public,
        hidden=poll.hidden,
        language=poll.language,
        timezone=poll.timezone,
        closes_at=poll.closes_at,
        closed_at=poll.closed_at,
        created_at=poll.created_at,
        created_by=poll.created_by,
        community_id=poll.community_id,
        posts=tuple(PollPostInfo(p.platform, p.chat_id, p.message_id) for p in posts),
        private_results=poll.private_results,
        version=poll.version,
        deleted_at=poll.deleted_at,
    )


async def latest_poll_in_chat(db: Database, platform: str, chat_id: str) -> int | None:
    """The newest poll posted in this chat that its organizers have not deleted."""
    async with db.read() as session:
        query = (
            select(func.max(PollPost.poll_id))
            .join(Poll, col(Poll.id) == col(PollPost.poll_id))
            .where(PollPost.platform == platform, PollPost.chat_id == chat_id, col(Poll.deleted_at).is_(None))
        )
        return (await session.exec(query)).first()


async def record_message(db: Database, poll_id: int, platform: str, chat_id: str, message_id: str) -> None:
    async with db.write() as session:
        await session.exec(
            update(PollPost)
            .where(
                col(PollPost.poll_id) == poll_id,
                col(PollPost.platform) == platform,
                col(PollPost.chat_id) == chat_id,
            )
            .values(message_id=message_id)
        )


async def poll_key(db: Database, poll_id: int) -> bytes | None:
    """The key of an open anonymous poll; None once it is closed (or public)."""
    return db.keys.get(key_name(poll_id))


async def open_anonymous_keys(db: Database, session: AsyncSession) -> dict[int, bytes]:
    """poll → key, for every open anonymous poll."""
    query = select(Poll.id).where(col(Poll.closed_at).is_(None), col(Poll.public).is_(False))
    keys = {pid: db.keys.get(key_name(pid)) for pid in (await session.exec(query)).all() if pid is not None}
    return {pid: key for pid, key in keys.items() if key is not None}


async def sweep_poll_keys(db: Database) -> list[str]:
    """Destroy the keys of polls that are closed or gone: a process that stopped between a close's commit and
    the key's destruction leaves one behind; the next start finishes the job."""
    names = db.keys.names("poll-")
    if not names:
        return []
    async with db.read() as session:
        open_ids = set((await session.exec(select(Poll.id).where(col(Poll.closed_at).is_(None)))).all())
    stale = [name for name in names if int(name.removeprefix("poll-")) not in open_ids]
    await db.keys.destroy(*stale)
    return stale


async def _reshuffle(session: AsyncSession, poll_id: int) -> None:
    """Rewrite an anonymous poll's ballots with fresh random pseudonyms, in a random order (same tally)."""
    rows = (
        await session.exec(select(Ballot.voter, Ballot.slot, Ballot.option).where(Ballot.poll_id == poll_id))
    ).all()
    if not rows:
        return
    fresh = {voter: "z" + secrets.token_urlsafe(16) for voter in {voter for voter, _, _ in rows}}
    ballots = [
        {"poll_id": poll_id, "voter": fresh[voter], "slot": slot, "option": option, "resident_id": None}
        for voter, slot, option in rows
    ]
    SHUFFLE.shuffle(ballots)
    await session.exec(delete(Ballot).where(col(Ballot.poll_id) == poll_id))
    await session.exec(insert(Ballot), params=ballots)


async def close_poll(
    db: Database,
    poll_id: int,
    *,
    now: datetime,
    actor: str,
    announce: Callable[[AsyncSession], Awaitable[list[outbox.Outgoing]]] | None = None,
) -> bool:
    """Close once: True for the call that closed it, False when it was already closed (harmless twice).
    An anonymous poll's ballots are reshuffled in the same transaction, and its key destroyed right after the
    commit: from then on ballots are unlinkable. The announcements `announce` returns join the outbox in
    that transaction too: closed means announced."""
    async with db.write() as session:
        result = await session.exec(
            update(Poll).where(col(Poll.id) == poll_id, col(Poll.closed_at).is_(None)).values(closed_at=now)
        )
        closed = result.rowcount == 1
        if closed:
            public = (await session.exec(select(Poll.public).where(col(Poll.id) == poll_id))).one()
            if not public:
                await _reshuffle(session, poll_id)
            audit.record(
                session, at=now, actor=actor, action="poll.close", object_type="poll", object_id=poll_id
            )
            if announce is not None:
                await outbox.enqueue(session, await announce(session), now=now)
    await db.keys.destroy(key_name(poll_id))  # (again when already closed: a crash may have left it)
    if closed:
        await db.shred()  # the ballots' old pages leave SQLite's write-ahead log too
    return closed


async def open_deadlines(db: Database) -> list[tuple[int, datetime]]:
    """Every open poll with a deadline: the scheduler's jobs are derived from this and nothing else."""
    async with db.read() as session:
        query = select(Poll.id, Poll.closes_at).where(
            col(Poll.closed_at).is_(None), col(Poll.closes_at).is_not(None)
        )
        return [
            (pid, at) for pid, at in (await session.exec(query)).all() if pid is not None and at is not None
        ]


async def tally(db: Database, poll: PollInfo) -> Tally:
    async with db.read() as session:
        return await tally_in(session, poll)


async def tally_in(session: AsyncSession, poll: PollInfo) -> Tally:
    counts = [0] * len(poll.options)
    rows = await session.exec(
        select(Ballot.option, func.count()).where(Ballot.poll_id == poll.id).group_by(col(Ballot.option))
    )
    for option, count in rows.all():
        if 0 <= option < len(counts):
            counts[option] = count
    voters = (
        await session.exec(select(func.count(func.distinct(Ballot.voter))).where(Ballot.poll_id == poll.id))
    ).one()
    names: tuple[tuple[str, ...], ...] | None = None
    if poll.public:
        per_option: dict[int, list[str]] = defaultdict(list)
        query = (
            select(Ballot.option, Resident.display_name)
            .join(Resident, col(Resident.id) == col(Ballot.resident_id))
            .where(Ballot.poll_id == poll.id)
            .order_by(col(Resident.display_name))
        )
        for option, name in (await session.exec(query)).all():
            per_option[option].append(name)
        names = tuple(tuple(per_option.get(n, ())) for n in range(len(poll.options)))
    return Tally(counts=tuple(counts), voters=voters, names=names)
