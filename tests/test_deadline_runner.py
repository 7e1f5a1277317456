"""The deadline runner on its own: it runs a job when the engine's clock reaches it, never because the
machine's wall clock did; a pass that fails is retried a minute later on the same clock, and fails the test
that owns it; stopping lets a pass in progress finish; the system clock notices a corrected wall clock."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from bot.clock import ManualClock, SystemClock
from bot.deadlines import RETRY, Deadlines

LONG_AGO = datetime(2001, 1, 1, 12, 0, tzinfo=UTC)  # far in the wall clock's past
FAR_AHEAD = datetime(2091, 1, 1, 12, 0, tzinfo=UTC)  # far in its future


class Runner(Deadlines):
    """Deadlines whose database is a dict and whose pass records its instants (and clears what it ran)."""

    def __init__(
        self, clock: ManualClock, jobs: dict[str, datetime], *, fail: int = 0, slow: float = 0
    ) -> None:
        self.clock = clock
        self.table = dict(jobs)
        self.passes: list[datetime] = []
        self.finished = 0
        self.fail, self.slow = fail, slow
        engine = SimpleNamespace(clock=clock, schedule_changed=lambda: None)
        app = SimpleNamespace(engine=engine, run_due=self.run_due)
        super().__init__(app)  # type: ignore[arg-type]  # a stand-in for the App: what Deadlines uses of it

    async def wanted(self) -> dict[str, datetime]:
        return dict(self.table)

    async def run_due(self) -> None:
        now = self.clock.now()
        self.passes.append(now)
        if self.slow:
            await asyncio.sleep(self.slow)
        if self.fail:
            self.fail -= 1
            raise RuntimeError("the database went away")
        self.table = {job: at for job, at in self.table.items() if at > now}
        self.finished += 1


@pytest.fixture
async def runners() -> Any:
    started: list[Runner] = []

    async def start(*args: Any, **kwargs: Any) -> Runner:
        runner = Runner(*args, **kwargs)
        await runner.start()
        started.append(runner)
        return runner

    yield start
    for runner in started:
        await runner.stop()


@pytest.mark.parametrize("start", [LONG_AGO, FAR_AHEAD], ids=["clock-behind-the-wall", "clock-ahead-of-it"])
async def test_a_job_runs_when_the_engine_clock_reaches_it_whatever_the_wall_clock_says(runners, start):
    clock = ManualClock(start)
    runner = await runners(clock, {"poll-close:1": start + timedelta(hours=2)})
    await runner.settle()
    await asyncio.sleep(0.05)  # real time passing changes nothing
    assert runner.passes == []

    clock.advance(timedelta(hours=2) - timedelta(seconds=1))
    await runner.settle()
    assert runner.passes == [], "a second early"
    clock.advance(timedelta(seconds=1))
    await runner.settle()
    assert runner.passes == [start + timedelta(hours=2)]
    assert runner.job_ids() == set(), "what ran and cleared leaves no job"


async def test_what_fell_due_while_the_process_was_down_runs_at_start(runners):
    clock = ManualClock(LONG_AGO)
    runner = await runners(clock, {"poll-close:1": LONG_AGO - timedelta(hours=5)})
    await runner.settle()
    assert runner.passes == [LONG_AGO]


async def test_a_change_in_the_database_is_followed_without_waiting(runners):
    clock = ManualClock(LONG_AGO)
    runner = await runners(clock, {"poll-close:1": LONG_AGO + timedelta(days=1)})
    runner.table["poll-close:2"] = LONG_AGO + timedelta(minutes=5)  # an organizer posts a new poll
    runner.request_sync()
    await runner.settle()
    assert runner.jobs() == runner.table
    clock.advance(timedelta(minutes=5))
    await runner.settle()
    assert runner.passes == [LONG_AGO + timedelta(minutes=5)], "woken by the new, earlier deadline"


@pytest.mark.deadline_errors
async def test_a_failing_pass_is_logged_and_tried_again_a_minute_later_on_the_clock(runners, caplog):
    clock = ManualClock(LONG_AGO)
    runner = await runners(clock, {"poll-close:1": LONG_AGO}, fail=1)
    await runner.settle()
    assert runner.passes == [LONG_AGO] and runner.finished == 0
    assert "running due deadlines failed" in caplog.text
    assert next(r.levelno for r in caplog.records if r.name == "bot.deadlines") == logging.ERROR

    clock.advance(RETRY - timedelta(seconds=1))
    await runner.settle()
    assert len(runner.passes) == 1, "no busy loop on a failure"
    clock.advance(timedelta(seconds=1))
    await runner.settle()
    assert runner.finished == 1 and runner.job_ids() == set()


async def test_stopping_lets_a_pass_in_progress_finish(runners):
    clock = ManualClock(LONG_AGO)
    runner = await runners(clock, {"poll-close:1": LONG_AGO + timedelta(minutes=1)}, slow=0.2)
    clock.advance(timedelta(minutes=1))
    while not runner.passes:  # noqa: ASYNC110 (the pass starts in the runner's own task)
        await asyncio.sleep(0.01)
    await runner.stop()
    assert runner.finished == 1, "the closing that had begun was completed"
    assert not runner.running


async def test_the_system_clock_notices_a_wall_clock_corrected_while_it_sleeps(monkeypatch):
    wall = [datetime(2026, 12, 3, 9, 0, tzinfo=UTC)]
    monkeypatch.setattr(SystemClock, "MAX_NAP", 0.02)
    monkeypatch.setattr(SystemClock, "now", lambda self: wall[0])
    sleeping = asyncio.ensure_future(SystemClock().sleep_until(datetime(2026, 12, 3, 10, 0, tzinfo=UTC)))
    await asyncio.sleep(0.1)
    assert not sleeping.done()
    wall[0] = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # NTP moves the clock an hour ahead
    await asyncio.wait_for(sleeping, timeout=1)
