"""The organizers' reminders of an official answer owed, derived from the database (never a second record).

A proposal that reached its threshold and has no answer yet is reminded `CIVICBOT_PROPOSAL_REMINDER_DAYS`
before its answer is due (when that is after the threshold was reached), on the day it is due, then every
as many days until it is answered. The proposal counts the reminders decided (`proposal.reminders`), in the
transaction that queues them: the next one's time is derived from that count, so the scheduler's job
survives a restart, and one that fell due while the process was down goes out at the next start — one
message for all the reminders missed, never a burst.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.proposals import notices
from storage import proposals as store
from storage.tables import Proposal

if TYPE_CHECKING:
    from bot.engine import Engine


def reminder_at(proposal: Proposal, interval: timedelta, number: int) -> datetime | None:
    """When reminder `number` (from 0) of the answer this proposal owes goes out."""
    due, reached = proposal.answer_due_at, proposal.threshold_reached_at
    if due is None or reached is None:
        return None
    if due - interval > reached:  # early enough for a reminder before the day
        return due - interval if number == 0 else due + (number - 1) * interval
    return due + number * interval


def _interval(engine: Engine) -> timedelta:
    return timedelta(days=engine.settings.proposal_reminder_days)


async def jobs(engine: Engine) -> dict[str, datetime]:
    """One job per proposal owed an answer: its next reminder (a past one runs at once)."""
    interval = _interval(engine)
    wanted = {}
    for proposal in await store.owed(engine.db):
        at = reminder_at(proposal, interval, proposal.reminders)
        if at is not None:
            wanted[f"proposal-reminder:{proposal.id}:{proposal.reminders}"] = at
    return wanted


def _due_count(proposal: Proposal, interval: timedelta, now: datetime) -> int:
    """How many of its reminders have come by `now`."""
    count = proposal.reminders
    while (at := reminder_at(proposal, interval, count)) is not None and at <= now:
        count += 1
    return count


async def run_due(engine: Engine) -> int:
    """Queue the reminders whose time has come; returns how many messages were offered to the outbox."""
    now = engine.clock.now()
    interval = _interval(engine)
    queued = 0
    for proposal in await store.owed(engine.db):
        due = _due_count(proposal, interval, now)
        if due > proposal.reminders:
            queued += await store.decide_reminder(
                engine.db,
                proposal.id or 0,
                proposal.reminders,
                due,
                now=now,
                build=notices.reminder(engine, due - 1),
            )
    if queued:
        engine.outbox_changed()
    return queued
