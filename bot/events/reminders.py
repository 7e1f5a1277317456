"""Which reminders are due, derived from the database, and deciding them into the outbox.

Nothing records "reminder sent" but the outbox itself: a reminder is decided once its community row (the
marker) is in the outbox, whatever became of it. So the scheduler's reminder jobs are derived like the
deadline jobs: every reminder still useful and not decided yet, at its time. A reminder whose time passed
while the process was down is decided as soon as it runs again, but only while still useful: never once
the event has started (or the poll has closed); the dispatcher also drops a row still waiting then
(`not_after`). Deciding twice is harmless: each message has a dedup key.

Offsets of whole days are calendar days in the event's time zone ("24h" before Sunday 19:00 is Saturday
19:00, even across a daylight-saving change); shorter ones are elapsed time ("1h" before 19:00 is 18:00).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.events import closings
from bot.events.notices import reminder_notices, stamp
from bot.events.offsets import OffsetError, label, parse_offsets
from storage import events as store
from storage.tables import Event

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)
DAY = timedelta(days=1)


def reminder_time(start: datetime, offset: timedelta, timezone: str) -> datetime:
    """When the reminder `offset` before `start` goes out (see the module's rule on whole days)."""
    if offset % DAY:
        return start - offset
    zone = ZoneInfo(timezone)
    wall = start.astimezone(zone).replace(tzinfo=None) - offset
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Planned:
    """One reminder that is still to be decided."""

    job_id: str
    at: datetime
    markers: tuple[str, ...]  # dedup keys whose presence in the outbox means "decided"
    offset: str
    event: Event | None = None
    closing: store.Closing | None = None


def _offsets(text: str) -> tuple[timedelta, ...]:
    return parse_offsets(text) if text.strip() else ()


def setting_offsets(text: str, name: str) -> tuple[timedelta, ...]:
    """A setting's offsets; a wrong setting stops the scheduler with a message naming it."""
    try:
        return _offsets(text)
    except OffsetError:
        raise ValueError(f"CIVICBOT_{name.upper()}={text!r} is not a list of durations like 24h,1h") from None


def _event_plans(event: Event, default: tuple[timedelta, ...]) -> list[Planned]:
    try:
        offsets = default if event.reminder_offsets is None else _offsets(event.reminder_offsets)
    except OffsetError:
        log.warning("event %s has unreadable reminder offsets %r", event.id, event.reminder_offsets)
        return []
    plans = []
    for offset in offsets:
        at = reminder_time(event.starts_at, offset, event.timezone)
        if at < event.created_at:
            continue  # announced too late for this reminder: the announcement itself is enough
        name = label(offset)
        marker = f"event:{event.id}:reminder:{name}:{stamp(event.starts_at)}:community"
        plans.append(Planned(f"event-reminder:{event.id}:{name}", at, (marker,), name, event=event))
    return plans


def _closing_plans(closing: store.Closing, before: tuple[timedelta, ...]) -> list[Planned]:
    plans = []
    for offset in before:
        at = reminder_time(closing.closes_at, offset, closing.timezone)
        if at < closing.created_at or (closing.opens_at is not None and at < closing.opens_at):
            continue
        if not closing.chats:
            continue  # posted nowhere: nobody to remind
        name = label(offset)
        markers = tuple(
            closings.community_key(closing, platform, chat, name) for platform, chat in closing.chats
        )
        job = f"{closing.kind}-reminder:{closing.id}:{name}"
        plans.append(Planned(job, at, markers, name, closing=closing))
    return plans


async def planned(engine: Engine) -> list[Planned]:
    """Every reminder still useful and not decided yet, per the database."""
    now = engine.clock.now()
    settings = engine.settings
    plans: list[Planned] = []
    default = setting_offsets(settings.reminder_offsets, "reminder_offsets")
    before = setting_offsets(settings.poll_reminder_before, "poll_reminder_before")
    for event in await store.reminder_candidates(engine.db, now=now):
        plans.extend(_event_plans(event, default))
    for closing in await store.open_closings(engine.db, now=now):
        plans.extend(_closing_plans(closing, before))
    decided = await store.existing_keys(engine.db, [m for plan in plans for m in plan.markers])
    return [plan for plan in plans if not all(m in decided for m in plan.markers)]


async def jobs(engine: Engine) -> dict[str, datetime]:
    """The scheduler's reminder jobs: one per reminder to decide, at its time (past ones run at once)."""
    return {plan.job_id: plan.at for plan in await planned(engine)}


async def decide_due(engine: Engine) -> int:
    """Queue every reminder whose time has come; returns how many messages were offered to the outbox."""
    now = engine.clock.now()
    default_language = engine.settings.default_language
    queued = 0
    for plan in await planned(engine):
        if plan.at > now:
            continue
        if plan.event is not None:
            event, offset = plan.event, plan.offset
            queued += await store.decide_event_reminder(
                engine.db,
                event.id or 0,
                starts_at=event.starts_at,
                now=now,
                build=partial(reminder_notices, offset=offset, default_language=default_language, now=now),
            )
        elif plan.closing is not None:
            closing, offset = plan.closing, plan.offset
            queued += await store.decide_closing_reminder(
                engine.db,
                closing,
                now=now,
                build=partial(closings.reminder_messages, engine, closing, offset=offset, now=now),
            )
    if queued:
        engine.outbox_changed()
        engine.schedule_changed()
    return queued
