"""Events and their RSVPs, and the reads and writes reminders need.

Every decision that sends something (an edit's notifications, a cancellation, a reminder) writes its
outbox rows in the transaction of the decision: the caller passes a `build` function that turns the
event as stored and the people concerned into `Outgoing` messages, and this module enqueues them
before committing. What was decided is then either entirely on disk or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from storage import audit
from storage.database import Database, dialect_insert
from storage.outbox import DROPPED, FAILED, PENDING, Outgoing, enqueue
from storage.residents import community_id_in
from storage.tables import (
    Consultation,
    ConsultationDraft,
    ConsultationLaunch,
    Event,
    OutboxMessage,
    Poll,
    PollPost,
    Resident,
    Rsvp,
)

YES, MAYBE, NO = "yes", "maybe", "no"
ANSWERS = (YES, MAYBE, NO)
COMING = (YES, MAYBE)  # who gets reminders and notifications


@dataclass(frozen=True, slots=True)
class Counts:
    yes: int = 0
    maybe: int = 0
    no: int = 0


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone a message may go to privately, with what we know of their private chat."""

    platform: str
    user_id: str
    answer: str | None  # their RSVP, for event attendees
    language: str | None
    reachable: bool  # wrote to the bot in private and no private message failed for good since
    muted: bool  # /reminders off


Build = Callable[[Event, list[Recipient]], Sequence[Outgoing]]


# -- events ---------------------------------------------------------------------------------------------


async def create_event(
    db: Database,
    *,
    title: str,
    place: str,
    description: str,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str,
    language: str,
    platform: str,
    chat_id: str,
    reminder_offsets: str | None,
    created_by: int | None,
    actor: str,
    now: datetime,
) -> Event:
    """Write the event and its audit entry in one transaction."""
    async with db.write() as session:
        event = Event(
            title=title,
            place=place,
            description=description,
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=timezone,
            language=language,
            platform=platform,
            chat_id=chat_id,
            reminder_offsets=reminder_offsets,
            created_at=now,
            created_by=created_by,
            community_id=await community_id_in(session, platform, chat_id),
        )
        session.add(event)
        await session.flush()
        assert event.id is not None
        audit.record(
            session,
            at=now,
            actor=actor,
            action="event.create",
            object_type="event",
            object_id=event.id,
            detail=f"starts {starts_at.isoformat()}, ends {ends_at.isoformat()}, in {platform}:{chat_id}"
            + (f", reminders {reminder_offsets or 'none'}" if reminder_offsets is not None else ""),
        )
    return event


async def get_event(db: Database, event_id: int) -> Event | None:
    async with db.read() as session:
        return await session.get(Event, event_id)


async def record_platform_id(
    db: Database, event_id: int, *, message_id: str | None = None, native_event_id: str | None = None
) -> None:
    """Remember what the platform called the event's card, or its own calendar entry for it."""
    values = {"message_id": message_id, "native_event_id": native_event_id}
    async with db.write() as session:
        await session.exec(
            update(Event)
            .where(col(Event.id) == event_id)
            .values({name: value for name, value in values.items() if value is not None})
        )


async def upcoming(
    db: Database, chats: Iterable[tuple[str, str]] | None, *, now: datetime, with_cancelled: bool = False
) -> list[Event]:
    """Events not started yet, soonest first, in the given communities (None: everywhere)."""
    async with db.read() as session:
        query = select(Event).where(Event.starts_at > now)
        if not with_cancelled:
            query = query.where(col(Event.cancelled_at).is_(None))
        if chats is not None:
            pairs = list(chats)
            if not pairs:
                return []
            query = query.where(
                or_(
                    *(
                        and_(col(Event.platform) == platform, col(Event.chat_id) == chat)
                        for platform, chat in pairs
                    )
                )
            )
        query = query.order_by(col(Event.starts_at), col(Event.id))
        return list((await session.exec(query)).all())


