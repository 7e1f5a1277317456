"""An anonymous poll, attacked the way issue 15's threat model says: someone gets a copy of the database
after the poll closed (SQLite's files with their write-ahead log; on PostgreSQL every page through
`pageinspect`, dead rows included, and the server's WAL). They must not learn which resident chose what.

What the database holds of an anonymous vote is a keyed pseudonym; the key lives in the key store (outside
the database) while the poll is open and is destroyed at the close, which also rewrites the ballots with
fresh pseudonyms in a shuffled order. What stays: PostgreSQL's WAL and dead rows keep the order in which the
(pseudonymous) ballots arrived — the same sequence the live poll card showed in the group — and nothing in
the database says who voted when."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import polls as poll_store
from storage.ballots import BallotWriter, Outcome, Tap, voter_key
from storage.database import Database
from tests.attacker import correct_attributions, everything, sqlite_files, wal_segment
from tests.sql import execute
from tests.test_ballots import NOW, new_poll

ROOT = Path(__file__).resolve().parent.parent
RESIDENTS = [f"console:resident-{n}" for n in range(10)]
# With 10 ballots in a random order, a channel attributes 7 or more rightly with probability below 1e-4
# (fixed points of a random permutation, read both ways); an order kept from the votes attributes all 10.
CHANCE_BOUND = 7


async def vote_in_order(db: Database, poll_id: int) -> None:
    """Resident n votes for option n, one after the other (each vote its own commit, as in a real poll)."""
    key = await poll_store.poll_key(db, poll_id)
    assert key is not None
    writer = BallotWriter(db)
    try:
        for option, identity in enumerate(RESIDENTS):
            await writer.tap(Tap(poll_id, voter_key(key, identity), option, multi=False))
    finally:
        await writer.stop()


async def stored_orders(db: Database, poll_id: int) -> dict[str, list[int]]:
    """The options of the live ballots in every order an attacker can read off the storage."""
    async with db.read() as session:
        rows = (
            await execute(session, text(f"SELECT voter, option FROM ballot WHERE poll_id = {poll_id}"))
        ).all()
        orders = {"primary key": [option for _, option in sorted(rows)]}
        if db.is_postgres:
            physical = (
                await execute(
                    session,
                    text(f"SELECT option, xmin::text::bigint, ctid FROM ballot WHERE poll_id = {poll_id}"),
                )
            ).all()
            orders["ctid"] = [option for option, _, _ in sorted(physical, key=lambda r: r[2])]
            orders["xmin"] = [option for option, _, _ in sorted(physical, key=lambda r: (r[1], r[2]))]
    if db.is_sqlite:  # where each ballot's cell sits in the file (free pages are zeroed by secure_delete)
        files = sqlite_files(db)
        offsets = sorted((files.rfind(voter.encode()), option) for voter, option in rows)
        assert all(offset >= 0 for offset, _ in offsets), "every ballot's cell is found in the file"
        orders["cell order"] = [option for _, option in offsets]
    return orders


async def test_a_closed_poll_s_key_is_in_no_file_and_no_page_and_never_was(db: Database):
    since = await wal_segment(db)
    poll_id = await new_poll(db, options=len(RESIDENTS))
    key = await poll_store.poll_key(db, poll_id)
    assert key is not None, "while open the key exists (residents may change their vote)"
    await vote_in_order(db, poll_id)
    assert key not in await everything(db, since), "even while open, it is not in the database"
    assert await poll_store.close_poll(db, poll_id, now=NOW, actor="console:alice")
    stolen = await everything(db, since)
    assert key not in stolen
    assert db.keys.get(poll_store.key_name(poll_id)) is None, "the key store no longer has it"
    for identity in RESIDENTS:  # the pseudonyms a kept key could recompute are gone from the live rows
        async with db.read() as session:
            found = (
                await execute(
                    session,
                    text("SELECT count(*) FROM ballot WHERE voter = :v"),
                    params={"v": voter_key(key, identity)},
                )
            ).scalar_one()
        assert found == 0


async def test_after_the_close_no_storage_order_tells_whose_ballot_is_whose(db: Database):
    """The attacker even knows in which order the residents voted (they watched the group); the order in
    which the ballots are stored must not let them pair residents and ballots better than chance."""
    poll_id = await new_poll(db, options=len(RESIDENTS))
    await vote_in_order(db, poll_id)
    truth = list(range(len(RESIDENTS)))  # resident n chose option n
    while_open = await stored_orders(db, poll_id)
    assert max(correct_attributions(truth, order) for order in while_open.values()) == len(RESIDENTS), (
        "(the attack works: while the poll is open, the storage keeps the votes' order, by design)"
    )

    assert await poll_store.close_poll(db, poll_id, now=NOW, actor="console:alice")

    after = await stored_orders(db, poll_id)
    assert sorted(after["primary key"]) == truth, "the same ballots are counted"
    for channel, order in after.items():
        assert correct_attributions(truth, order) < CHANCE_BOUND, f"the {channel} still tells who chose what"
    if db.is_postgres:
        async with db.read() as session:
            writers = (
                await execute(
                    session, text(f"SELECT count(DISTINCT xmin::text) FROM ballot WHERE poll_id = {poll_id}")
                )
            ).scalar_one()
        assert writers == 1, "every ballot was rewritten by the closing transaction"


@pytest.mark.parametrize("multi", [False, True])
async def test_the_close_keeps_every_ballot_and_each_voter_s_choices_together(db: Database, multi: bool):
    poll_id = await new_poll(db, options=3, multi=multi)
    key = await poll_store.poll_key(db, poll_id)
    assert key is not None
    writer = BallotWriter(db)
    try:
        for identity, options in [("console:a", [0, 2]), ("console:b", [2]), ("console:c", [1, 2])]:
            for option in options if multi else options[:1]:
                await writer.tap(Tap(poll_id, voter_key(key, identity), option, multi=multi))
    finally:
        await writer.stop()
    poll = await poll_store.get_poll(db, poll_id)
    assert poll is not None
    before = await poll_store.tally(db, poll)
    assert await poll_store.close_poll(db, poll_id, now=NOW, actor="console:alice")
    after = await poll_store.tally(db, poll)
    assert after == before, "same counts and the same number of distinct voters"


async def test_one_vote_per_resident_holds_across_two_workers_and_a_restart(db: Database):
    """Both processes of a split deployment, and the process started after a restart, compute the same
    pseudonym for a resident: the key they read is the key store's, not a copy of their own."""
    poll_id = await new_poll(db, options=3)
    other_worker = Database(db.url, key_dir=db.keys.directory)
    try:
        taps = [
            (db, 0, Outcome.ADDED),
            (other_worker, 0, Outcome.WITHDRAWN),
            (other_worker, 1, Outcome.ADDED),
        ]
        for worker, option, expected in taps:
            key = await poll_store.poll_key(worker, poll_id)
            assert key is not None
            writer = BallotWriter(worker)
            try:
                assert (
                    await writer.tap(Tap(poll_id, voter_key(key, "console:bob"), option, False)) is expected
                )
            finally:
                await writer.stop()
    finally:
        await other_worker.dispose()
    restarted = Database(db.url, key_dir=db.keys.directory)
    try:
        key = await poll_store.poll_key(restarted, poll_id)
        assert key is not None
        writer = BallotWriter(restarted)
        try:
            moved = await writer.tap(Tap(poll_id, voter_key(key, "console:bob"), 2, False))
        finally:
            await writer.stop()
        assert moved is Outcome.MOVED, "after a restart bob still changes his one vote"
        poll = await poll_store.get_poll(restarted, poll_id)
        assert poll is not None
        assert (await poll_store.tally(restarted, poll)).counts == (0, 0, 1)
    finally:
        await restarted.dispose()


