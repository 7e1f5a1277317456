"""Calendar files (RFC 5545, with the icalendar library) for one event or a community's upcoming events.

The start and the end carry their time zone (TZID, with the matching VTIMEZONE), so a calendar in another zone
shows the right instants and a daylight-saving change is the calendar's business, not ours. The UID is stable
per event and SEQUENCE is the event's version, so importing the file again after an edit or a cancellation
updates the entry instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

import icalendar

from bot.events.card import when_text
from bot.i18n import Translator
from bot.replies import Attachment
from storage.tables import Event

MEDIA_TYPE = "text/calendar"
PRODID = "-//civicbot//civicbot events//FR"
ALT_ITEMS = 5


def uid(event: Event) -> str:
    """Stable for the life of the event; the creation instant keeps two databases' event 1 apart."""
    return f"event-{event.id}-{event.created_at:%Y%m%dT%H%M%S}@civicbot"


def _component(event: Event, *, now: datetime) -> icalendar.Event:
    component = icalendar.Event()
    component.add("uid", uid(event))
    component.add("dtstamp", now)
    component.add("dtstart", event.starts_at.astimezone(ZoneInfo(event.timezone)))
    component.add("dtend", event.ends_at.astimezone(ZoneInfo(event.timezone)))
    component.add("summary", event.title)
    component.add("location", event.place)
    if event.description:
        component.add("description", event.description)
    component.add("sequence", event.version)
    component.add("status", "CANCELLED" if event.cancelled_at is not None else "CONFIRMED")
    return component


def calendar_bytes(events: Sequence[Event], *, now: datetime) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    for event in events:
        calendar.add_component(_component(event, now=now))
    if events:  # VTIMEZONE rules for the years that matter, not 1970-2038
        first = min(m.starts_at for m in events).year - 1
        last = max(m.starts_at for m in events).year + 2
        calendar.add_missing_timezones(first_date=date(first, 1, 1), last_date=date(last, 1, 1))
    return bytes(calendar.to_ical())


def event_file(event: Event, t: Translator, *, now: datetime) -> Attachment:
    alt = t._(
        "Calendar file: {title}, {when}, {place}.",
        title=event.title,
        when=when_text(event, t, now=now),
        place=event.place,
    )
    return Attachment(f"event-{event.id}.ics", calendar_bytes([event], now=now), MEDIA_TYPE, alt)


def calendar_file(events: Sequence[Event], t: Translator, *, now: datetime, filename: str) -> Attachment:
    """One file for several events; the text alternative names the first few (a caption has to stay short)."""
    items = "; ".join(f"{m.title}, {when_text(m, t, now=now)}, {m.place}" for m in events[:ALT_ITEMS])
    if len(events) > ALT_ITEMS:
        items += "; …"
    alt = t.n_(
        "Calendar file with {count} event: {items}.",
        "Calendar file with {count} events: {items}.",
        len(events),
        items=items,
    )
    return Attachment(filename, calendar_bytes(events, now=now), MEDIA_TYPE, alt)
