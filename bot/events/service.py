"""Event behaviour: posting the card, answers by one tap, live counts, calendar files, edits and cancellation.

Edits and cancellations are decisions that send messages: the change, its audit entry and its notifications
are written in one transaction (storage.events), and the outbox delivers them. The card itself is edited
at once, as a reply.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot import authority
from bot.context import Context
from bot.events import ics
from bot.events.card import ANSWER_OF_CODE, answer_label, card_buttons, render_card
from bot.events.notices import cancel_notices, community_of, edit_notices
from bot.events.spec import DEFAULT_DURATION, EventSpec
from bot.formatting import doc
from bot.i18n import translator
from bot.inbound import ChatRef, MessageRef
from bot.replies import CalendarEntry, Edit, Refresh, Reply, Send
from storage import events as store
from storage.tables import Event

if TYPE_CHECKING:
    from bot.engine import Engine


# What /event_edit may change, in the order notifications list the changes
EDITABLE = ("title", "starts_at", "ends_at", "place", "description", "reminder_offsets")


def track_key(event_id: int) -> str:
    return f"event:{event_id}"


# -- creating --------------------------------------------------------------------------------------------


async def create(
    ctx: Context, spec: EventSpec, chat: ChatRef, *, timezone: str | None = None, language: str | None = None
) -> Event:
    """Store the event and post its card in `chat` (whose time zone and language it keeps)."""
    engine = ctx.engine
    event = await store.create_event(
        engine.db,
        title=spec.title,
        place=spec.place,
        description=spec.description,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at or spec.starts_at + DEFAULT_DURATION,
        timezone=timezone or engine.community_timezone(chat.key),
        language=language or engine.community_language(chat.key),
        platform=chat.platform,
        chat_id=chat.chat_id,
        reminder_offsets=spec.reminders,
        created_by=await engine.resident_id(ctx.event),
        actor=ctx.identity,
        now=engine.clock.now(),
    )
    t = translator(event.language)
    counts = store.Counts()
    ctx.send(
        chat,
        render_card(event, counts, t, now=engine.clock.now()),
        card_buttons(event, engine.signer, t),
        track=track_key(event.id or 0),
    )
    ctx.replies.append(calendar_entry(event))
    engine.schedule_changed()
    return event


async def record_card(engine: Engine, event_id: int, ref: MessageRef) -> None:
    await store.record_platform_id(engine.db, event_id, message_id=ref.message_id)


# -- the platform's own calendar ------------------------------------------------------------------------


def calendar_entry(event: Event) -> CalendarEntry:
    """The event as the community's platform calendar should show it (created, updated or cancelled)."""
    return CalendarEntry(
        community=community_of(event),
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        place=event.place,
        description=event.description or "",
        cancelled=event.cancelled_at is not None,
        native_id=event.native_event_id,
        track=f"event-calendar:{event.id}",  # a new entry's id (the first, or one made again)
    )


async def record_calendar_entry(engine: Engine, event_id: int, ref: MessageRef) -> None:
    await store.record_platform_id(engine.db, event_id, native_event_id=ref.message_id)


async def card_edits(engine: Engine, event_id: int) -> list[Reply]:
    event = await store.get_event(engine.db, event_id)
    if event is None or event.message_id is None:
        return []
    t = translator(event.language)
    body = render_card(event, await store.counts(engine.db, event_id), t, now=engine.clock.now())
    return [
        Edit(
            target=MessageRef(community_of(event), event.message_id),
            body=body,
            buttons=card_buttons(event, engine.signer, t),
        )
    ]


# -- residents' taps ------------------------------------------------------------------------------------


async def _usable(ctx: Context, event_id: int) -> Event | None:
    """The event a card button is about, or None after telling the resident why not."""
    t = ctx.t
    event = await store.get_event(ctx.engine.db, event_id)
    if event is None:
        ctx.notice(t._("This event no longer exists."), alert=True)
        return None
    if event.cancelled_at is not None:
        ctx.notice(t._("This event is cancelled."), alert=True)
        return None
    if (event.platform, event.chat_id) != (ctx.chat.platform, ctx.chat.chat_id):
        ctx.notice(t._("This event belongs to another conversation."), alert=True)
        return None
    return event


