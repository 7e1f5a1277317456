"""/event, /events, /event_edit, /event_cancel, /calendar, /tz and /reminders; the event card's buttons."""

from __future__ import annotations

from zoneinfo import ZoneInfo, available_timezones

from bot import authority
from bot.context import Context
from bot.dates import format_when
from bot.events import guided, ics, service
from bot.events.card import card_buttons, counts_line, render_card, when_text
from bot.events.offsets import parse_offsets, spoken
from bot.events.reminders import reminder_time, setting_offsets
from bot.events.spec import EventSpecError, parse_changes, parse_event_command, split_id, usage
from bot.formatting import Rich, b, doc, i, p, ul
from bot.i18n import Translator
from bot.replies import Send
from storage import events as store
from storage import residents as resident_store
from storage.tables import Event

# -- /event ------------------------------------------------------------------------------------------------


async def event(ctx: Context, args: str) -> None:
    t = ctx.t
    engine = ctx.engine
    if not args.strip():
        if ctx.chat.is_private:
            await guided.begin(ctx)
        else:
            ctx.say(usage(t))
        return
    timezone = engine.settings.timezone if ctx.chat.is_private else engine.community_timezone(ctx.chat.key)
    try:
        spec = parse_event_command(args, now=engine.clock.now(), timezone=timezone, t=t)
    except EventSpecError as error:
        ctx.say(str(error))
        return
    if ctx.chat.is_private:
        await guided.choose_community(ctx, spec)
        return
    await service.create(ctx, spec, ctx.chat)


# -- /event_edit and /event_cancel -------------------------------------------------------------------------


async def _managed(ctx: Context, args: str, command: str) -> tuple[Event, str] | None:
    """The event named first in `args` if this person may change it, and the rest of `args`."""
    t = ctx.t
    try:
        event_id, rest = split_id(args, t, command)
    except EventSpecError as error:
        ctx.say(str(error))
        return None
    event = await service.resolve(ctx, event_id)
    if event is None:
        return None
    if event.cancelled_at is not None:
        ctx.say(
            t._("Event no. {id} is already cancelled.", id=event.id)
            if command == "event_cancel"
            else t._("Event no. {id} is cancelled; it can no longer be changed.", id=event.id)
        )
        return None
    if ctx.engine.clock.now() >= event.starts_at:
        ctx.say(t._("Event no. {id} has already started; it can no longer be changed.", id=event.id))
        return None
    return event, rest


def _in_its_community(ctx: Context, event: Event) -> bool:
    return not ctx.chat.is_private and (ctx.chat.platform, ctx.chat.chat_id) == (
        event.platform,
        event.chat_id,
    )


async def event_edit(ctx: Context, args: str) -> None:
    t = ctx.t
    found = await _managed(ctx, args, "event_edit")
    if found is None:
        return
    event, rest = found
    try:
        changes = parse_changes(
            rest, now=ctx.engine.clock.now(), timezone=event.timezone, starts_at=event.starts_at, t=t
        )
    except EventSpecError as error:
        ctx.say(str(error))
        return
    version = event.version
    updated = await service.edit(ctx, event, changes)
    if updated is None:
        ctx.say(t._("Event no. {id} is cancelled; it can no longer be changed.", id=event.id))
    elif updated.version == version:
        ctx.say(t._("Nothing changed: event no. {id} already says that.", id=event.id))
    elif not _in_its_community(ctx, event):
        ctx.say(t._("Event no. {id} is updated; those who answered are told.", id=event.id))


async def event_cancel(ctx: Context, args: str) -> None:
    t = ctx.t
    found = await _managed(ctx, args, "event_cancel")
    if found is None:
        return
    event, _ = found
    cancelled = await service.cancel(ctx, event)
    if cancelled is None:
        ctx.say(t._("Event no. {id} is already cancelled.", id=event.id))
    elif not _in_its_community(ctx, event):
        ctx.say(t._("Event no. {id} is cancelled; those who answered are told.", id=event.id))


# -- /events -----------------------------------------------------------------------------------------------


async def _visible_chats(ctx: Context) -> list[tuple[str, str]] | None:
    """Whose events an organizer sees in private: every community for a global admin (None), else theirs."""
    scope = await authority.organizer_scope(ctx)
    return None if scope.everywhere else [(c.platform, c.chat_id) for c in scope.communities]


async def _line(ctx: Context, event: Event) -> list[str]:
    t = ctx.t
    counts = await store.counts(ctx.engine.db, event.id or 0)
    when = when_text(event, t, now=ctx.engine.clock.now())
    return [
        t._("no. {id}", id=event.id),
        f" — {event.title} — {when} — {event.place}\n",
        counts_line(counts, t),
    ]


