"""What polls store about a person: their votes (public ones by their resident id, anonymous ones by a keyed
pseudonym while the poll is open), the closing announcements of public polls that list their name, and the
polls they created. Gathered for /mydata, erased or anonymized in /forget's transaction."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.ballots import public_voter, voter_key
from storage.database import Database
from storage.erasure import Account, resident_id
from storage.outbox import Outgoing, encode_payload
from storage.polls import announcement_key, open_anonymous_keys
from storage.tables import Ballot, OutboxMessage, Poll

Announcements = Callable[[AsyncSession, int], Awaitable[list[Outgoing]]]


@dataclass
class PollData:
    anonymous_votes: dict[int, list[int]] = field(default_factory=dict)  # open anonymous polls only
    public_votes: dict[int, list[int]] = field(default_factory=dict)
    naming: list[OutboxMessage] = field(default_factory=list)  # announcements that list their name
    created: list[tuple[int, str]] = field(default_factory=list)  # (number, question)


@dataclass(frozen=True, slots=True)
class PollsErased:
    withdrawn: int  # open polls whose vote was withdrawn
    polls: list[int]  # polls whose cards change (a vote withdrawn, or a name removed)
    created: list[int]  # polls that no longer have an author
    rewritten: list[OutboxMessage]  # sent announcements whose text changed (to edit where they were posted)


async def gather(db: Database, session: AsyncSession, account: Account) -> PollData:
    found = PollData()
    rid = await resident_id(session, account)
    if rid is not None:
        found.public_votes = await _choices(session, col(Ballot.resident_id) == rid)
    found.anonymous_votes = await _anonymous_choices(db, session, account.identity)
    found.naming = await _announcements(session, await _closed_public_polls(session, rid))
    if rid is not None:
        query = select(Poll.id, Poll.question).where(Poll.created_by == rid).order_by(col(Poll.id))
        found.created = [
            (pid, question) for pid, question in (await session.exec(query)).all() if pid is not None
        ]
    return found


async def erase(
    db: Database, session: AsyncSession, account: Account, announcements: Announcements
) -> PollsErased:
    """Votes in open polls withdrawn, public ballots of closed ones kept and linked to nobody, their
    announcements rewritten (`announcements` renders them as they read now), created polls without author."""
    rid = await resident_id(session, account)
    withdrawn: set[int] = set()
    for poll_id, voter in await _anonymous_voters(db, session, account.identity):
        result = await session.exec(
            delete(Ballot).where(col(Ballot.poll_id) == poll_id, col(Ballot.voter) == voter)
        )
        if result.rowcount:
            withdrawn.add(poll_id)
    closed: list[int] = []
    created: list[int] = []
    if rid is not None:
        closed = await _closed_public_polls(session, rid)
        mine = or_(col(Ballot.resident_id) == rid, col(Ballot.voter) == public_voter(rid))
        open_public = set((await session.exec(select(Ballot.poll_id).where(mine))).all()) - set(closed)
        if open_public:
            await session.exec(delete(Ballot).where(mine, col(Ballot.poll_id).in_(open_public)))
            withdrawn |= open_public
        for poll_id in closed:
            await session.exec(
                update(Ballot)
                .where(col(Ballot.poll_id) == poll_id, mine)
                .values(resident_id=None, voter="x" + secrets.token_urlsafe(16))
            )
    rewritten = await _rewrite_announcements(session, closed, announcements)
    if rid is not None:
        created = [
            pid
            for pid in (await session.exec(select(Poll.id).where(col(Poll.created_by) == rid))).all()
            if pid is not None
        ]
        await session.exec(update(Poll).where(col(Poll.created_by) == rid).values(created_by=None))
    return PollsErased(
        withdrawn=len(withdrawn), polls=sorted(withdrawn | set(closed)), created=created, rewritten=rewritten
    )


async def _choices(session: AsyncSession, *where: ColumnElement[bool]) -> dict[int, list[int]]:
    rows = await session.exec(
        select(Ballot.poll_id, Ballot.option).where(*where).order_by(col(Ballot.option))
    )
    choices: dict[int, list[int]] = defaultdict(list)
    for poll_id, option in rows.all():
        choices[poll_id].append(option)
    return dict(choices)


async def _anonymous_voters(db: Database, session: AsyncSession, identity: str) -> list[tuple[int, str]]:
    """(poll, the resident's pseudonym in it) for every open anonymous poll: its key still exists."""
    keys = await open_anonymous_keys(db, session)
    return [(poll_id, voter_key(key, identity)) for poll_id, key in sorted(keys.items())]


async def _anonymous_choices(db: Database, session: AsyncSession, identity: str) -> dict[int, list[int]]:
    choices: dict[int, list[int]] = {}
    voters = await _anonymous_voters(db, session, identity)
    for start in range(0, len(voters), 200):
        chunk = voters[start : start + 200]
        choices.update(
            await _choices(
                session, or_(*(and_(col(Ballot.poll_id) == p, col(Ballot.voter) == v) for p, v in chunk))
            )
        )
    return choices


async def _closed_public_polls(session: AsyncSession, rid: int | None) -> list[int]:
    if rid is None:
        return []
    query = (
        select(Ballot.poll_id)
        .join(Poll, col(Poll.id) == col(Ballot.poll_id))
        .where(Ballot.resident_id == rid, col(Poll.closed_at).is_not(None))
        .distinct()
    )
    return sorted((await session.exec(query)).all())


async def _announcements(session: AsyncSession, poll_ids: Sequence[int]) -> list[OutboxMessage]:
    """The closing announcements of these polls, whatever their state (a sent one's text is kept too)."""
    rows: list[OutboxMessage] = []
    for poll_id in poll_ids:
        query = select(OutboxMessage).where(
            col(OutboxMessage.dedup_key).startswith(announcement_key(poll_id))
        )
        rows.extend((await session.exec(query.order_by(col(OutboxMessage.id)))).all())
    return rows


async def _rewrite_announcements(
    session: AsyncSession, poll_ids: list[int], announcements: Announcements
) -> list[OutboxMessage]:
    """Rewrite the closing announcements of these polls as they read now; an announcement that can no longer
    be rendered is deleted. Returns the sent ones (their posted copies can then be edited)."""
    sent: list[OutboxMessage] = []
    for poll_id in poll_ids:
        fresh = {o.dedup_key: o for o in await announcements(session, poll_id)}
        for row in await _announcements(session, [poll_id]):
            now_reads = fresh.get(row.dedup_key)
            if now_reads is None:
                await session.delete(row)
                continue
            row.payload = encode_payload(now_reads.payload)
            session.add(row)
            if row.message_id is not None:
                sent.append(row)
    return sent
