"""Deadlines (poll closings, consultation openings and closings, reminders), derived from the database and
run on the engine's clock.

The database is the only record of what is due. `wanted()` derives every pending job and its instant from
it; one background task keeps that set, sleeps on the engine's `Clock` until the earliest instant (or until
something changed), then runs one idempotent pass, `Runtime.run_due()`, which does everything that fell
due. A restart misses nothing: a deadline that passed while the process was down runs at once.

Why not APScheduler: its scheduler reads the machine's wall clock itself (`datetime.now()` in five places
of APScheduler 3) and cannot be given ours, so in tests a deadline still ahead on the test's clock was
already past for it, and a deployment whose clock is corrected would see the two disagree. A job store
would also hold a second copy of what the database already says. What remains to do is "sleep until the
earliest instant, then run one pass", which is this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from bot.runtime import Runtime

log = logging.getLogger(__name__)

RETRY = timedelta(minutes=1)  # a job still due after its pass (a failure) runs again this much later
STOP_GRACE = 3.0  # seconds a pass in progress may take to finish at shutdown


class Deadlines:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._jobs: dict[str, datetime] = {}
        self._held: dict[str, tuple[datetime, datetime]] = {}  # job → (its instant, not before)
        self._changed = asyncio.Event()
        self._idle = asyncio.Condition()
        self._asleep = False
        self._failing = False  # the last derivation failed: settle() does not wait for the retry
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Derive the jobs from the database, then run them in the background (what fell due while the
        process was down runs at once)."""
        self._stopping = False
        await self._load()
        self.runtime.engine.schedule_changed = self.request_sync
        self._task = asyncio.get_running_loop().create_task(self._run(), name="deadlines")

    async def stop(self) -> None:
        """Let a pass in progress finish (it is one transaction per closing), then stop. What is still due
        runs at the next start."""
        self.runtime.engine.schedule_changed = lambda: None
        self._stopping = True
        self._changed.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_GRACE)
        except TimeoutError:
            log.warning(
                "a deadline pass did not finish within %s s at shutdown; it runs again at start", STOP_GRACE
            )
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    def request_sync(self) -> None:
        """The database changed what is due: derive the jobs again before sleeping."""
        self._changed.set()

    async def sync(self) -> None:
        """Derive the jobs again now (and let the background task run what is due)."""
        self._changed.clear()
        await self._load()
        self._changed.set()

    async def settle(self) -> None:
        """Wait until everything due by the clock has run and the task sleeps (tests, and the shell)."""
        if not self.running:
            return
        async with self._idle:
            await self._idle.wait_for(self._quiet)

    def jobs(self) -> dict[str, datetime]:
        """Each job there is and its instant, as last derived from the database."""
        return dict(self._jobs)

    def job_ids(self) -> set[str]:
        return set(self._jobs)

    async def wanted(self) -> dict[str, datetime]:
        """Every job there should be, per the database, as the features derive them (poll deadlines,
        consultation openings not announced yet and closings, the reminders still to decide…)."""
        engine = self.runtime.engine
        return await engine.registry.wanted(engine)

    # -- the background task ---------------------------------------------------------------------------------

    async def _load(self) -> None:
        self._jobs = await self.wanted()
        self._held = {job: held for job, held in self._held.items() if self._jobs.get(job) == held[0]}

    def _when(self, job: str, at: datetime) -> datetime:
        held = self._held.get(job)
        return max(at, held[1]) if held is not None and held[0] == at else at

    def _due(self, now: datetime) -> dict[str, datetime]:
        return {job: at for job, at in self._jobs.items() if self._when(job, at) <= now}

    def _quiet(self) -> bool:
        if self._task is None or self._task.done():
            return True
        if not self._asleep:
            return False
        return self._failing or not (self._changed.is_set() or self._due(self.runtime.engine.clock.now()))

    async def _run(self) -> None:
        clock = self.runtime.engine.clock
        reload = False
        while not self._stopping:
            try:
                if reload or self._changed.is_set():
                    self._changed.clear()
                    await self._load()
                    reload = False
                now = clock.now()
                if due := self._due(now):
                    await self._pass(due, now)
                    continue
                self._failing = False
                until = min((self._when(job, at) for job, at in self._jobs.items()), default=None)
            except Exception:
                log.exception("deriving the deadlines from the database failed; trying again in %s", RETRY)
                self._failing, reload = True, True
                until = clock.now() + RETRY
            await self._sleep(until)

    async def _pass(self, due: dict[str, datetime], now: datetime) -> None:
        """Run what fell due; a job the pass did not clear (a failure) waits `RETRY` before the next try."""
        try:
            await self.runtime.run_due()
        except Exception:
            log.exception("running due deadlines failed")
        self._changed.clear()
        await self._load()
        for job, at in due.items():
            if self._jobs.get(job) == at:
                log.warning("deadline job %s is still due after its pass; trying again in %s", job, RETRY)
                self._held[job] = (at, now + RETRY)

    async def _sleep(self, until: datetime | None) -> None:
        """Sleep until `until` on the clock, or until the jobs change or the runner stops."""
        waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._changed.wait())]
        if until is not None:
            waits.append(asyncio.ensure_future(self.runtime.engine.clock.sleep_until(until)))
        self._asleep = True
        async with self._idle:
            self._idle.notify_all()
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._asleep = False
            for wait in waits:
                wait.cancel()
            await asyncio.gather(*waits, return_exceptions=True)
