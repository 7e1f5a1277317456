"""What an organizer asks for, checked before anything is stored: `/poll [options] Question ? | A | B`."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.dates import WhenError, parse_when
from bot.i18n import Translator
from bot.options import Flags, leading
from bot.text import TextRefused, clean, look_alike

MAX_QUESTION = 300
MAX_OPTION = 80  # Discord's button label limit
MIN_OPTIONS, MAX_OPTIONS = 2, 12

# each setting's spellings, the first being how the engine writes it (`form_arguments`)
FLAG_MULTI = ("--multi", "--multiple", "--plusieurs")
FLAG_PUBLIC = ("--public", "--publique")
FLAG_HIDDEN = ("--hidden", "--cache", "--caché", "--masque", "--masqué")
FLAG_PRIVATE_RESULTS = ("--private-results", "--resultats-prives", "--résultats-privés")
FLAG_CLOSES = ("--closes", "--close", "--fin", "--cloture", "--clôture")
SWITCHES = ("multi", "public", "hidden", "private_results")  # the settings without a value, in writing order
FLAGS = Flags(
    {
        "multi": FLAG_MULTI,
        "public": FLAG_PUBLIC,
        "hidden": FLAG_HIDDEN,
        "private_results": FLAG_PRIVATE_RESULTS,
        "closes": FLAG_CLOSES,
    }
)


class PollSpecError(ValueError):
    """A localized explanation of what is wrong with the request; nothing was stored."""


@dataclass
class PollSpec:
    question: str
    options: list[str]
    multi: bool = False
    public: bool = False
    hidden: bool = False
    closes_at: datetime | None = None
    private_results: bool = False  # tallies only for its organizers, in private (distinct from hidden)
    warnings: list[str] = field(default_factory=list)


def _clean(text: str, t: Translator) -> str:
    try:
        return clean(text)
    except TextRefused as refused:
        raise PollSpecError(refused.explain(t)) from None


def check_question(question: str, t: Translator) -> str:
    question = _clean(question, t)
    if not question:
        raise PollSpecError(t._("The question is empty."))
    if len(question) > MAX_QUESTION:
        raise PollSpecError(
            t._(
                "The question is {length} characters long; the limit is {limit}.",
                length=len(question),
                limit=MAX_QUESTION,
            )
        )
    return question


def check_options(options: list[str], t: Translator) -> list[str]:
    cleaned = [_clean(o, t) for o in options]
    if any(not o for o in cleaned):
        raise PollSpecError(t._("An option is empty: write some text between each pair of |."))
    if len(cleaned) < MIN_OPTIONS:
        raise PollSpecError(t._("A poll needs at least {minimum} options.", minimum=MIN_OPTIONS))
    if len(cleaned) > MAX_OPTIONS:
        raise PollSpecError(
            t._(
                "A poll has at most {maximum} options; you gave {count}.",
                maximum=MAX_OPTIONS,
                count=len(cleaned),
            )
        )
    for option in cleaned:
        if len(option) > MAX_OPTION:
            raise PollSpecError(
                t._(
                    "The option “{option}…” is too long: {limit} characters at most.",
                    option=option[:20],
                    limit=MAX_OPTION,
                )
            )
    twins = look_alike(cleaned)
    if twins is not None:
        first, second = twins
        raise PollSpecError(
            t._(
                "Options {first_number} and {second_number} look the same: “{first}” and “{second}”. "
                "Write options that read differently.",
                first_number=first + 1,
                second_number=second + 1,
                first=cleaned[first],
                second=cleaned[second],
            )
        )
    return cleaned


def check_deadline(text: str, *, now: datetime, timezone: str, t: Translator) -> datetime:
    try:
        return parse_when(text, now=now, tz=timezone, language=t.language)
    except WhenError as error:
        if error.code == "past":
            raise PollSpecError(t._("The closing date “{when}” is already past.", when=text)) from None
        raise PollSpecError(
            t._(
                "I could not read the closing date “{when}”. Try for example 2026-12-05 18:30, "
                "tomorrow 6pm, thursday 7pm or in 2 hours.",
                when=text,
            )
        ) from None


def _take_deadline(words: list[str], *, now: datetime, timezone: str, t: Translator) -> tuple[datetime, int]:
    """The longest run of leading words (up to 5) that reads as a date; the rest is the question."""
    past: str | None = None  # the longest run that reads as a date already gone
    for count in range(min(5, len(words)), 0, -1):
        run = " ".join(words[:count])
        try:
            return parse_when(run, now=now, tz=timezone, language=t.language), count
        except WhenError as error:
            if error.code == "past" and past is None:
                past = run
    if past is not None:  # (quoted as read: the question's words that follow are not part of it)
        raise PollSpecError(t._("The closing date “{when}” is already past.", when=past))
    return check_deadline(words[0], now=now, timezone=timezone, t=t), 1


def parse_poll_command(args: str, *, now: datetime, timezone: str, t: Translator) -> PollSpec:
    """Read `/poll` arguments; raises PollSpecError with a localized message for anything wrong."""
    if "|" not in args:
        raise PollSpecError(usage(t))
    head, *options = args.split("|")
    switches: set[str] = set()
    closes_at: datetime | None = None
    try:
        words = shlex.split(head, posix=True)
    except ValueError:
        words = head.split()
    for flag, inline_value in leading(words):
        name = FLAGS.name_of(flag)
        if name in SWITCHES:
            switches.add(name)
        elif name == "closes":
            closes_at = _closes(inline_value, words, now=now, timezone=timezone, t=t)
        else:
            raise PollSpecError(t._("Unknown setting {flag}.", flag=flag.lower()) + "\n\n" + usage(t))
    question = check_question(" ".join(words), t)
    return PollSpec(
        question=question,
        options=check_options(options, t),
        multi="multi" in switches,
        public="public" in switches,
        hidden="hidden" in switches,
        closes_at=closes_at,
        private_results="private_results" in switches,
    )


def _closes(inline_value: str, words: list[str], *, now: datetime, timezone: str, t: Translator) -> datetime:
    """The deadline after --closes: its `=value`, or the leading words that read as a date (taken)."""
    if inline_value:
        return check_deadline(inline_value, now=now, timezone=timezone, t=t)
    if not words:
        raise PollSpecError(t._("Say when the poll closes after --closes."))
    closes_at, used = _take_deadline(words, now=now, timezone=timezone, t=t)
    del words[:used]
    return closes_at


def form_arguments(values: Mapping[str, Any]) -> str:
    """The line `parse_poll_command` reads, from /poll's form filled in (bot/polls/feature.py `FORM`):
    `--multi --closes=… 'Question ?' | A | B`. The question is quoted so that it is kept exactly as typed
    (apostrophes and quotes included); the `question` field may also hold a whole one-line poll."""
    words = [FLAGS.written(name) for name in SWITCHES if values.get(name)]
    closes = (values.get("closes") or "").strip()
    if closes:
        words.append(shlex.quote(f"{FLAGS.written('closes')}={closes}"))
    head, bar, tail = (values.get("question") or "").partition("|")
    if head.strip():
        words.append(shlex.quote(head.strip()))
    line = " ".join(words) + (f" |{tail}" if bar else "")
    for n in range(1, MAX_OPTIONS + 1):
        option = values.get(f"option{n}")
        if option:
            line += f" | {option}"
    return line.strip()


def usage(t: Translator) -> str:
    return t._(
        "To create a poll: /poll Question? | Option 1 | Option 2\n"
        "Settings before the question: --multi (several choices), --public (names shown), "
        "--hidden (results after closing), --private-results (results for organizers only), "
        '--closes WHEN (e.g. --closes "tomorrow 6pm").\n'
        "In a private chat, /poll alone guides you step by step."
    )
