"""Date/time parsing and formatting for the engine (French and English).

Everything here is a pure function of its arguments: the current instant is injected as ``now``
so behaviour is reproducible in tests and never depends on the host clock or the host time zone.

Parsing strategy: the forms people actually type in a chat (``demain 18h``, ``jeudi 19h``,
``dans 2 heures``, ``tomorrow 6pm``...) are recognised by small regexes, because dateparser gets
several of them wrong (it reads ``demain 18h`` as 04:00 the day after tomorrow, ``5 décembre 18h`` as the
year 2118, does not know ``lundi prochain`` or ``ce soir``, and sends ``jeudi 19h`` to the wrong
week).  dateparser does the heavy lifting for calendar dates (month names in both languages,
numeric dates, ordinals, ``hier``...).  Local wall times are turned into instants with
:mod:`zoneinfo` only, so the daylight-saving rules are applied in one predictable place.
"""

from __future__ import annotations

import calendar
import contextlib
import re
import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

__all__ = [
    "MAX_TEXT_LENGTH",
    "WhenError",
    "format_short",
    "format_span",
    "format_time",
    "format_when",
    "parse_when",
    "warm_up",
    "warm_up_in_background",
]

MAX_TEXT_LENGTH = 100
"""Longer input is refused: nobody types a date that long, and it bounds the parsing cost."""

END_OF_DAY = time(23, 59)
"""Time used when only a day is given: a deadline "on the 5th" should include the whole day."""

WhenCode = Literal["unparsable", "past"]


class WhenError(Exception):
    """Raised when a date cannot be accepted; ``code`` is stable so the caller can localise it."""

    def __init__(self, code: WhenCode) -> None:
        super().__init__(code)
        self.code: WhenCode = code


# --------------------------------------------------------------------------- regexes

_TIME_RE = re.compile(
    r"""
    (?:^|\s)
    (?:(?:à|a|at|@|vers|around)\s*)?
    (?:
        (?P<h12>\d{1,2})(?:[:h.](?P<m12>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)
      | (?P<hc>\d{1,2}):(?P<mc>\d{2})(?::(?P<sc>\d{2}))?
      | (?P<hh>\d{1,2})\s*(?:h|heures?)\s*(?P<mh>\d{2})?
      | (?P<noon>midi|noon)
    )$
    """,
    re.VERBOSE,
)
# "demain à 18": a bare number is an hour only after an explicit connector.
_BARE_HOUR_RE = re.compile(r"(?:^|\s)(?:à|a|at)\s+(?P<h>\d{1,2})$")

_PART_OF_DAY = r"(?:\s+(?P<part>soir|matin|après-midi|apres-midi|evening|morning|afternoon|night))?"
_EVENING_PARTS = frozenset({"soir", "après-midi", "apres-midi", "evening", "afternoon", "night"})

_DAY_WORDS: dict[str, tuple[int, bool]] = {
    # word -> (days from today, implies evening)
    "aujourd'hui": (0, False),
    "today": (0, False),
    "ce soir": (0, True),
    "tonight": (0, True),
    "this evening": (0, True),
    "demain": (1, False),
    "tomorrow": (1, False),
    "après-demain": (2, False),
    "apres-demain": (2, False),
    "après demain": (2, False),
    "apres demain": (2, False),
    "day after tomorrow": (2, False),
    "the day after tomorrow": (2, False),
}
_DAY_WORD_ALTERNATIVES = "|".join(sorted(map(re.escape, _DAY_WORDS), key=len, reverse=True))
_DAY_WORD_RE = re.compile(f"^(?P<day>{_DAY_WORD_ALTERNATIVES}){_PART_OF_DAY}$")

_WEEKDAYS: dict[str, int] = {
    **dict.fromkeys(("lundi", "monday"), 0),
    **dict.fromkeys(("mardi", "tuesday"), 1),
    **dict.fromkeys(("mercredi", "wednesday"), 2),
    **dict.fromkeys(("jeudi", "thursday"), 3),
    **dict.fromkeys(("vendredi", "friday"), 4),
    **dict.fromkeys(("samedi", "saturday"), 5),
    **dict.fromkeys(("dimanche", "sunday"), 6),
}
_WEEKDAY_RE = re.compile(
    r"^(?:(?P<pre>ce|this|on|le|next|prochain)\s+)?(?P<wd>"
    + "|".join(_WEEKDAYS)
    + r")(?:\s+(?P<post>prochain))?"
    + _PART_OF_DAY
    + "$"
)