async def update_event(
    db: Database, event_id: int, values: dict[str, object], *, actor: str, now: datetime, build: Build
) -> Event | None:
    """Apply an organizer's edit (a new version), audit it and queue its notifications, in one transaction.
    None when the event is gone or cancelled. Pending reminders for an old start time are dropped: the
    reminders of the new time are new decisions."""
    async with db.write() as session:
        # locked: two simultaneous edits must not both become the same version (their notifications would
        # share dedup keys); SQLite's BEGIN IMMEDIATE already serializes writers
        event = await session.get(Event, event_id, with_for_update=True)
        if event is None or event.cancelled_at is not None:
            return None
        old_start = event.starts_at
        for name, value in values.items():
            setattr(event, name, value)
        event.version += 1
        session.add(event)
        if event.starts_at != old_start:
            await _drop_pending(session, f"event:{event_id}:reminder:")
        audit.record(
            session,
            at=now,
            actor=actor,
            action="event.edit",
            object_type="event",
            object_id=event_id,
            detail=f"version {event.version}: " + ", ".join(sorted(values)),
        )
        await session.flush()
        await enqueue(session, build(event, await _people(session, event_id, COMING)), now=now)
    return event


async def cancel_event(
    db: Database, event_id: int, *, actor: str, now: datetime, build: Build
) -> Event | None:
    """Cancel once: None when already cancelled (or gone). Reminders still waiting in the outbox are dropped,
    so nothing more is sent about it once its cancellation is announced."""
    async with db.write() as session:
        result = await session.exec(
            update(Event)
            .where(col(Event.id) == event_id, col(Event.cancelled_at).is_(None))
            .values(cancelled_at=now, version=Event.version + 1)
        )
        if result.rowcount != 1:
            return None
        event = await session.get(Event, event_id, populate_existing=True)
        assert event is not None
        await _drop_pending(session, f"event:{event_id}:reminder:")
        audit.record(
            session, at=now, actor=actor, action="event.cancel", object_type="event", object_id=event_id
        )
        await enqueue(session, build(event, await _people(session, event_id, COMING)), now=now)
    return event


async def _drop_pending(session: AsyncSession, prefix: str) -> None:
    await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.dedup_key).startswith(prefix),
            col(OutboxMessage.state) == PENDING,
            col(OutboxMessage.worker).is_(None),
        )
        .values(state=DROPPED, last_error="superseded")
    )


# -- RSVPs ------------------------------------------------------------------------------------------------


async def set_rsvp(db: Database, event_id: int, platform: str, user_id: str, answer: str) -> str | None:
    """Record a resident's answer; returns their previous one (None the first time). One row per resident,
    whatever the timing of the taps (an upsert)."""
    assert answer in ANSWERS
    async with db.write() as session:
        previous = await session.get(Rsvp, (event_id, platform, user_id))
        before = previous.answer if previous is not None else None
        if before != answer:
            statement = dialect_insert(db.is_postgres)(Rsvp).values(
                event_id=event_id, platform=platform, user_id=user_id, answer=answer
            )
            statement = statement.on_conflict_do_update(
                index_elements=["event_id", "platform", "user_id"], set_={"answer": answer}
            )
            await session.exec(statement)
    return before


async def counts(db: Database, event_id: int) -> Counts:
    async with db.read() as session:
        rows = await session.exec(
            select(Rsvp.answer, func.count()).where(Rsvp.event_id == event_id).group_by(col(Rsvp.answer))
        )
        found = dict(rows.all())
    return Counts(yes=found.get(YES, 0), maybe=found.get(MAYBE, 0), no=found.get(NO, 0))


async def attendees(db: Database, event_id: int) -> list[Recipient]:
    """Those who answered yes or maybe, with whether a private message can reach them."""
    async with db.read() as session:
        return await _people(session, event_id, COMING)


