"""Poll deadlines on APScheduler 3, derived from the database.

The database is the only record of what is due. The scheduler holds one date job per open poll with a
deadline, and `sync()` rebuilds that set from the database at start and after every change, so nothing is
stored twice and a restart misses nothing: a deadline that passed while the process was down runs at once.
Closing is idempotent, so a job firing twice (or racing an organizer's /close) is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime import Runtime
from storage import polls as poll_store

log = logging.getLogger(__name__)
PREFIX = "poll-close:"


class Deadlines:
    def __init__(self, runtime: Runtime, scheduler: AsyncIOScheduler | None = None) -> None:
        self.runtime = runtime
        self.scheduler = scheduler or AsyncIOScheduler(timezone="UTC")
        self._sync_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if not self.scheduler.running:
            self.scheduler.start()
        self.runtime.engine.schedule_changed = self.request_sync
        await self.sync()

    async def stop(self) -> None:
        self.runtime.engine.schedule_changed = lambda: None
        if self._sync_task is not None:
            await asyncio.gather(self._sync_task, return_exceptions=True)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def request_sync(self) -> None:
        self._sync_task = asyncio.get_running_loop().create_task(self.sync(), name="deadline sync")

    async def sync(self) -> None:
        """Make the scheduler's jobs exactly the open deadlines in the database."""
        wanted: dict[str, tuple[int, datetime]] = {
            f"{PREFIX}{poll_id}": (poll_id, at)
            for poll_id, at in await poll_store.open_deadlines(self.runtime.engine.db)
        }
        for job in self.scheduler.get_jobs():
            if job.id.startswith(PREFIX) and job.id not in wanted:
                job.remove()
        now = self.runtime.engine.clock.now()
        self._due_now = datetime.now(UTC)  # the scheduler's own clock: "as soon as possible"
        for job_id, (_poll_id, at) in wanted.items():
            existing = self.scheduler.get_job(job_id)
            if at <= now:  # fell due while we were down (or just now): run at once
                if existing is None or getattr(existing.trigger, "run_date", None) != self._due_now:
                    self.scheduler.add_job(
                        self._fire,
                        "date",
                        run_date=self._due_now,
                        id=job_id,
                        replace_existing=True,
                        misfire_grace_time=None,
                    )
                continue
            run_at = at
            if existing is not None and existing.next_run_time == run_at:
                continue
            self.scheduler.add_job(
                self._fire,
                "date",
                run_date=run_at,
                id=job_id,
                replace_existing=True,
                misfire_grace_time=None,  # late is better than never
                coalesce=True,
            )

    def job_ids(self) -> set[str]:
        return {job.id for job in self.scheduler.get_jobs() if job.id.startswith(PREFIX)}

    async def _fire(self) -> None:
        try:
            await self.runtime.run_due()
        except Exception:
            log.exception("closing due polls failed")
