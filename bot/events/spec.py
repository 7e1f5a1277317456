"""What an organizer asks for, checked before anything is stored:
`/event Title | WHEN | PLACE [| description]`, and the changes of `/event_edit`.

WHEN is a start ("jeudi 19h"), or a start and the time it ends ("jeudi 19h-21h", "jeudi 19h à 21h",
"Thursday 7pm to 9pm"), that time being on the start's day (midnight, "19h-0h", is the end of that day). An
event without an end lasts DEFAULT_DURATION; one that ends on a later day gets its end with
`/event_edit N end WHEN`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.dates import WhenError, format_span, parse_when
from bot.events.offsets import OffsetError, labels, parse_offsets
from bot.i18n import Translator
from bot.options import Flags, leading
from bot.text import TextRefused, clean

MAX_TITLE = 200
MAX_PLACE = 200
MAX_DESCRIPTION = 1000
FLAG_REMINDERS = ("--reminders", "--reminder", "--rappels", "--rappel")
FLAGS = Flags({"reminders": FLAG_REMINDERS})
NO_DESCRIPTION = {"-", "none", "aucune", "aucun", "sans", "no", "non"}
_EXPLICIT_2359 = re.compile(r"23\s*[h:.]\s*59")
# A constant, not a setting: an event's end is stored with it once decided (migration 0007 gave the events
# announced before the same two hours), and an organizer who wants another length writes it ("19h-21h").
DEFAULT_DURATION = timedelta(hours=2)
# a time of day, as people write one after a day or alone ("19h", "19 h 30", "18:30", "7pm", "midi")
_TIME = (
    r"(?:\d{1,2}\s*h\s*(?:\d{2})?|\d{1,2}[:.]\d{2}"
    r"|\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|midi|noon)"
)
_UNTIL = r"(?:-|–|—|à|a|to|until|till|jusqu'à|jusqu’à)"
_SPAN = re.compile(rf"^(?P<start>.*?{_TIME})\s*{_UNTIL}\s*(?P<end>{_TIME})$", re.IGNORECASE)
_TIME_ALONE = re.compile(rf"^\s*{_TIME}\s*$", re.IGNORECASE)

# /event_edit field names, French and English, → the column they change
FIELDS = {
    "title": "title",
    "titre": "title",
    "when": "starts_at",
    "date": "starts_at",
    "quand": "starts_at",
    "start": "starts_at",
    "debut": "starts_at",
    "début": "starts_at",
    "end": "ends_at",
    "ends": "ends_at",
    "until": "ends_at",
    "fin": "ends_at",
    "place": "place",
    "where": "place",
    "lieu": "place",
    "description": "description",
    "desc": "description",
    "reminders": "reminder_offsets",
    "rappels": "reminder_offsets",
}


class EventSpecError(ValueError):
    """A localized explanation of what is wrong with the request; nothing was stored."""


@dataclass
class EventSpec:
    title: str
    starts_at: datetime
    place: str
    description: str = ""
    ends_at: datetime | None = None  # None: DEFAULT_DURATION after the start
    reminders: str | None = None  # canonical offsets ("24h,1h", "" for none); None = the default
    given: set[str] = field(default_factory=set)  # which columns the organizer wrote (for edits)


def _text(value: str, t: Translator, *, multiline: bool = False) -> str:
    try:
        return clean(value, multiline=multiline)
    except TextRefused as refused:
        raise EventSpecError(refused.explain(t)) from None


def check_title(text: str, t: Translator) -> str:
    title = _text(text, t)
    if not title:
        raise EventSpecError(t._("The event has no title."))
    if len(title) > MAX_TITLE:
        raise EventSpecError(
            t._(
                "The title is {length} characters long; the limit is {limit}.",
                length=len(title),
                limit=MAX_TITLE,
            )
        )
    return title


def check_place(text: str, t: Translator) -> str:
    place = _text(text, t)
    if not place:
        raise EventSpecError(t._("Say where the event takes place."))
    if len(place) > MAX_PLACE:
        raise EventSpecError(
            t._(
                "The place is {length} characters long; the limit is {limit}.",
                length=len(place),
                limit=MAX_PLACE,
            )
        )
    return place


def check_description(text: str, t: Translator) -> str:
    description = "\n".join(" ".join(line.split()) for line in _text(text, t, multiline=True).split("\n"))
    if description.lower() in NO_DESCRIPTION:
        return ""
    if len(description) > MAX_DESCRIPTION:
        raise EventSpecError(
            t._(
                "The description is {length} characters long; the limit is {limit}.",
                length=len(description),
                limit=MAX_DESCRIPTION,
            )
        )
    return description


def check_when(text: str, *, now: datetime, timezone: str, t: Translator) -> datetime:
    """The start, read like a poll's deadline, except that a day alone is refused: an event needs a time."""
    text = text.strip()
    try:
        starts_at = parse_when(text, now=now, tz=timezone, language=t.language)
    except WhenError as error:
        if error.code == "past":
            raise EventSpecError(t._("The date “{when}” is already past.", when=text)) from None
        raise EventSpecError(
            t._(
                "I could not read the date “{when}”. Try for example 2026-12-05 18:30, tomorrow 6pm or "
                "thursday 7pm.",
                when=text,
            )
        ) from None
    local = starts_at.astimezone(ZoneInfo(timezone))
    if (local.hour, local.minute) == (23, 59) and not _EXPLICIT_2359.search(text):
        raise EventSpecError(t._("Say at what time the event starts, for example “{when} 7pm”.", when=text))
    return starts_at


