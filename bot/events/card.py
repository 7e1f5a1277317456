"""The event message: title, date in words, place, description, live answer counts and the RSVP buttons.

Everything is text, so a screen reader or a text-only client loses nothing. A cancelled event keeps its
card, marked cancelled and without buttons.
"""

from __future__ import annotations

from datetime import datetime

from bot.actions import ActionSigner
from bot.dates import format_span
from bot.formatting import Rich, b, doc, i, p
from bot.i18n import Translator
from bot.replies import Button, Keyboard
from storage.events import MAYBE, NO, YES, Counts
from storage.tables import Event

ANSWER_CODES = {YES: "y", MAYBE: "m", NO: "n"}  # in button ids, which are short
ANSWER_OF_CODE = {code: answer for answer, code in ANSWER_CODES.items()}


def answer_label(answer: str, t: Translator) -> str:
    if answer == YES:
        return t._("I'm coming")
    if answer == MAYBE:
        return t._("Maybe")
    return t._("Not coming")


def when_text(event: Event, t: Translator, *, now: datetime | None = None) -> str:
    """ "jeudi 3 décembre, 19 h 00 – 21 h 00", in the event's time zone (with the year when it is not this
    one's)."""
    return format_span(event.starts_at, event.ends_at, tz=event.timezone, language=t.language, now=now)


def details(event: Event, t: Translator, *, now: datetime | None = None, title: bool = True) -> list[Rich]:
    """Title, when, where and description: what every message about the event repeats (without the title
    when the message names the event in its own first line)."""
    return [
        doc(p(b(event.title))) if title else doc(),
        doc(
            p(
                t._("When: {when}", when=when_text(event, t, now=now)),
                "\n",
                t._("Where: {place}", place=event.place),
            )
        ),
        doc(p(event.description)) if event.description else doc(),
    ]


def counts_line(counts: Counts, t: Translator) -> str:
    return " · ".join(
        t._("{answer}: {count}", answer=answer_label(answer, t), count=count)
        for answer, count in ((YES, counts.yes), (MAYBE, counts.maybe), (NO, counts.no))
    )


def render_card(event: Event, counts: Counts, t: Translator, *, now: datetime, buttons: bool = True) -> Rich:
    """The card's text; `buttons=False` when it goes out without its buttons (then it says nothing of
    tapping one)."""
    cancelled = event.cancelled_at is not None
    body = doc(p(b(t._("Event cancelled")))) if cancelled else doc()
    for part in details(event, t, now=now):
        body += part
    if cancelled:
        return body + doc(p(t._("Event no. {id}", id=event.id)))
    hint = p(i(t._("Tap a button to answer; tap another one to change your answer."))) if buttons else None
    return body + doc(p(counts_line(counts, t)), p(t._("Event no. {id}", id=event.id)), hint)


def card_buttons(event: Event, signer: ActionSigner, t: Translator) -> Keyboard:
    if event.cancelled_at is not None:
        return ()
    rsvp = tuple(
        Button(answer_label(answer, t), signer.sign("m", "r", event.id or 0, code))
        for answer, code in ANSWER_CODES.items()
    )
    return (rsvp, (Button(t._("Add to my calendar"), signer.sign("m", "i", event.id or 0)),))
