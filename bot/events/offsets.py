"""Reminder offsets ("24h,1h", "2h,15m"): how long before a start or a closing a reminder goes out.

An offset has one canonical label (minutes → "15m", whole hours → "24h"), because the label is part of the
reminder's scheduler job id and outbox dedup key: "1d" and "24h" must be the same reminder.
"""

from __future__ import annotations

import re
from datetime import timedelta

MAX_OFFSETS = 5
MAX_OFFSET = timedelta(days=30)
NONE_WORDS = {"none", "aucun", "aucune", "non", "no", "off", "-"}
_ITEM = re.compile(r"^(\d{1,4})\s*(m|min|mn|minutes?|h|heures?|hours?|d|j|jours?|days?)$")
_MINUTES = {"m": 1, "h": 60, "d": 1440, "j": 1440}


class OffsetError(ValueError):
    """The text is not a list of offsets; the message names the faulty item (not localized: callers are)."""


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """ "24h, 1h" → (24 h, 1 h), largest first, duplicates merged; "none" → (). Raises OffsetError."""
    text = text.strip().lower()
    if text in NONE_WORDS:
        return ()
    found: set[timedelta] = set()
    for item in text.split(","):
        item = item.strip()
        match = _ITEM.match(item)
        if match is None:
            raise OffsetError(item)
        offset = timedelta(minutes=int(match[1]) * _MINUTES[match[2][0]])
        if not timedelta(0) < offset <= MAX_OFFSET:
            raise OffsetError(item)
        found.add(offset)
    if len(found) > MAX_OFFSETS:
        raise OffsetError(text)
    return tuple(sorted(found, reverse=True))


def label(offset: timedelta) -> str:
    """The canonical label: "24h", "1h", "90m"."""
    minutes = int(offset.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def spoken(offset: timedelta | str, language: str) -> str:
    """How an offset reads in a message, in the style of the language's times: "24 h", "1 h 30", "45 min"
    in French (as « 19 h 00 » beside it), "24h", "1h 30m", "45m" in English. A stored label ("24h") is read
    back."""
    if isinstance(offset, str):
        found = parse_offsets(offset)
        if len(found) != 1:
            return offset
        offset = found[0]
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if language == "fr":
        if not hours:
            return f"{rest} min"
        return f"{hours} h" if not rest else f"{hours} h {rest:02d}"
    if not hours:
        return f"{rest}m"
    return f"{hours}h" if not rest else f"{hours}h {rest}m"


def labels(offsets: tuple[timedelta, ...]) -> str:
    """What is stored for an event: "24h,1h"; "" means no reminders (None in the table means the default)."""
    return ",".join(label(o) for o in offsets)
