"""What an organizer asks for, checked before anything is stored:
`/event Title | WHEN | PLACE [| description]`, and the changes of `/event_edit`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.dates import WhenError, parse_when
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
                "I could not read the date “{when}”. Try for example 2026-12-05 18:30, demain 18h or "
                "jeudi 19h.",
                when=text,
            )
        ) from None
    local = starts_at.astimezone(ZoneInfo(timezone))
    if (local.hour, local.minute) == (23, 59) and not _EXPLICIT_2359.search(text):
        raise EventSpecError(t._("Say at what time the event starts, for example “{when} 19h”.", when=text))
    return starts_at


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
    spec = EventSpec(
        title=check_title(title, t),
        starts_at=check_when(parts[1], now=now, timezone=timezone, t=t),
        place=check_place(parts[2], t),
        description=check_description(" | ".join(parts[3:]), t) if len(parts) > 3 else "",
        reminders=reminders,
    )
    spec.given = {"title", "starts_at", "place"}
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


def parse_changes(rest: str, *, now: datetime, timezone: str, t: Translator) -> dict[str, object]:
    """`/event_edit` after the number: `field value`, or the whole `Title | WHEN | PLACE [| description]`."""
    if "|" in rest:
        spec = parse_event_command(rest, now=now, timezone=timezone, t=t)
        values: dict[str, object] = {
            "title": spec.title,
            "starts_at": spec.starts_at,
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
        return {column: check_when(value, now=now, timezone=timezone, t=t)}
    return {column: check_reminders(value, t)}


def usage(t: Translator) -> str:
    return t._(
        "To announce an event: /event Title | WHEN | PLACE | description (optional)\n"
        "For example: /event Questions and answers on the 2027 budget | jeudi 19h | Town hall\n"
        "Before the title, --reminders 24h,1h sets when reminders go out (none for no reminders).\n"
        "In a private chat, /event alone guides you step by step."
    )


def edit_usage(t: Translator) -> str:
    return t._(
        "To change an event: /event_edit NUMBER FIELD VALUE, where FIELD is title, when, place, description "
        "or reminders; or /event_edit NUMBER Title | WHEN | PLACE | description."
    )
