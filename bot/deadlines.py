"""Deadlines (poll closings, consultation openings and closings) on APScheduler 3, derived from the database.

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
from storage import consultations as consultation_store
from storage import polls as poll_store

log = logging.getLogger(__name__)
MANAGED = (
    "poll-close:",
    "consultation-open:",
    "consultation-close:",
    "meeting-reminder:",
    "poll-reminder:",
    "consultation-reminder:",
)


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

    async def wanted(self) -> dict[str, datetime]:
        """Every job there should be, per the database: poll deadlines, consultation openings and closings,
        and the reminders still to decide."""
        db = self.runtime.engine.db
        wanted = {f"poll-close:{poll_id}": at for poll_id, at in await poll_store.open_deadlines(db)}
        for consultation_id, opens_at, closes_at in await consultation_store.open_consultation_deadlines(db):
            wanted[f"consultation-close:{consultation_id}"] = closes_at
            if opens_at is not None:
                wanted[f"consultation-open:{consultation_id}"] = opens_at
        # events', polls' and consultations' reminders not decided yet
        from bot.meetings.reminders import jobs as reminder_jobs

        wanted.update(await reminder_jobs(self.runtime.engine))
        return wanted

    async def sync(self) -> None:
        """Make the scheduler's jobs exactly the deadlines in the database. A deadline already past (the
        process was down, or it is due right now) gets a job that runs at once."""
        wanted = await self.wanted()
        for job in self.scheduler.get_jobs():
            if job.id.startswith(MANAGED) and job.id not in wanted:
                job.remove()
        now = self.runtime.engine.clock.now()
        asap = datetime.now(UTC)  # the scheduler's own clock
        for job_id, at in wanted.items():
            due = at <= now
            existing = self.scheduler.get_job(job_id)
            scheduled = existing.next_run_time if existing is not None else None
            if scheduled is not None and ((due and scheduled <= asap) or (not due and scheduled == at)):
                continue
            self.scheduler.add_job(
                self._fire,
                "date",
                run_date=asap if due else at,
                id=job_id,
                replace_existing=True,
                misfire_grace_time=None,  # late is better than never
                coalesce=True,
            )

    def job_ids(self) -> set[str]:
        return {job.id for job in self.scheduler.get_jobs() if job.id.startswith(MANAGED)}

    async def _fire(self) -> None:
        try:
            await self.runtime.run_due()
        except Exception:
            log.exception("running due deadlines failed")