_NUMBER_WORDS: dict[str, int] = {
    **dict.fromkeys(("un", "une", "a", "an", "one"), 1),
    **dict.fromkeys(("deux", "two"), 2),
    **dict.fromkeys(("trois", "three"), 3),
    **dict.fromkeys(("quatre", "four"), 4),
    **dict.fromkeys(("cinq", "five"), 5),
    **dict.fromkeys(("six",), 6),
    **dict.fromkeys(("sept", "seven"), 7),
    **dict.fromkeys(("huit", "eight"), 8),
    **dict.fromkeys(("neuf", "nine"), 9),
    **dict.fromkeys(("dix", "ten"), 10),
    **dict.fromkeys(("quinze", "fifteen"), 15),
    **dict.fromkeys(("trente", "thirty"), 30),
}
_UNITS: dict[str, str] = {
    **dict.fromkeys(("minute", "minutes", "min", "mins", "mn"), "minutes"),
    **dict.fromkeys(("heure", "heures", "hour", "hours", "hr", "hrs", "h"), "hours"),
    **dict.fromkeys(("jour", "jours", "day", "days", "j"), "days"),
    **dict.fromkeys(("semaine", "semaines", "week", "weeks"), "weeks"),
    **dict.fromkeys(("mois", "month", "months"), "months"),
    **dict.fromkeys(("an", "ans", "année", "années", "annee", "annees", "year", "years"), "years"),
}
_DURATION_RE = re.compile(
    r"^(?:dans|in)\s+(?P<n>\d{1,4}|"
    + "|".join(_NUMBER_WORDS)
    + r")\s*(?P<unit>"
    + "|".join(sorted(_UNITS, key=len, reverse=True))
    + ")$"
)

# Words our own rules own: if they reach dateparser, our rules did not match the whole text and
# dateparser would silently ignore the leftovers ("demain 99" -> tomorrow), so refuse instead.
_OWNED_WORDS_RE = re.compile(r"\b(?:demain|tomorrow|aujourd'hui|today|tonight|soir|prochain|next|dans|in)\b")
# "05/12/26": dateparser reads a two-digit year as 2126 with DATE_ORDER=MDY, so expand it first.
_SHORT_YEAR_RE = re.compile(r"\b(\d{1,2})([/.\-])(\d{1,2})\2(\d{2})\b")
_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[t ].*)?$")


# --------------------------------------------------------------------------- helpers


def _zone(tz: str) -> ZoneInfo:
    """ZoneInfo keeps its own cache; kept as a function so an unknown name fails loudly here."""
    return ZoneInfo(tz)


def _lang(language: str) -> Literal["fr", "en"]:
    """Map ``fr``, ``fr_FR``, ``fr-CA``... to ``fr``; anything not French gets English."""
    return "fr" if language.replace("-", "_").split("_")[0].lower() == "fr" else "en"


def _to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Local wall time -> UTC instant.

    ``fold=0`` (PEP 495): an ambiguous wall time (the repeated hour in October) is the EARLIER
    instant; a non-existent one (the skipped hour in March) is read with the pre-switch offset,
    i.e. moved forward by the gap (02:30 -> 03:30 summer time).
    """
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)


def _add_months(day: date, months: int) -> date:
    """Calendar month arithmetic, clamping to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _shift_day(day: date, n: int, unit: str) -> date:
    """Move a calendar day by n days/weeks/months/years (wall-clock, so DST does not matter)."""
    if unit == "days":
        return day + timedelta(days=n)
    if unit == "weeks":
        return day + timedelta(weeks=n)
    if unit == "months":
        return _add_months(day, n)
    return _add_months(day, 12 * n)


