"""The database itself guarantees one ballot per voter per slot, whatever the timing of the taps."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import polls as poll_store
from storage import residents
from storage.ballots import (
    BallotWriter,
    Outcome,
    Tap,
    public_voter,
    voter_key,
)
from storage.database import Database
from storage.tables import Ballot
from tests.databases import database_url
from tests.sql import execute

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
    poll = await poll_store.get_poll(db, poll_id)
    assert poll is not None
    tally = await poll_store.tally(db, poll)
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


# --- the group-commit writer: batches, errors, several voters at once --------------------------------------


class BatchRecordingWriter(BallotWriter):
    """A writer that notes the size of each batch it commits, to show that taps queued together are
    applied in one transaction."""

    def __init__(self, db: Database, **kwargs: int) -> None:
        super().__init__(db, **kwargs)
        self.batches: list[int] = []

    async def _apply(self, taps: list[Tap]) -> list[Outcome]:
        self.batches.append(len(taps))
        return await super()._apply(taps)


async def choices(db: Database, poll_id: int) -> list[tuple[str, int, int]]:
    return sorted((b.voter, b.slot, b.option) for b in await ballots(db, poll_id))


async def test_withdrawals_moves_and_new_votes_of_several_residents_in_one_batch_all_apply(db):
    single, multi = await new_poll(db), await new_poll(db, multi=True)
    writer = BatchRecordingWriter(db)
    first = [
        Tap(single, "ann", 0, False),
        Tap(single, "ben", 1, False),
        Tap(single, "cat", 2, False),
        Tap(multi, "ann", 0, True),
        Tap(multi, "ben", 1, True),
    ]
    assert await asyncio.gather(*(writer.tap(t) for t in first)) == [Outcome.ADDED] * 5
    second = [
        Tap(single, "ann", 0, False),  # withdraws
        Tap(single, "ben", 1, False),  # withdraws too, in the same statement
        Tap(single, "cat", 0, False),  # moves
        Tap(single, "dan", 1, False),  # a first vote
        Tap(multi, "ann", 2, True),  # a second choice
        Tap(multi, "ann", 0, True),  # withdraws the first one
        Tap(multi, "ben", 1, True),  # withdraws their only choice
    ]
    outcomes = await asyncio.gather(*(writer.tap(t) for t in second))
    await writer.stop()
    assert writer.batches == [5, 7], "taps queued together are one transaction"
    assert outcomes == [
        Outcome.WITHDRAWN,
        Outcome.WITHDRAWN,
        Outcome.MOVED,
        Outcome.ADDED,
        Outcome.ADDED,
        Outcome.WITHDRAWN,
        Outcome.WITHDRAWN,
    ]
    assert await choices(db, single) == [("cat", 0, 0), ("dan", 0, 1)]
    assert await choices(db, multi) == [("ann", 2, 2)]


async def test_the_same_option_tapped_twice_in_one_batch_is_a_vote_then_its_withdrawal(db):
    poll_id = await new_poll(db)
    writer = BatchRecordingWriter(db)
    taps = [Tap(poll_id, "ann", 1, False), Tap(poll_id, "ann", 1, False), Tap(poll_id, "ben", 2, False)]
    assert await asyncio.gather(*(writer.tap(t) for t in taps)) == [
        Outcome.ADDED,
        Outcome.WITHDRAWN,
        Outcome.ADDED,
    ]
    await writer.stop()
    assert writer.batches == [3]
    assert await choices(db, poll_id) == [("ben", 0, 2)]


async def test_a_batch_never_exceeds_its_size_and_keeps_the_order_of_the_taps(db):
    poll_id = await new_poll(db)
    writer = BatchRecordingWriter(db, max_batch=2)
    taps = [Tap(poll_id, "ann", option, False) for option in (0, 1, 2, 2, 0)]
    assert await asyncio.gather(*(writer.tap(t) for t in taps)) == [
        Outcome.ADDED,
        Outcome.MOVED,
        Outcome.MOVED,
        Outcome.WITHDRAWN,
        Outcome.ADDED,
    ]
    await writer.stop()
    assert writer.batches == [2, 2, 1]
    assert await choices(db, poll_id) == [("ann", 0, 0)]


async def test_a_batch_mixing_a_closed_poll_and_an_open_one_refuses_only_the_closed_one(db):
    open_poll, closed_poll = await new_poll(db), await new_poll(db)
    await poll_store.close_poll(db, closed_poll, now=NOW, actor="console:alice")
    writer = BatchRecordingWriter(db)
    taps = [Tap(closed_poll, "ann", 0, False), Tap(open_poll, "ann", 0, False)]
    assert await asyncio.gather(*(writer.tap(t) for t in taps)) == [Outcome.CLOSED, Outcome.ADDED]
    await writer.stop()
    assert writer.batches == [2]
    assert await ballots(db, closed_poll) == []
    assert await choices(db, open_poll) == [("ann", 0, 0)]


async def test_a_public_ballot_keeps_the_resident_it_belongs_to_when_the_vote_moves(db):
    poll_id = await new_poll(db)
    resident = await residents.ensure_resident(
        db, platform="console", user_id="bob", display_name="Bob", now=NOW
    )
    writer = BallotWriter(db)
    assert await writer.tap(Tap(poll_id, "r-bob", 0, False, resident_id=resident.id)) is Outcome.ADDED
    assert await writer.tap(Tap(poll_id, "r-bob", 2, False, resident_id=resident.id)) is Outcome.MOVED
    await writer.stop()
    assert [(b.option, b.resident_id) for b in await ballots(db, poll_id)] == [(2, resident.id)]


async def test_when_a_batch_fails_every_voter_in_it_hears_the_error_and_the_writer_goes_on(db):
    """Nobody waits forever for an acknowledgement, and nobody is told "recorded" for a rolled-back vote."""
    poll_id = await new_poll(db)
    writer = BatchRecordingWriter(db, max_batch=2)
    good = Tap(poll_id, "ann", 0, False)
    bad = Tap(poll_id, "ben", 1, False, resident_id=999_999)  # no such resident: the foreign key refuses it
    queued = Tap(poll_id, "cat", 2, False)  # waiting behind the failing batch
    results = await asyncio.wait_for(
        asyncio.gather(writer.tap(good), writer.tap(bad), writer.tap(queued), return_exceptions=True),
        timeout=10,
    )
    assert writer.batches == [2, 1]
    assert [type(r) for r in results] == [IntegrityError, IntegrityError, Outcome]
    assert results[2] is Outcome.ADDED
    assert await choices(db, poll_id) == [("cat", 0, 2)], "the failed batch was rolled back whole"
    assert await asyncio.wait_for(writer.tap(good), timeout=10) is Outcome.ADDED
    await writer.stop()
    assert await choices(db, poll_id) == [("ann", 0, 0), ("cat", 0, 2)]


async def test_a_withdrawal_deletes_that_ballot_and_no_other(db):
    """Other voters in the same slot, the same voter's other choices and other polls keep their ballots."""
    single, multi, other = await new_poll(db), await new_poll(db, multi=True), await new_poll(db)
    writer = BallotWriter(db)
    for tap in [
        Tap(single, "ann", 0, False),
        Tap(single, "ben", 0, False),
        Tap(other, "ann", 0, False),
        Tap(multi, "ann", 0, True),
        Tap(multi, "ann", 2, True),
    ]:
        await writer.tap(tap)
    withdrawals = [Tap(single, "ann", 0, False), Tap(multi, "ann", 0, True)]
    assert await asyncio.gather(*(writer.tap(t) for t in withdrawals)) == [Outcome.WITHDRAWN] * 2
    await writer.stop()
    assert await choices(db, single) == [("ben", 0, 0)]
    assert await choices(db, multi) == [("ann", 2, 2)]
    assert await choices(db, other) == [("ann", 0, 0)]