async def answer(ctx: Context, event_id: int, code: str) -> None:
    t = ctx.t
    choice = ANSWER_OF_CODE.get(code)
    if choice is None:
        ctx.notice(t._("This button is not valid (any more)."), alert=True)
        return
    event = await _usable(ctx, event_id)
    if event is None:
        return
    if ctx.engine.clock.now() >= event.starts_at:
        ctx.notice(t._("This event has already started."), alert=True)
        return
    sender = ctx.event.sender
    before = await store.set_rsvp(ctx.engine.db, event_id, sender.platform, sender.user_id, choice)
    label = answer_label(choice, t)
    if before == choice:
        ctx.notice(t._("You had already answered: {answer}. Tap another button to change it.", answer=label))
        return
    if before is None:
        ctx.notice(t._("Answer recorded: {answer}", answer=label))
    else:
        ctx.notice(t._("Answer changed to: {answer}", answer=label))
    ctx.replies.append(Refresh(key=track_key(event_id)))


async def send_calendar_file(ctx: Context, event_id: int) -> None:
    """The event's .ics, in the resident's private chat when the bot can write there (so a crowd of taps
    does not fill the community with files), else in the chat where the button was pressed."""
    t = ctx.t
    event = await _usable(ctx, event_id)
    if event is None:
        return
    attachment = ics.event_file(event, t, now=ctx.engine.clock.now())
    body = t._(
        "The calendar file of “{title}”: open it to add the event to your calendar.", title=event.title
    )
    if not ctx.chat.is_private and await ctx.can_write_privately():
        ctx.replies.append(Send(to=ctx.private_chat, body=doc(body), attachment=attachment))
        ctx.notice(t._("I sent you the calendar file in our private chat."))
    else:
        ctx.replies.append(Send(to=ctx.chat, body=doc(body), attachment=attachment))
        ctx.notice(t._("Here is the calendar file."))


# -- organizers ------------------------------------------------------------------------------------------


async def resolve(ctx: Context, event_id: int) -> Event | None:
    event = await store.get_event(ctx.engine.db, event_id)
    if event is None:
        ctx.say(ctx.t._("There is no event no. {id}.", id=event_id))
    return event


async def may_manage(ctx: Context, event: Event) -> bool:
    """Global admins and administrators of the community the event belongs to."""
    return await authority.may_manage(ctx, event.community_id, event.created_by)


def _with_length_kept(event: Event, changes: dict[str, object]) -> dict[str, object]:
    """A new start given without an end moves the end along: the event keeps its length."""
    start = changes.get("starts_at")
    if not isinstance(start, datetime) or "ends_at" in changes:
        return changes
    return changes | {"ends_at": start + (event.ends_at - event.starts_at)}


def _told(event: Event, changes: dict[str, object], changed: list[str]) -> list[str]:
    """What notices say changed: the end only when the length changed (moving the event moves its end)."""
    start, end = changes.get("starts_at", event.starts_at), changes.get("ends_at", event.ends_at)
    assert isinstance(start, datetime) and isinstance(end, datetime)
    same_length = end - start == event.ends_at - event.starts_at
    return [name for name in changed if not (name == "ends_at" and same_length)]


async def edit(ctx: Context, event: Event, changes: dict[str, object]) -> Event | None:
    """Apply changes that really change something; notify, re-derive the reminders, edit the card."""
    engine = ctx.engine
    changes = _with_length_kept(event, changes)
    changed = [name for name in EDITABLE if name in changes and getattr(event, name) != changes[name]]
    if not changed:
        return event
    told = _told(event, changes, changed)
    now = engine.clock.now()
    updated = await store.update_event(
        engine.db,
        event.id or 0,
        {name: changes[name] for name in changed},
        actor=ctx.identity,
        now=now,
        build=lambda m, people: edit_notices(
            m, people, told, default_language=engine.settings.default_language, now=now
        ),
    )
    if updated is None:
        return None
    engine.outbox_changed()
    engine.schedule_changed()
    ctx.replies.extend(await card_edits(engine, updated.id or 0))
    ctx.replies.append(calendar_entry(updated))
    return updated


async def cancel(ctx: Context, event: Event) -> Event | None:
    engine = ctx.engine
    now = engine.clock.now()
    cancelled = await store.cancel_event(
        engine.db,
        event.id or 0,
        actor=ctx.identity,
        now=now,
        build=lambda m, people: cancel_notices(
            m, people, default_language=engine.settings.default_language, now=now
        ),
    )
    if cancelled is None:
        return None
    engine.outbox_changed()
    engine.schedule_changed()
    ctx.replies.extend(await card_edits(engine, cancelled.id or 0))
    ctx.replies.append(calendar_entry(cancelled))
    return cancelled