def _split_time(text: str) -> tuple[str, time | None, str | None]:
    """Split a trailing time off ``text``: returns (date part, time or None, "pm"/"am"/None).

    Raises WhenError("unparsable") for impossible times such as 25h or 13pm.
    """
    m = _TIME_RE.search(text)
    if m is None:
        b = _BARE_HOUR_RE.search(text)
        if b is None:
            return text, None, None
        hour, minute, second, ampm = int(b["h"]), 0, 0, None
        start = b.start()
    else:
        start = m.start()
        second, ampm = 0, None
        if m["noon"]:
            hour, minute = 12, 0
        elif m["ampm"]:
            hour, minute, ampm = int(m["h12"]), int(m["m12"] or 0), m["ampm"][0] + "m"
            if not 1 <= hour <= 12:
                raise WhenError("unparsable")
            hour = hour % 12 + (12 if ampm == "pm" else 0)
        elif m["hc"]:
            hour, minute, second = int(m["hc"]), int(m["mc"]), int(m["sc"] or 0)
        else:
            hour, minute = int(m["hh"]), int(m["mh"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise WhenError("unparsable")
    return text[:start].strip(), time(hour, minute, second), ampm


def _evening(at: time | None, ampm: str | None, part: str | None, implied: bool = False) -> time | None:
    """In the evening ("ce soir 8h", "demain soir 8h") 1-11 o'clock means 13:00-23:00."""
    if at is not None and ampm is None and (implied or part in _EVENING_PARTS) and 1 <= at.hour <= 11:
        return at.replace(hour=at.hour + 12)
    return at


def _normalise(text: str) -> str:
    """Lower-case, unify apostrophes and spaces, and expand two-digit years."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ").replace("\u202f", " ")
    text = " ".join(text.lower().split())
    return _SHORT_YEAR_RE.sub(r"\g<1>\g<2>\g<3>\g<2>20\g<4>", text)


def _dateparser(text: str, *, local_now: datetime, tz: str, language: Literal["fr", "en"]) -> Any:
    """Ask dateparser for a calendar date.

    A new DateDataParser per call is cheap (~10 µs): the expensive part, the language data, is
    cached process-wide by dateparser itself, and RELATIVE_BASE must be the injected ``now`` so an
    instance cannot be shared between calls.  Results come back naive in ``tz``; we localise them.
    """
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": local_now.replace(tzinfo=None),
        "TIMEZONE": tz,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "RETURN_TIME_AS_PERIOD": True,
        "DATE_ORDER": "DMY" if language == "fr" else "MDY",
    }
    languages = ["fr", "en"] if language == "fr" else ["en", "fr"]
    from dateparser.date import DateDataParser  # deferred: importing dateparser costs ~35 ms

    with _dateparser_lock:
        return DateDataParser(languages=languages, settings=settings).get_date_data(text)


_dateparser_lock = threading.Lock()
"""dateparser fills its process-wide tables on first use; one caller at a time, so that a date typed while
the background warm-up runs waits for those tables instead of building them a second time alongside."""


# --------------------------------------------------------------------------- public API


def parse_when(text: str, *, now: datetime, tz: str = "Europe/Paris", language: str = "fr") -> datetime:
    """Parse a French or English date/time typed by a user into an aware UTC datetime.

    ``now`` (aware) is injected so results are reproducible; wall times are read in ``tz``.
    Rules, chosen so that what people type in a chat means what they expect:

    * a day with no time means the END of that day (23:59 local): "le 5 décembre" as a deadline
      includes the whole 5th;
    * a weekday ("jeudi 19h") is its next occurrence in the future (today if still ahead);
      "prochain"/"next" ("lundi prochain") is never today;
    * a time alone ("18h") is the next occurrence of that time (today, else tomorrow);
    * a day and month without a year is the next such day (today included);
    * "dans 2 heures"/"in 2 hours" is elapsed time; "dans 3 jours" keeps the wall-clock time;
    * "aujourd'hui", "ce soir" and explicit dates are never moved: if already over -> "past".

    Raises WhenError("unparsable") for empty, over-long or unrecognised text, and
    WhenError("past") when the instant is not strictly after ``now``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
        raise WhenError("unparsable")
    zone = _zone(tz)  # outside the try: a bad time zone is a configuration error, not user input
    norm = _normalise(text)
    if not norm:
        raise WhenError("unparsable")
    try:
        instant = _parse(norm, now=now, zone=zone, tz=tz, language=_lang(language))
    except (ValueError, OverflowError) as exc:  # e.g. 31/04, year 10000
        raise WhenError("unparsable") from exc
    if instant <= now:
        raise WhenError("past")
    return instant


def _parse(text: str, *, now: datetime, zone: ZoneInfo, tz: str, language: Literal["fr", "en"]) -> datetime:
    """Dispatch ``text`` (already normalised) to the rule that recognises it."""
    local_now = now.astimezone(zone)
    today = local_now.date()

    if _ISO_RE.match(text) and (iso := _iso(text, zone)) is not None:
        return iso

    m = _DURATION_RE.match(text)
    if m:
        n = int(m["n"]) if m["n"].isdigit() else _NUMBER_WORDS[m["n"]]
        unit = _UNITS[m["unit"]]
        if unit in ("minutes", "hours"):
            return now.astimezone(UTC) + timedelta(**{unit: n})
        return _to_utc(_shift_day(today, n, unit), local_now.time(), zone)

    rest, at, ampm = _split_time(text)

    if not rest:  # time only: next occurrence
        if at is None:
            raise WhenError("unparsable")
        instant = _to_utc(today, at, zone)
        return instant if instant > now else _to_utc(today + timedelta(days=1), at, zone)

    day = _named_day(rest, at, ampm, now=now, today=today, zone=zone)
    if day is not None:
        return day
    if _OWNED_WORDS_RE.search(rest):
        raise WhenError("unparsable")
    return _from_dateparser(rest, at, now=now, local_now=local_now, zone=zone, tz=tz, language=language)


def _iso(text: str, zone: ZoneInfo) -> datetime | None:
    """An ISO date or date and time (a date alone: at the end of that day); None if it is no valid one."""
    try:
        iso = datetime.fromisoformat(text)
    except ValueError:
        return None
    if iso.tzinfo is not None:
        return iso.astimezone(UTC)
    at = END_OF_DAY if len(text) == 10 else iso.time()
    return _to_utc(iso.date(), at, zone)


def _named_day(
    rest: str, at: time | None, ampm: str | None, *, now: datetime, today: date, zone: ZoneInfo
) -> datetime | None:
    """A day said in words ("demain", "jeudi prochain", "dans 3 jours à 18h"), at `at`; None otherwise."""
    if m := _DAY_WORD_RE.match(rest):
        offset, implied = _DAY_WORDS[m["day"]]
        at = _evening(at, ampm, m["part"], implied)
        return _to_utc(today + timedelta(days=offset), at or END_OF_DAY, zone)

    if m := _WEEKDAY_RE.match(rest):
        at = _evening(at, ampm, m["part"]) or END_OF_DAY
        ahead = (_WEEKDAYS[m["wd"]] - today.weekday()) % 7
        if m["pre"] in ("next", "prochain") or m["post"]:
            return _to_utc(today + timedelta(days=ahead or 7), at, zone)
        instant = _to_utc(today + timedelta(days=ahead), at, zone)
        return instant if instant > now else _to_utc(today + timedelta(days=ahead + 7), at, zone)

    if m := _DURATION_RE.match(rest):  # "dans 3 jours à 18h"
        unit = _UNITS[m["unit"]]
        if unit in ("minutes", "hours") or at is None:
            raise WhenError("unparsable")
        n = int(m["n"]) if m["n"].isdigit() else _NUMBER_WORDS[m["n"]]
        return _to_utc(_shift_day(today, n, unit), at, zone)
    return None


def _from_dateparser(
    rest: str,
    at: time | None,
    *,
    now: datetime,
    local_now: datetime,
    zone: ZoneInfo,
    tz: str,
    language: Literal["fr", "en"],
) -> datetime:
    """Calendar dates ("5 décembre", "05/12/2026", "December 5th", "hier") via dateparser."""
    data = _dateparser(rest, local_now=local_now, tz=tz, language=language)
    found = data.date_obj
    parts = set(data.parts or ())
    # A month alone ("décembre"), a day alone ("le 5") or a week ("next week") is too vague.
    if found is None or data.period not in ("day", "time") or not {"day", "month"} <= parts:
        raise WhenError("unparsable")
    if found.tzinfo is not None:
        found = found.astimezone(zone).replace(tzinfo=None)
    if data.period == "time":  # the text carried a time our regexes did not split off ("18:00 utc")
        if at is not None:
            raise WhenError("unparsable")
        at = found.time()
    day = found.date()
    today = local_now.date()
    # PREFER_DATES_FROM=future turns today's day-and-month into next year; keep today instead
    # so "26 novembre 18h" on 26 November is this evening (and "26 novembre 8h" at 10:00 is past).
    if "year" not in parts and day.year > today.year and (day.month, day.day) == (today.month, today.day):
        day = today
    return _to_utc(day, at or END_OF_DAY, zone)


_PATTERNS: dict[tuple[str, bool], str] = {
    ("fr", False): "EEEE d MMMM 'à' H 'h' mm",
    ("fr", True): "EEEE d MMMM y 'à' H 'h' mm",
    ("en", False): "EEEE, MMMM d 'at' h:mm a",
    ("en", True): "EEEE, MMMM d, y 'at' h:mm a",
}
_WEEKDAY_PATTERNS: dict[tuple[str, bool], str] = {
    ("fr", False): "EEEE d MMMM",
    ("fr", True): "EEEE d MMMM y",
    ("en", False): "EEEE, MMMM d",
    ("en", True): "EEEE, MMMM d, y",
}
_SHORT_PATTERNS = {"fr": "dd/MM HH:mm", "en": "MM/dd h:mm a"}
_DAY_PATTERNS = {"fr": "d MMMM y", "en": "MMMM d, y"}
_TIME_PATTERNS = {"fr": "H 'h' mm", "en": "h:mm a"}


def format_when(
    instant: datetime,
    *,
    tz: str = "Europe/Paris",
    language: str = "fr",
    now: datetime | None = None,
    year: bool = False,
) -> str:
    """Human wording of an instant in ``tz``: "jeudi 3 décembre à 19 h 00" /
    "Thursday, December 3 at 7:00 PM".

    The year is added when ``year`` says so, or when ``now`` is given and falls in another (local) year, so
    confirmations stay short but a date rolled over to next year is visible.  Unknown languages get English.
    """
    if instant.tzinfo is None:
        raise ValueError("instant must be an aware datetime")
    zone = _zone(tz)
    lang = _lang(language)
    with_year = year or (now is not None and now.astimezone(zone).year != instant.astimezone(zone).year)
    return format_datetime(instant, _PATTERNS[lang, with_year], tzinfo=zone, locale=lang)


def format_span(
    start: datetime,
    end: datetime,
    *,
    tz: str = "Europe/Paris",
    language: str = "fr",
    now: datetime | None = None,
) -> str:
    """From `start` to `end` in ``tz``: "jeudi 3 décembre, 19 h 00 – 21 h 00" / "Thursday, December 3,
    7:00 PM – 9:00 PM"; an end on another day is said with its day ("… à 22 h 00 – vendredi 4 décembre à
    1 h 00"). The year as `format_when` adds it."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("instants must be aware datetimes")
    zone = _zone(tz)
    if start.astimezone(zone).date() != end.astimezone(zone).date():
        return f"{format_when(start, tz=tz, language=language, now=now)} – " + format_when(
            end, tz=tz, language=language, now=now
        )
    lang = _lang(language)
    with_year = now is not None and now.astimezone(zone).year != start.astimezone(zone).year
    day = format_datetime(start, _WEEKDAY_PATTERNS[lang, with_year], tzinfo=zone, locale=lang)
    first, last = (format_time(instant, tz=tz, language=language) for instant in (start, end))
    return f"{day}, {first} – {last}"


def format_short(instant: datetime, *, tz: str = "Europe/Paris", language: str = "fr") -> str:
    """Compact "03/12 19:00" (fr) / "12/03 7:00 PM" (en) for list views, in ``tz``.

    Day/month order matches what parse_when reads in the same language.
    """
    if instant.tzinfo is None:
        raise ValueError("instant must be an aware datetime")
    lang = _lang(language)
    return format_datetime(instant, _SHORT_PATTERNS[lang], tzinfo=_zone(tz), locale=lang)


def format_day(instant: datetime, *, tz: str = "Europe/Paris", language: str = "fr") -> str:
    """The day in words with its year, "26 novembre 2026" (fr) / "November 26, 2026" (en), in ``tz``."""
    if instant.tzinfo is None:
        raise ValueError("instant must be an aware datetime")
    lang = _lang(language)
    return format_datetime(instant, _DAY_PATTERNS[lang], tzinfo=_zone(tz), locale=lang)


def format_time(instant: datetime, *, tz: str = "Europe/Paris", language: str = "fr") -> str:
    """The time of day alone, "14 h 05" (fr) / "2:05 PM" (en), in ``tz``: for something earlier today."""
    if instant.tzinfo is None:
        raise ValueError("instant must be an aware datetime")
    lang = _lang(language)
    return format_datetime(instant, _TIME_PATTERNS[lang], tzinfo=_zone(tz), locale=lang)


_warmed = threading.Event()


def warm_up() -> None:
    """Build dateparser's French and English tables now (0.15–0.2 s of regular expressions, mostly its time
    zone names and each language's simplifications) rather than on a resident's first typed date. Once per
    process: a later call returns at once."""
    if _warmed.is_set():
        return
    base = datetime(2000, 1, 1, tzinfo=UTC)
    for text in ("5 décembre", "05/12/2030", "December 5th", "5 dec 2030"):
        for language in ("fr", "en"):
            with contextlib.suppress(WhenError):
                parse_when(text, now=base, tz="UTC", language=language)
    _warmed.set()


_warm_up_started = threading.Lock()


def warm_up_in_background() -> None:
    """Run `warm_up` on a thread of its own, once per process: a live bot (`civicbot run`) does not wait
    for it to start, and a date typed before it ends waits for the same tables (see `_dateparser_lock`).
    Short-lived processes — the terminal chat, the other commands, each test — do not call it: the thread
    would hold the interpreter's lock while they work (measured: `echo /quit | civicbot shell` took 0.14 s
    longer with it), and the first date they read, if any, builds the tables then."""
    if _warmed.is_set() or not _warm_up_started.acquire(blocking=False):
        return
    threading.Thread(target=lambda: warm_up(), name="civicbot-dates-warm-up", daemon=True).start()