async def test_a_voting_process_killed_mid_way_loses_no_acknowledged_vote_and_counts_none_twice(db: Database):
    poll_id = await new_poll(db, options=3)
    residents = list(range(400))
    command = [sys.executable, "-m", "tests.vote_worker", db.url, str(db.keys.directory), str(poll_id)]
    first = await asyncio.create_subprocess_exec(
        *command, *map(str, residents), cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    started: set[int] = set()
    acknowledged: set[int] = set()
    assert first.stdout is not None
    async with asyncio.timeout(30):
        while len(acknowledged) < 100:
            word, resident, *_ = (await first.stdout.readline()).decode().split()
            (started if word == "start" else acknowledged).add(int(resident))
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert len(acknowledged) < len(residents), "killed in the middle"

    in_flight = started - acknowledged  # recorded or not: the resident saw no confirmation
    rest = [r for r in residents if r not in started]
    second = await asyncio.create_subprocess_exec(
        *command, *map(str, rest), cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(30):
        out, _ = await second.communicate()
    assert out.decode().splitlines()[-1] == "done"

    poll = await poll_store.get_poll(db, poll_id)
    assert poll is not None
    assert await poll_store.close_poll(db, poll_id, now=NOW, actor="console:alice")
    tally = await poll_store.tally(db, poll)
    confirmed = acknowledged | set(rest)
    assert len(confirmed) <= tally.voters <= len(confirmed) + len(in_flight)
    assert sum(tally.counts) == tally.voters, "one ballot per resident"
    for option in range(3):
        expected = sum(1 for r in confirmed if r % 3 == option)
        possible = sum(1 for r in in_flight if r % 3 == option)
        assert expected <= tally.counts[option] <= expected + possible


async def test_a_key_left_behind_by_a_stop_right_after_a_close_is_destroyed_at_the_next_start(db: Database):
    closed, still_open = await new_poll(db), await new_poll(db)
    key = await poll_store.poll_key(db, closed)
    assert key is not None
    assert await poll_store.close_poll(db, closed, now=NOW, actor="console:alice")
    db.keys.keep(poll_store.key_name(closed), key)  # as if the process died between commit and destruction

    assert await poll_store.sweep_poll_keys(db) == [poll_store.key_name(closed)]
    assert db.keys.get(poll_store.key_name(closed)) is None
    assert await poll_store.poll_key(db, still_open) is not None, "an open poll keeps its key"