def check_span(text: str, *, now: datetime, timezone: str, t: Translator) -> tuple[datetime, datetime | None]:
    """The start, and the end when WHEN gives one ("jeudi 19h-21h"); None: the default length."""
    span = _SPAN.match(" ".join(text.split()))
    if span is None:
        return check_when(text, now=now, timezone=timezone, t=t), None
    starts_at = check_when(span["start"], now=now, timezone=timezone, t=t)
    return starts_at, check_end(span["end"], starts_at, timezone=timezone, now=now, t=t)


def check_end(text: str, starts_at: datetime, *, timezone: str, now: datetime, t: Translator) -> datetime:
    """When the event ends: a time alone is on the start's day (midnight: the end of that day), anything else
    reads like a start; refused unless after the start."""
    if _TIME_ALONE.match(text):
        zone = ZoneInfo(timezone)
        midnight = starts_at.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        try:
            ends_at = parse_when(text.strip(), now=midnight, tz=timezone, language=t.language)
        except WhenError:
            raise EventSpecError(
                t._("I could not read the end “{when}”. Try for example 9pm or 21:30.", when=text.strip())
            ) from None
    else:
        ends_at = check_when(text, now=now, timezone=timezone, t=t)
    if ends_at <= starts_at:
        span = format_span(starts_at, ends_at, tz=timezone, language=t.language, now=now)
        raise EventSpecError(
            t._(
                "An event ends after it starts: {span} does not. Write for example “thursday 7pm-9pm”; for "
                "an end on a later day, give its day: /event_edit NUMBER end saturday 1am.",
                span=span,
            )
        )
    return ends_at


def check_reminders(text: str, t: Translator) -> str:
    try:
        return labels(parse_offsets(text))
    except OffsetError:
        raise EventSpecError(
            t._(
                "I could not read the reminders “{value}”. Write durations before the start separated by "
                "commas, for example --reminders 24h,1h or --reminders 2h,15m (or none).",
                value=text[:40],
            )
        ) from None


def _flags(head: str, t: Translator) -> tuple[str | None, str]:
    """Leading `--reminders VALUE` (or `--reminders=VALUE`); returns (canonical offsets or None, the rest)."""
    words = head.split()
    reminders: str | None = None
    for flag, inline in leading(words):
        if FLAGS.name_of(flag) != "reminders":
            raise EventSpecError(t._("Unknown setting {flag}.", flag=flag[:30]) + "\n\n" + usage(t))
        if not inline and not words:
            raise EventSpecError(
                t._("Say which reminders after --reminders, for example --reminders 24h,1h.")
            )
        reminders = check_reminders(inline or words.pop(0), t)
    return reminders, " ".join(words)


