"""The database itself guarantees one ballot per voter per slot, whatever the timing of the taps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from storage import polls as poll_store
from storage.ballots import BallotWriter, Outcome, Tap
from storage.database import Database
from storage.tables import Ballot

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def new_poll(db: Database, *, multi: bool = False, options: int = 3) -> int:
    poll = await poll_store.create_poll(
        db,
        question="Q ?",
        options=[f"O{n}" for n in range(options)],
        multi=multi,
        public=False,
        hidden=False,
        language="fr",
        timezone="Europe/Paris",
        closes_at=None,
        posts=[("console", "square")],
        created_by=None,
        actor="console:alice",
        now=NOW,
    )
    return poll.id


async def ballots(db: Database, poll_id: int, voter: str | None = None) -> list[Ballot]:
    async with db.read() as session:
        query = select(Ballot).where(Ballot.poll_id == poll_id)
        if voter is not None:
            query = query.where(Ballot.voter == voter)
        return list((await session.exec(query)).all())


async def test_two_hundred_simultaneous_first_votes_by_one_resident_leave_exactly_one_ballot(db):
    """Each attempt is its own transaction on its own connection, as if from separate processes."""
    poll_id = await new_poll(db)

    async def attempt(option: int) -> None:
        dialect = postgresql if db.is_postgres else sqlite
        statement = dialect.insert(Ballot).values(poll_id=poll_id, voter="a-resident", slot=0, option=option)
        statement = statement.on_conflict_do_nothing(index_elements=["poll_id", "voter", "slot"])
        async with db.write() as session:
            await session.exec(statement)

    await asyncio.gather(*(attempt(n % 3) for n in range(200)))
    assert len(await ballots(db, poll_id, "a-resident")) == 1


async def test_the_primary_key_refuses_a_second_choice_in_a_single_choice_poll(db):
    poll_id = await new_poll(db)
    async with db.write() as session:
        session.add(Ballot(poll_id=poll_id, voter="v", slot=0, option=0))
    with pytest.raises(IntegrityError):
        async with db.write() as session:
            session.add(Ballot(poll_id=poll_id, voter="v", slot=0, option=1))


async def test_two_hundred_concurrent_taps_through_two_writers_never_leave_two_ballots(db):
    """Two writers stand for two bot processes; taps alternate between options."""
    poll_id = await new_poll(db)
    first, second = BallotWriter(db), BallotWriter(db)
    taps = [Tap(poll_id=poll_id, voter="same-resident", option=n % 3, multi=False) for n in range(200)]
    outcomes = await asyncio.gather(*((first if n % 2 else second).tap(tap) for n, tap in enumerate(taps)))
    await first.stop()
    await second.stop()
    assert Outcome.CLOSED not in outcomes
    assert len(await ballots(db, poll_id, "same-resident")) <= 1
    tally = await poll_store.tally(db, await poll_store.get_poll(db, poll_id))
    assert sum(tally.counts) == tally.voters == len(await ballots(db, poll_id))


async def test_taps_by_one_resident_in_one_process_apply_in_order_and_leave_one_ballot(db):
    poll_id = await new_poll(db)
    writer = BallotWriter(db)
    # 199 taps: option 0, then alternating 1 and 2 — each tap moves the vote, none withdraws it
    options = [0] + [1 + n % 2 for n in range(198)]
    outcomes = await asyncio.gather(
        *(writer.tap(Tap(poll_id=poll_id, voter="r", option=o, multi=False)) for o in options)
    )
    await writer.stop()
    assert outcomes[0] is Outcome.ADDED
    assert set(outcomes[1:]) == {Outcome.MOVED}
    rows = await ballots(db, poll_id, "r")
    assert [(b.slot, b.option) for b in rows] == [(0, options[-1])]


async def test_a_tap_committed_after_closing_is_refused(db):
    poll_id = await new_poll(db)
    await poll_store.close_poll(db, poll_id, now=NOW, actor="console:alice")
    writer = BallotWriter(db)
    assert await writer.tap(Tap(poll_id=poll_id, voter="late", option=0, multi=False)) is Outcome.CLOSED
    await writer.stop()
    async with db.read() as session:
        assert (await session.exec(select(func.count()).select_from(Ballot))).one() == 0
