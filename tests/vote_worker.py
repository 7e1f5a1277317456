"""A process that votes in an anonymous poll for the residents named on its command line, many taps in
flight at once as in a busy group, and says on stdout which taps it started and which were acknowledged
(committed). tests/test_poll_anonymity_attacks.py kills it (SIGKILL) in the middle."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from storage import polls as poll_store
from storage.ballots import BallotWriter, Tap, voter_key
from storage.database import Database

IN_FLIGHT = 20
PACE = 0.1  # seconds each tap also takes: 400 residents last 2 s, so a kill after 100 acks is mid-way even
# when the test reading the acks is slowed down by a busy machine


async def main(url: str, key_dir: str, poll_id: int, residents: list[int]) -> None:
    db = Database(url, key_dir=Path(key_dir))
    key = await poll_store.poll_key(db, poll_id)
    assert key is not None
    writer = BallotWriter(db)
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def vote(resident: int) -> None:
        async with gate:
            print(f"start {resident}", flush=True)
            tap = Tap(poll_id, voter_key(key, f"console:r{resident}"), resident % 3, multi=False)
            outcome = await writer.tap(tap)
            print(f"ack {resident} {outcome}", flush=True)
            await asyncio.sleep(PACE)

    await asyncio.gather(*(vote(resident) for resident in residents))
    await writer.stop()
    await db.dispose()
    print("done", flush=True)


if __name__ == "__main__":
    url, key_dir, poll_id, *residents = sys.argv[1:]
    asyncio.run(main(url, key_dir, int(poll_id), [int(r) for r in residents]))
