"""A correction and a vote never cross, whatever process records either: a tap on a button of the poll's
version before a correction is refused by the writer itself (its option number may name another option now),
and a correction after the first vote is refused. A deletion leaves a tombstone without question, options,
ballots, author or key."""

from __future__ import annotations

from storage.ballots import BallotWriter, Outcome, Tap
from storage.poll_changes import CORRECTABLE, Corrected, Deleted, Refusal, correct_poll, delete_poll
from storage.polls import get_poll, key_name
from tests.test_ballots import NOW, ballots, new_poll


def values(**changes: object) -> dict[str, object]:
    base = {name: False for name in CORRECTABLE} | {"question": "Q ?", "options": ["O0", "O1", "O2"]}
    return base | {"closes_at": None} | changes


async def test_a_tap_shown_before_a_correction_is_refused_by_the_writer_and_records_nothing(db):
    poll_id = await new_poll(db)
    corrected = await correct_poll(db, poll_id, values(options=["O2", "O1", "O0"]), actor="a", now=NOW)
    assert corrected == Corrected(("options",), 2)
    writer = BallotWriter(db)
    try:
        stale = await writer.tap(Tap(poll_id=poll_id, voter="v", option=0, multi=False, version=1))
        fresh = await writer.tap(Tap(poll_id=poll_id, voter="w", option=0, multi=False, version=2))
    finally:
        await writer.stop()
    assert (stale, fresh) == (Outcome.CORRECTED, Outcome.ADDED)
    assert [b.voter for b in await ballots(db, poll_id)] == ["w"]
    assert await correct_poll(db, poll_id, values(question="Autre ?"), actor="a", now=NOW) is Refusal.VOTED
    poll = await get_poll(db, poll_id)
    assert poll is not None and poll.options == ("O2", "O1", "O0") and poll.version == 2


async def test_becoming_public_destroys_the_key_and_becoming_anonymous_makes_one(db):
    poll_id = await new_poll(db)
    assert db.keys.get(key_name(poll_id)) is not None
    await correct_poll(db, poll_id, values(public=True), actor="a", now=NOW)
    assert db.keys.get(key_name(poll_id)) is None
    await correct_poll(db, poll_id, values(public=False), actor="a", now=NOW)
    assert db.keys.get(key_name(poll_id)) is not None


async def test_a_deleted_poll_is_a_tombstone_and_cannot_be_deleted_or_corrected_again(db):
    poll_id = await new_poll(db)
    writer = BallotWriter(db)
    try:
        await writer.tap(Tap(poll_id=poll_id, voter="v", option=1, multi=False))
    finally:
        await writer.stop()
    deleted = await delete_poll(db, poll_id, tombstone=lambda row: {}, actor="a", now=NOW)
    assert deleted == Deleted(ballots=1, rewritten=[])
    poll = await get_poll(db, poll_id)
    assert poll is not None and poll.deleted and not poll.is_open
    assert (poll.question, poll.options, poll.created_by, poll.closes_at) == ("", (), None, None)
    assert await ballots(db, poll_id) == [] and db.keys.get(key_name(poll_id)) is None
    assert await delete_poll(db, poll_id, tombstone=lambda row: {}, actor="a", now=NOW) is Refusal.DELETED
    assert await correct_poll(db, poll_id, values(), actor="a", now=NOW) is Refusal.DELETED