async def test_a_stopped_writer_starts_again_at_the_next_tap(db):
    poll_id = await new_poll(db)
    writer = BallotWriter(db)
    await writer.stop()  # stopping a writer that never ran is harmless
    assert await writer.tap(Tap(poll_id, "ann", 0, False)) is Outcome.ADDED
    await writer.stop()
    assert await asyncio.wait_for(writer.tap(Tap(poll_id, "ann", 1, False)), timeout=10) is Outcome.MOVED
    await writer.stop()
    assert await choices(db, poll_id) == [("ann", 0, 1)]


# --- pseudonyms, reading and erasing a voter's ballots ------------------------------------------------------


def test_an_anonymous_voter_s_pseudonym_is_a_keyed_hash_of_their_identity_in_that_poll():
    key = bytes(range(32))
    expected = hmac.new(key, b"telegram:42", hashlib.sha256).digest()[:16]
    pseudonym = voter_key(key, "telegram:42")
    assert pseudonym == "a" + base64.urlsafe_b64encode(expected).decode()[:22]
    assert len(pseudonym) == 23 and "=" not in pseudonym
    assert voter_key(key, "telegram:42") == pseudonym, "stable while the key exists"
    assert voter_key(key, "telegram:43") != pseudonym
    assert voter_key(bytes(32), "telegram:42") != pseudonym, "another poll, another pseudonym"
    assert public_voter(7) == "r7"


