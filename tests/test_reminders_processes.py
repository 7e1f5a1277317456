"""Several civicbot processes on one PostgreSQL database never fire the same reminder twice: two processes
deciding the same reminders at the same instant queue each one once per recipient (the outbox's dedup key is
unique and the insert is ON CONFLICT DO NOTHING), and their dispatchers, draining together, deliver each row
once (claims are FOR UPDATE SKIP LOCKED and the mark that starts a row checks whose it is).

The two deciders share nothing but the database: one is an App in the test's process, the other a real
separate OS process (`tests/launcher_worker.py`, run with this interpreter), each with its own engine and a
clock set to the same instant. The race is not left to luck: while they decide (and again while they drain)
the test holds the outbox table (LOCK TABLE … IN EXCLUSIVE MODE: reads go through, writes wait) until both are
waiting to write, so each has read the outbox, found the reminder undecided and built its rows before either
can commit. PostgreSQL only: on SQLite, writers are serialized anyway.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlmodel import col, select

from bot.app import App
from bot.clock import ManualClock
from bot.events.reminders import decide_due
from config.settings import Settings
from storage.tables import OutboxMessage
from tests.databases import database_url
from tests.drivers.console import make_driver
from tests.launcher_worker import Recorder
from tests.scenarios.test_events import SATURDAY_7PM, speak_english

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = ("bob", "carol")  # each answers "I'm coming" to every event
T = TypeVar("T")


@pytest.fixture
async def url(tmp_path: Path) -> AsyncIterator[str]:
    async with database_url("postgresql", tmp_path) as address:  # skips when PostgreSQL is down
        yield address


async def announce(url: str, tmp_path: Path, *events: str) -> None:
    """Organizers announce `events` in the town square and everyone in PEOPLE answers "I'm coming" to each
    (through the console, as a resident would); then that process stops."""
    driver = make_driver(url, tmp_path)
    await driver.start()
    try:
        await speak_english(driver, *PEOPLE)
        for event in events:
            await driver.send("alice", event)
            for person in PEOPLE:
                await driver.press(person, "I'm coming")  # on the latest card: this event's
    finally:
        await driver.stop()


# -- the two processes -------------------------------------------------------------------------------------


class Here:
    """A civicbot App in the test's process (scheduler and dispatcher not started: the test runs them)."""

    def __init__(self, app: App, clock: ManualClock) -> None:
        self.app = app
        self.clock = clock
        self.recorder = Recorder()
        app.runtime.attach(self.recorder)
        app.dispatcher.batch = 1  # as the other process: claim row by row

    async def decide(self, instant: datetime) -> int:
        self.clock.set(instant)
        return await decide_due(self.app.engine)

    async def drain(self) -> list[int]:
        await self.app.dispatcher.drain()
        return self.recorder.take()


class There:
    """The other civicbot process (`tests/launcher_worker.py`), spoken to line by line. It starts while the
    test prepares its events, and is waited for at the first question."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.ready = False

    async def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        if not self.ready:
            assert await self.answer() == {"ready": True}
            self.ready = True
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()
        return await self.answer()

    async def answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=30)
        assert line, f"the other process ended (exit code {await self.process.wait()})"
        return json.loads(line)

    async def decide(self, instant: datetime) -> int:
        return (await self.ask({"decide": instant.isoformat()}))["offered"]

    async def drain(self) -> list[int]:
        return (await self.ask({"drain": True}))["delivered"]


@pytest.fixture
async def here(url: str, tmp_path: Path) -> AsyncIterator[Here]:
    clock = ManualClock(SATURDAY_7PM - timedelta(days=2))
    app = App.build(Settings(_env_file=None, database_url=url, key_dir=tmp_path / "keys"), clock=clock)
    await app.start(scheduler=False, dispatcher=False)
    yield Here(app, clock)
    await app.stop()


@pytest.fixture
async def there(url: str, here: Here) -> AsyncIterator[There]:
    """Started once `here` has migrated the database, so the two never migrate it at the same time."""
    environment = {"PYTHONPATH": str(ROOT), "CIVICBOT_DATABASE_URL": url, "CIVICBOT_LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.launcher_worker",
        cwd=ROOT,
        env={**os.environ, **environment},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        yield There(process)
    finally:
        assert process.stdin is not None
        process.stdin.close()  # the end of its input: it stops its App and exits
        try:
            await asyncio.wait_for(process.wait(), timeout=10)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise


# -- the race ----------------------------------------------------------------------------------------------

# transactions of this database waiting for a lock on the outbox
WAITING = """
SELECT count(*) FROM pg_locks
WHERE NOT granted AND relation = 'outbox'::regclass
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