async def events(ctx: Context, args: str) -> None:
    t = ctx.t
    engine = ctx.engine
    argument = args.strip().lstrip("#")
    if argument:
        if not argument.isdigit() or len(argument) > 12:
            ctx.say(t._("Give an event number, for example /events 3."))
            return
        event = await service.resolve(ctx, int(argument))
        if event is not None:
            # the card's buttons work in the event's own conversation only: elsewhere it goes without them
            here = (event.platform, event.chat_id) == (ctx.chat.platform, ctx.chat.chat_id)
            buttons = card_buttons(event, engine.signer, t) if here else ()
            ctx.say(await _details(ctx, event, buttons=bool(buttons)), buttons)
        return
    now = engine.clock.now()
    if not ctx.chat.is_private:
        found = await store.upcoming(engine.db, [(ctx.chat.platform, ctx.chat.chat_id)], now=now)
        title = t._("Upcoming events")
        empty = t._("No upcoming event here.")
    elif await engine.is_organizer(ctx):
        found = await store.upcoming(engine.db, await _visible_chats(ctx), now=now)
        title = t._("Upcoming events in your communities")
        empty = t._("No upcoming event in your communities.")
    else:
        sender = ctx.event.sender
        found = [
            m
            for m, answer in await store.rsvps_of(engine.db, sender.platform, sender.user_id)
            if answer in store.COMING and m.cancelled_at is None and m.starts_at > now
        ]
        title = t._("The events you are going to")
        empty = t._("You have not said you are coming to any upcoming event. Send /events in a community.")
    if not found:
        ctx.say(empty)
        return
    items = [await _line(ctx, m) for m in found[:30]]
    ctx.say(
        doc(
            p(b(title)),
            ul(*items),
            p(i(t._("Details: /events NUMBER. In your calendar: /calendar."))),
        )
    )


async def _details(ctx: Context, event: Event, *, buttons: bool) -> Rich:
    """The card, and for those who manage it: the reminders, who cannot be reminded, delivery failures."""
    t = ctx.t
    engine = ctx.engine
    now = engine.clock.now()
    body = render_card(event, await store.counts(engine.db, event.id or 0), t, now=now, buttons=buttons)
    if not await service.may_manage(ctx, event) or event.cancelled_at is not None:
        return body
    default = setting_offsets(engine.settings.reminder_offsets, "reminder_offsets")
    offsets = default if event.reminder_offsets is None else parse_offsets(event.reminder_offsets or "none")
    lines = []
    for offset in offsets:
        at = reminder_time(event.starts_at, offset, event.timezone)
        when = format_when(at, tz=event.timezone, language=t.language, now=now)
        if at < event.created_at:
            lines.append(
                t._(
                    "{offset} before: skipped, the event was announced later",
                    offset=spoken(offset, t.language),
                )
            )
        elif at <= now:
            lines.append(t._("{offset} before: sent {when}", offset=spoken(offset, t.language), when=when))
        else:
            lines.append(t._("{offset} before: {when}", offset=spoken(offset, t.language), when=when))
    body += doc(p(b(t._("Reminders"))), ul(*lines) if lines else p(t._("No reminders.")))
    people = await store.attendees(engine.db, event.id or 0)
    unreachable = sum(1 for person in people if not person.reachable)
    muted = sum(1 for person in people if person.reachable and person.muted)
    facts = []  # (a count of nobody says nothing: « 0 habitant … ne peut pas » reads as a fault)
    if unreachable:
        facts.append(
            t.n_(
                "{count} resident who answered cannot be reminded privately (no private chat with me).",
                "{count} residents who answered cannot be reminded privately (no private chat with me).",
                unreachable,
            )
        )
    if muted:
        facts.append(
            t.n_(
                "{count} resident turned private reminders off.",
                "{count} residents turned private reminders off.",
                muted,
            )
        )
    if facts:
        body += doc(ul(*facts))
    failed = await store.failures(engine.db, event.id or 0)
    return body + delivery_failures(failed, t) if failed else body


def delivery_failures(failed: list[store.Undelivered], t: Translator) -> Rich:
    """Each message meant for the community that could not be delivered, with the platform's reason (the
    organizer can act on it: the bot was removed or lost a right); private ones are counted, since their
    residents are now among those who cannot be reminded."""
    lines: list[str] = [
        t._("In the community, {what}: {reason}", what=_what(failure, t), reason=failure.reason[:150])
        for failure in failed
        if failure.in_community
    ]
    private = sum(1 for failure in failed if not failure.in_community)
    if private:
        lines.append(
            t.n_(
                "{count} private message could not be delivered (the resident blocked me, left, or closed "
                "private messages).",
                "{count} private messages could not be delivered (the residents blocked me, left, or closed "
                "private messages).",
                private,
            )
        )
    return doc(p(b(t._("Not delivered"))), ul(*lines))