# --- PostgreSQL: a close and a vote in flight ---------------------------------------------------------------


class PausedSession:
    """A session that stops after its first statement until the test lets it go on."""

    def __init__(self, session: Any, gate: PausingDatabase) -> None:
        self._session = session
        self._gate = gate
        self._first = True

    async def exec(self, *args: Any, **kwargs: Any) -> Any:
        result = await self._session.exec(*args, **kwargs)
        if self._first:
            self._first = False
            self._gate.paused.set()
            await self._gate.go_on.wait()
        return result


class PausingDatabase:
    """The writer's view of the database: each write transaction pauses after its first statement (for the
    writer, the check that the poll is still open)."""

    def __init__(self, db: Database) -> None:
        self.is_postgres = db.is_postgres
        self._db = db
        self.paused = asyncio.Event()
        self.go_on = asyncio.Event()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[PausedSession]:
        async with self._db.write() as session:
            yield PausedSession(session, self)


async def someone_waits_for_a_lock(db: Database) -> bool:
    async with db.read() as session:
        query = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool((await execute(session, query)).one()[0])


@pytest.mark.postgres
async def test_a_close_waits_for_the_vote_in_flight_and_announces_it(tmp_path: Path):
    """A vote that found the poll open holds a shared lock on it until it commits: the close waits, so the
    announced results count that vote; other votes meanwhile do not wait for each other."""
    announced: list[int] = []

    async def announce(session: AsyncSession) -> list[Any]:
        poll = await poll_store.poll_in(session, poll_id)
        assert poll is not None
        announced.append((await poll_store.tally_in(session, poll)).voters)
        return []

    async with database_url("postgresql", tmp_path) as url:
        db = Database(url, key_dir=tmp_path / "keys")
        gate = PausingDatabase(db)
        paused, other = BallotWriter(gate), BallotWriter(db)  # type: ignore[arg-type]  # a pausing stand-in
        try:
            poll_id = await new_poll(db)
            vote = asyncio.create_task(paused.tap(Tap(poll_id, "in-flight", 0, False)))
            await asyncio.wait_for(gate.paused.wait(), timeout=10)  # it saw the poll open, wrote nothing yet
            other_vote = other.tap(Tap(poll_id, "other", 1, False))
            assert await asyncio.wait_for(other_vote, timeout=5) is Outcome.ADDED, "votes do not queue"

            close = asyncio.create_task(
                poll_store.close_poll(db, poll_id, now=NOW, actor="console:alice", announce=announce)
            )
            async with asyncio.timeout(10):
                while not close.done() and not await someone_waits_for_a_lock(db):  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            gate.go_on.set()
            assert await asyncio.wait_for(vote, timeout=10) is Outcome.ADDED
            assert await asyncio.wait_for(close, timeout=10) is True
            assert announced == [2], "the close announced both votes"
            assert len(await ballots(db, poll_id)) == 2
        finally:
            gate.go_on.set()  # whatever failed, the paused transaction ends and the writers stop
            await paused.stop()
            await other.stop()
            await db.dispose()