def parse_event_command(args: str, *, now: datetime, timezone: str, t: Translator) -> EventSpec:
    """Read `[--reminders 24h,1h] Title | WHEN | PLACE [| description]`; raises EventSpecError."""
    parts = args.split("|")
    if len(parts) < 3:
        raise EventSpecError(usage(t))
    reminders, title = _flags(parts[0], t)
    starts_at, ends_at = check_span(parts[1], now=now, timezone=timezone, t=t)
    spec = EventSpec(
        title=check_title(title, t),
        starts_at=starts_at,
        place=check_place(parts[2], t),
        description=check_description(" | ".join(parts[3:]), t) if len(parts) > 3 else "",
        reminders=reminders,
        ends_at=ends_at,
    )
    spec.given = {"title", "starts_at", "place"} | ({"ends_at"} if ends_at is not None else set())
    if len(parts) > 3:
        spec.given.add("description")
    if reminders is not None:
        spec.given.add("reminder_offsets")
    return spec


def split_id(args: str, t: Translator, command: str) -> tuple[int, str]:
    """`42 rest` → (42, "rest"); a clear message when the event number is missing."""
    head, _, rest = args.strip().partition(" ")
    head = head.lstrip("#").removeprefix("n°")
    if not head.isdigit() or len(head) > 12:
        raise EventSpecError(t._("Give the event number first, for example /{command} 3.", command=command))
    return int(head), rest.strip()


def parse_changes(
    rest: str, *, now: datetime, timezone: str, starts_at: datetime, t: Translator
) -> dict[str, object]:
    """`/event_edit` after the number: `field value`, or the whole `Title | WHEN | PLACE [| description]`.
    `starts_at` is the event's start, which an end given alone follows. A new start given without an end
    is returned alone (the event keeps its length: `bot.events.service.edit`)."""
    if "|" in rest:
        spec = parse_event_command(rest, now=now, timezone=timezone, t=t)
        values: dict[str, object] = {
            "title": spec.title,
            "starts_at": spec.starts_at,
            "ends_at": spec.ends_at,
            "place": spec.place,
            "description": spec.description,
            "reminder_offsets": spec.reminders,
        }
        return {name: values[name] for name in spec.given}
    name, _, value = rest.partition(" ")
    column = FIELDS.get(name.lower())
    if column is None:
        raise EventSpecError(edit_usage(t))
    if column == "description":
        return {column: check_description(value, t)}
    if not value.strip():
        raise EventSpecError(t._("Give the new value after “{field}”.", field=name[:20]))
    if column == "title":
        return {column: check_title(value, t)}
    if column == "place":
        return {column: check_place(value, t)}
    if column == "starts_at":
        start, end = check_span(value, now=now, timezone=timezone, t=t)
        changes: dict[str, object] = {column: start}
        if end is not None:
            changes["ends_at"] = end
        return changes
    if column == "ends_at":
        return {column: check_end(value, starts_at, timezone=timezone, now=now, t=t)}
    return {column: check_reminders(value, t)}


def usage(t: Translator) -> str:
    return t._(
        "To announce an event: /event Title | WHEN | PLACE | description (optional)\n"
        "For example: /event Questions and answers on the 2027 budget | thursday 7pm-9pm | Town hall\n"
        "Without an end (7pm-9pm), an event lasts {hours} hours.\n"
        "Before the title, --reminders 24h,1h sets when reminders go out (none for no reminders).\n"
        "In a private chat, /event alone guides you step by step.",
        hours=int(DEFAULT_DURATION.total_seconds() // 3600),
    )


def edit_usage(t: Translator) -> str:
    return t._(
        "To change an event: /event_edit NUMBER FIELD VALUE, where FIELD is title, when, end, place, "
        "description or reminders; or /event_edit NUMBER Title | WHEN | PLACE | description."
    )