async def _people(session: AsyncSession, event_id: int, answers: Sequence[str]) -> list[Recipient]:
    query = (
        select(Rsvp, Resident)
        .join(
            Resident,
            and_(col(Resident.platform) == col(Rsvp.platform), col(Resident.user_id) == col(Rsvp.user_id)),
            isouter=True,
        )
        .where(Rsvp.event_id == event_id, col(Rsvp.answer).in_(list(answers)))
        .order_by(col(Rsvp.platform), col(Rsvp.user_id))
    )
    return [
        _person(rsvp.platform, rsvp.user_id, rsvp.answer, resident)
        for rsvp, resident in await _all(session, query)
    ]


async def _all(session: AsyncSession, query: Select[Any, Any]) -> Sequence[Any]:
    """The rows of a select of two entities (a pair per row)."""
    return (await session.exec(query)).all()


def _person(platform: str, user_id: str, answer: str | None, resident: Resident | None) -> Recipient:
    return Recipient(
        platform=platform,
        user_id=user_id,
        answer=answer,
        language=resident.language if resident is not None else None,
        reachable=resident is not None and resident.private_chat_open and not resident.unreachable,
        muted=resident is not None and resident.reminders_muted,
    )


async def rsvps_of(db: Database, platform: str, user_id: str) -> list[tuple[Event, str]]:
    """A resident's answers (for /mydata)."""
    async with db.read() as session:
        query = (
            select(Event, Rsvp.answer)
            .join(Rsvp, col(Rsvp.event_id) == col(Event.id))
            .where(Rsvp.platform == platform, Rsvp.user_id == user_id)
            .order_by(col(Event.starts_at))
        )
        return [(event, answer) for event, answer in await _all(session, query)]


async def has_answered(db: Database, event_id: int, platform: str, user_id: str) -> bool:
    async with db.read() as session:
        return await session.get(Rsvp, (event_id, platform, user_id)) is not None


async def set_muted(db: Database, resident_id: int, muted: bool) -> None:
    async with db.write() as session:
        await session.exec(
            update(Resident).where(col(Resident.id) == resident_id).values(reminders_muted=muted)
        )


# -- reminders --------------------------------------------------------------------------------------------


async def reminder_candidates(db: Database, *, now: datetime) -> list[Event]:
    """Events that may still need a reminder: not cancelled, not started."""
    return await upcoming(db, None, now=now)


async def existing_keys(db: Database, keys: Sequence[str]) -> set[str]:
    """Which of these dedup keys are already in the outbox (whatever their state): decided before."""
    found: set[str] = set()
    async with db.read() as session:
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            query = select(OutboxMessage.dedup_key).where(col(OutboxMessage.dedup_key).in_(chunk))
            found.update((await session.exec(query)).all())
    return found


async def decide_event_reminder(
    db: Database, event_id: int, *, starts_at: datetime, now: datetime, build: Build
) -> int:
    """Queue one reminder of an event, if it still stands: not cancelled, not moved since the caller
    looked, not started. Returns the number of rows offered to the outbox."""
    async with db.write() as session:
        event = await session.get(Event, event_id)
        if (
            event is None
            or event.cancelled_at is not None
            or event.starts_at != starts_at
            or now >= event.starts_at
        ):
            return 0
        messages = build(event, await _people(session, event_id, COMING))
        await enqueue(session, messages, now=now)
        return len(messages)


@dataclass(frozen=True, slots=True)
class Closing:
    """A poll or a consultation that closes at a given time, and where it was posted or launched."""

    kind: str  # "poll" or "consultation"
    id: int
    title: str
    slug: str  # consultations only
    closes_at: datetime
    created_at: datetime
    opens_at: datetime | None
    timezone: str
    language: str
    chats: tuple[tuple[str, str], ...]  # (platform, chat_id)