def _what(failure: store.Undelivered, t: Translator) -> str:
    if failure.kind == "reminder":
        return t._("the reminder {offset} before", offset=spoken(failure.offset, t.language))
    if failure.kind == "edit":
        return t._("the notice of a change")
    return t._("the notice of the cancellation")


# -- /calendar ---------------------------------------------------------------------------------------------


async def calendar(ctx: Context, args: str) -> None:
    t = ctx.t
    engine = ctx.engine
    now = engine.clock.now()
    if ctx.chat.is_private:
        sender = ctx.event.sender
        found = [
            m
            for m, answer in await store.rsvps_of(engine.db, sender.platform, sender.user_id)
            if answer in store.COMING and m.starts_at > now
        ]
        if not found:
            ctx.say(
                t._("You have not said you are coming to any upcoming event. Send /calendar in a community.")
            )
            return
        body = t._("The events you are going to, for your calendar.")
    else:
        found = await store.upcoming(
            engine.db, [(ctx.chat.platform, ctx.chat.chat_id)], now=now, with_cancelled=True
        )
        if not found:
            ctx.say(t._("No upcoming event here."))
            return
        body = t._("The upcoming events of this community, for your calendar.")
    attachment = ics.calendar_file(found, t, now=now, filename="calendar.ics")
    ctx.replies.append(Send(to=ctx.chat, body=doc(body), attachment=attachment))


# -- /tz ---------------------------------------------------------------------------------------------------


def _zone_named(name: str) -> str | None:
    """The IANA name, whatever its case ("europe/paris" → "Europe/Paris"), or None."""
    if "/" not in name and name.upper() != "UTC":
        return None
    wanted = name.casefold()
    match = next((zone for zone in available_timezones() if zone.casefold() == wanted), None)
    if match is None:
        return None
    ZoneInfo(match)
    return match


async def tz(ctx: Context, args: str) -> None:
    t = ctx.t
    engine = ctx.engine
    if ctx.chat.is_private:
        ctx.say(
            t._("Send /tz in the community whose time zone you want to set, for example /tz Europe/Paris.")
        )
        return
    name = args.strip()
    current = engine.community_timezone(ctx.chat.key)
    if not name:
        ctx.say(t._("This community's time zone is {zone}. To change it: /tz Europe/Paris.", zone=current))
        return
    zone = _zone_named(name[:64])
    if zone is None:
        ctx.say(
            t._(
                "“{zone}” is not a time zone I know. Write it like Europe/Paris, America/Martinique or "
                "Indian/Reunion.",
                zone=name[:64],
            )
        )
        return
    now = engine.clock.now()
    community = await resident_store.ensure_community(
        engine.db, platform=ctx.chat.platform, chat_id=ctx.chat.chat_id, title="", now=now
    )
    await resident_store.update_community(
        engine.db, community.id or 0, actor=ctx.identity, now=now, timezone=zone
    )
    engine.refresh_community(ctx.chat.key, community.language, zone)
    local = format_when(now, tz=zone, language=t.language)
    ctx.say(
        t._(
            "This community's time zone is now {zone} (it is {now} there). Dates typed from now on are read "
            "in it; events already announced keep their time.",
            zone=zone,
            now=local,
        )
    )


# -- /reminders --------------------------------------------------------------------------------------------


async def reminders(ctx: Context, args: str) -> None:
    t = ctx.t
    engine = ctx.engine
    choice = args.strip().lower()
    resident = await engine.resident(ctx.event)
    if choice in ("off", "non", "no", "stop", "arret", "arrêt"):
        await store.set_muted(engine.db, resident.id or 0, True)
        ctx.say(t._("Private reminders are off. Send /reminders on to get them again."))
    elif choice in ("on", "oui", "yes"):
        await store.set_muted(engine.db, resident.id or 0, False)
        ctx.say(t._("Private reminders are on: I will remind you of the events you are coming to."))
    elif not choice:
        ctx.say(
            t._("Private reminders are off. Send /reminders on to get them again.")
            if resident.reminders_muted
            else t._("Private reminders are on. Send /reminders off to stop them.")
        )
    else:
        ctx.say(t._("Send /reminders off to stop private reminders, /reminders on to get them again."))


# -- the card's buttons and the guided flow's ---------------------------------------------------------------


async def on_button(ctx: Context, fields: list[str]) -> None:
    """`m.r.<id>.<y|m|n>` answers, `m.i.<id>` asks for the calendar file, `m.g.…` is the guided flow's."""
    kind = fields[0] if fields else ""
    if kind == "g":
        await guided.on_button(ctx, fields[1:])
    elif kind == "r" and len(fields) == 3 and fields[1].isdigit():
        await service.answer(ctx, int(fields[1]), fields[2])
    elif kind == "i" and len(fields) == 2 and fields[1].isdigit():
        await service.send_calendar_file(ctx, int(fields[1]))
    else:
        ctx.notice(ctx.t._("This button is not valid (any more)."), alert=True)
