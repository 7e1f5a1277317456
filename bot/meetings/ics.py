"""Calendar files (RFC 5545, with the icalendar library) for one event or a community's upcoming events.

The start carries its time zone (TZID, with the matching VTIMEZONE), so a calendar in another zone shows the
right instant and a daylight-saving change is the calendar's business, not ours. The UID is stable per event
and SEQUENCE is the event's version, so importing the file again after an edit or a cancellation updates
the entry instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

import icalendar

from bot.i18n import Translator
from bot.meetings.card import when_text
from bot.replies import Attachment
from storage.tables import Meeting

MEDIA_TYPE = "text/calendar"
PRODID = "-//civicbot//civicbot events//FR"
ALT_ITEMS = 5


def uid(meeting: Meeting) -> str:
    """Stable for the life of the event; the creation instant keeps two databases' event 1 apart."""
    return f"event-{meeting.id}-{meeting.created_at:%Y%m%dT%H%M%S}@civicbot"


def _component(meeting: Meeting, *, now: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid(meeting))
    event.add("dtstamp", now)
    event.add("dtstart", meeting.starts_at.astimezone(ZoneInfo(meeting.timezone)))
    event.add("summary", meeting.title)
    event.add("location", meeting.place)
    if meeting.description:
        event.add("description", meeting.description)
    event.add("sequence", meeting.version)
    event.add("status", "CANCELLED" if meeting.cancelled_at is not None else "CONFIRMED")
    return event


def calendar_bytes(meetings: Sequence[Meeting], *, now: datetime) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    for meeting in meetings:
        calendar.add_component(_component(meeting, now=now))
    if meetings:  # VTIMEZONE rules for the years that matter, not 1970-2038
        first = min(m.starts_at for m in meetings).year - 1
        last = max(m.starts_at for m in meetings).year + 2
        calendar.add_missing_timezones(first_date=date(first, 1, 1), last_date=date(last, 1, 1))
    return bytes(calendar.to_ical())


def event_file(meeting: Meeting, t: Translator, *, now: datetime) -> Attachment:
    alt = t._(
        "Calendar file: {title}, {when}, {place}.",
        title=meeting.title,
        when=when_text(meeting, t, now=now),
        place=meeting.place,
    )
    return Attachment(f"event-{meeting.id}.ics", calendar_bytes([meeting], now=now), MEDIA_TYPE, alt)


def calendar_file(meetings: Sequence[Meeting], t: Translator, *, now: datetime, filename: str) -> Attachment:
    """One file for several events; the text alternative names the first few (a caption has to stay short)."""
    items = "; ".join(f"{m.title}, {when_text(m, t, now=now)}, {m.place}" for m in meetings[:ALT_ITEMS])
    if len(meetings) > ALT_ITEMS:
        items += "; …"
    alt = t.n_(
        "Calendar file with {count} event: {items}.",
        "Calendar file with {count} events: {items}.",
        len(meetings),
        items=items,
    )
    return Attachment(filename, calendar_bytes(meetings, now=now), MEDIA_TYPE, alt)