async def open_closings(db: Database, *, now: datetime) -> list[Closing]:
    """Open polls and consultations with a closing date still ahead, with where each was posted (a few
    queries in all, however many there are)."""
    async with db.read() as session:
        polls = (
            await session.exec(select(Poll).where(col(Poll.closed_at).is_(None), col(Poll.closes_at) > now))
        ).all()
        consultations = (
            await session.exec(
                select(Consultation).where(
                    col(Consultation.closed_at).is_(None), Consultation.closes_at > now
                )
            )
        ).all()
        posts: dict[int, list[tuple[str, str]]] = {}
        poll_ids = [poll.id for poll in polls if poll.id is not None]
        if poll_ids:
            query = (
                select(PollPost).where(col(PollPost.poll_id).in_(poll_ids)).order_by(col(PollPost.posted_at))
            )
            for post in (await session.exec(query)).all():
                posts.setdefault(post.poll_id, []).append((post.platform, post.chat_id))
        launches: dict[int, list[tuple[str, str]]] = {}
        consultation_ids = [c.id for c in consultations if c.id is not None]
        if consultation_ids:
            launch_query = select(ConsultationLaunch).where(
                col(ConsultationLaunch.consultation_id).in_(consultation_ids)
            )
            for launch in (await session.exec(launch_query)).all():
                launches.setdefault(launch.consultation_id, []).append((launch.platform, launch.chat_id))
    closings = [
        Closing(
            "poll",
            poll.id,
            poll.question,
            "",
            poll.closes_at,
            poll.created_at,
            None,
            poll.timezone,
            poll.language,
            tuple(posts.get(poll.id, ())),
        )
        for poll in polls
        if poll.id is not None and poll.closes_at is not None
    ]
    closings.extend(
        Closing(
            "consultation",
            c.id,
            c.title,
            c.slug,
            c.closes_at,
            c.created_at,
            c.opens_at,
            c.timezone,
            "",
            tuple(launches.get(c.id, ())),
        )
        for c in consultations
        if c.id is not None
    )
    return closings


async def decide_closing_reminder(
    db: Database, closing: Closing, *, now: datetime, build: Callable[[list[Recipient]], Sequence[Outgoing]]
) -> int:
    """Queue a poll's or a consultation's closing reminder if it is still open and still ahead. For a
    consultation, `build` receives the residents with a draft (started, not submitted)."""
    async with db.write() as session:
        row: Poll | Consultation | None = await session.get(
            Poll if closing.kind == "poll" else Consultation, closing.id
        )
        if row is None or row.closed_at is not None or row.closes_at is None or now >= row.closes_at:
            return 0
        people: list[Recipient] = []
        if closing.kind == "consultation":
            query = (
                select(ConsultationDraft, Resident)
                .join(
                    Resident,
                    and_(
                        col(Resident.platform) == col(ConsultationDraft.platform),
                        col(Resident.user_id) == col(ConsultationDraft.user_id),
                    ),
                    isouter=True,
                )
                .where(ConsultationDraft.consultation_id == closing.id)
                .order_by(col(ConsultationDraft.platform), col(ConsultationDraft.user_id))
            )
            people = [_person(d.platform, d.user_id, None, r) for d, r in await _all(session, query)]
        messages = build(people)
        await enqueue(session, messages, now=now)
        return len(messages)


@dataclass(frozen=True, slots=True)
class Undelivered:
    """A message about an event that a platform refused for good: which one (its outbox key), and why."""

    key: str
    reason: str

    @property
    def kind(self) -> str:
        """ "reminder", "edit" or "cancel" (keys read event:ID:KIND:…)."""
        return self.key.split(":")[2]

    @property
    def offset(self) -> str:
        """A reminder's offset label ("24h")."""
        return self.key.split(":")[3] if self.kind == "reminder" else ""

    @property
    def in_community(self) -> bool:
        return self.key.endswith(":community")


async def failures(db: Database, event_id: int, *, limit: int = 500) -> list[Undelivered]:
    """Messages about this event the platforms refused for good, oldest first."""
    async with db.read() as session:
        query = (
            select(OutboxMessage.dedup_key, OutboxMessage.last_error)
            .where(
                col(OutboxMessage.dedup_key).startswith(f"event:{event_id}:"), OutboxMessage.state == FAILED
            )
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
        rows = (await session.exec(query)).all()
        return [Undelivered(key, reason or "") for key, reason in rows]