@pytest.fixture
async def referee(url: str) -> AsyncIterator[asyncpg.Connection]:
    """The test's own connection, to hold the outbox while the processes race."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    yield connection
    await connection.close()


async def at_once(referee: asyncpg.Connection, *work: Awaitable[T]) -> list[T]:
    """Run `work` together with the outbox held: each may read it, none may write to it until all of them
    are waiting to, so none sees what another wrote before it has decided what to write itself."""
    async with referee.transaction():
        await referee.execute("LOCK TABLE outbox IN EXCLUSIVE MODE")
        tasks = [asyncio.ensure_future(each) for each in work]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30  # the first question waits for the other process to start
        while await referee.fetchval(WAITING) < len(tasks) and not any(t.done() for t in tasks):
            assert loop.time() < deadline, "they never all tried to write"
            await asyncio.sleep(0.002)
    return list(await asyncio.gather(*tasks))


async def outbox(app: App) -> list[OutboxMessage]:
    async with app.db.read() as session:
        query = select(OutboxMessage).where(col(OutboxMessage.dedup_key).startswith("event:"))
        return list((await session.exec(query)).all())


def reminders(rows: list[OutboxMessage]) -> Counter[tuple[str, str, str]]:
    """How many rows each reminder has per recipient: (event id, offset, recipient) → rows."""
    counted: Counter[tuple[str, str, str]] = Counter()
    for row in rows:
        _, event, _, offset, *_ = row.dedup_key.split(":")
        counted[event, offset, row.recipient] += 1
    return counted


def expected(events: list[int], offset: str) -> Counter[tuple[str, str, str]]:
    recipients = ["console:c:square", *(f"console:p:{person}" for person in PEOPLE)]
    return Counter((str(event), offset, recipient) for event in events for recipient in recipients)


async def race(
    referee: asyncpg.Connection, here: Here, there: There, instant: datetime
) -> tuple[list[int], list[int], list[int]]:
    """Both processes decide at `instant`, then both drain. Returns the rows this decision queued, and what
    each process delivered (outbox row ids)."""
    before = {row.id for row in await outbox(here.app)}
    offered = await at_once(referee, here.decide(instant), there.decide(instant))
    assert offered[0] == offered[1] > 0, f"both decided, neither having seen the other's rows: {offered}"
    queued = [row.id for row in await outbox(here.app) if row.id is not None and row.id not in before]
    here_sent, there_sent = await at_once(referee, here.drain(), there.drain())
    return queued, here_sent, there_sent


async def test_two_processes_deciding_reminders_at_the_same_instant_queue_and_deliver_each_once(
    url: str, tmp_path: Path, referee: asyncpg.Connection, here: Here, there: There
) -> None:
    await announce(
        url,
        tmp_path,
        "/event Public event | samedi 19h | Village hall",
        "/event Market committee | samedi 19h | Town hall",
        "/event Neighbourhood walk | samedi 19h | Church square",
    )
    instant = SATURDAY_7PM - timedelta(hours=24) + timedelta(seconds=1)  # the day-before reminders are due

    offered = await at_once(referee, here.decide(instant), there.decide(instant))
    assert offered == [9, 9], "each process decided, for each event, the community's, bob's and carol's"
    rows = await outbox(here.app)
    assert reminders(rows) == expected([1, 2, 3], "24h"), "yet the outbox holds one row per recipient"

    here_sent, there_sent = await at_once(referee, here.drain(), there.drain())
    stored = [row.id for row in rows if row.id is not None]
    assert sorted(here_sent + there_sent) == sorted(stored), "each delivered exactly once"
    assert {row.state for row in await outbox(here.app)} == {"sent"}
    assert await here.decide(instant) == 0 and await there.decide(instant) == 0, "nothing left to decide"


async def test_the_same_race_twenty_times_over_never_queues_or_sends_a_reminder_twice(
    url: str, tmp_path: Path, referee: asyncpg.Connection, here: Here, there: There
) -> None:
    # an event on each of four evenings, reminded 5, 4, 3, 2 and 1 hours before: 20 instants, 20 races
    days = ["2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"]
    await announce(
        url,
        tmp_path,
        *(f"/event --reminders 5h,4h,3h,2h,1h Public event | {day} 19:00 | Village hall" for day in days),
    )
    delivered: list[int] = []
    for event, day in enumerate(days, start=1):
        start = datetime.fromisoformat(f"{day}T18:00:00+00:00")  # 19:00 in Paris
        for hours in (5, 4, 3, 2, 1):
            instant = start - timedelta(hours=hours) + timedelta(seconds=1)
            queued, here_sent, there_sent = await race(referee, here, there, instant)
            rows = [row for row in await outbox(here.app) if row.id in queued]
            assert reminders(rows) == expected([event], f"{hours}h"), f"one row per recipient at {instant}"
            assert sorted(here_sent + there_sent) == sorted(queued), f"each delivered once at {instant}"
            delivered += here_sent + there_sent

    rows = await outbox(here.app)
    assert len(rows) == 20 * 3, "20 reminders × (the community, bob and carol)"
    assert Counter(delivered) == Counter(row.id for row in rows), "every row delivered, none twice"
    assert {row.state for row in rows} == {"sent"}
