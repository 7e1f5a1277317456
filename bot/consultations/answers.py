"""A resident's answers: how each is checked and normalized before it is stored.

:func:`validate_answer` cleans what the engine received (a button's option id, a list of ids, typed text)
and hands it to the question's type (``question.check_answer``), which returns the typed :data:`Answer` to
store or raises :class:`AnswerError` with a localized message that says what is expected. The helpers
below read options and numbers the way residents type them; the question types share them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from babel.numbers import format_decimal

from bot.consultations.fields import MAX_DIGITS, Answer, OptionId, number_to_text
from bot.i18n import LANGUAGES, Translator
from bot.text import TextRefused, clean

if TYPE_CHECKING:
    from bot.consultations.questions.base import ChoiceQuestion, Question


class AnswerError(ValueError):
    """A resident's answer cannot be accepted; ``message`` is localized and says what to do instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normal(text: str) -> str:
    """Case, accents and spacing do not matter when a resident types an option's text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def find_option(question: ChoiceQuestion, raw: Any, t: Translator) -> OptionId:
    """An option from its id (a button), its text in any language, or its number in the list (typed)."""
    text = number_to_text(raw)
    if isinstance(text, str):
        text = text.strip()
        if text in question.option_ids:
            return text
        wanted = normal(text)
        for option in question.options:
            if any(normal(label) == wanted for _, label in option.text.items()):
                return option.id
        if text.isdigit() and 1 <= int(text) <= len(question.options):
            return question.options[int(text) - 1].id
    raise AnswerError(
        t._("“{answer}” is not one of the options.", answer=str(raw).strip()[:40])
        if isinstance(raw, str | int | float)
        else t._("Please choose one of the options.")
    )


def find_options(question: ChoiceQuestion, raw: Any, t: Translator) -> list[OptionId]:
    """Several options, in the order given: a list (buttons), or a typed text ("1, 3" or "Vélo; Bus")."""
    if isinstance(raw, str):
        try:
            return [find_option(question, raw, t)]  # an option's own text may contain a comma
        except AnswerError:
            parts = [part for part in re.split(r"[,;]", raw) if part.strip()]
            return [find_option(question, part, t) for part in parts]
    if isinstance(raw, Iterable) and not isinstance(raw, Mapping | bytes):
        return [find_option(question, item, t) for item in raw]
    raise AnswerError(t._("Please choose one of the options."))


def format_number(value: float, t: Translator) -> str:
    return format_decimal(value, locale=t.language if t.language in LANGUAGES else "fr")


_NUMBER_RE: Final = re.compile(r"[-+]?(\d*)(?:\.(\d*))?")


def read_number(raw: Any, t: Translator) -> float | int | None:
    """A typed or given number, None when it is not one; more than MAX_DIGITS significant digits are
    refused (AnswerError) before Python reads them: 400 digits would become infinity."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        if not math.isfinite(raw):
            return None
        if abs(raw) >= 10**MAX_DIGITS:
            raise AnswerError(t._("Answer with a number of at most {limit} digits.", limit=MAX_DIGITS))
        return raw
    if not isinstance(raw, str):
        return None
    text = re.sub(r"[\s\u00a0\u202f]", "", raw).replace(",", ".")
    found = _NUMBER_RE.fullmatch(text)
    if found is None or not any(c.isdigit() for c in text):
        return None
    whole, fraction = found.group(1).lstrip("0"), (found.group(2) or "").rstrip("0")
    if len(whole) + len(fraction) > MAX_DIGITS:
        raise AnswerError(t._("Answer with a number of at most {limit} digits.", limit=MAX_DIGITS))
    return float(text) if "." in text else int(text)


def validate_answer(question: Question, raw: Any, t: Translator) -> Answer:
    """Check the answer a resident gave to ``question`` and return the value to store (see :data:`Answer`).

    ``raw`` is what the engine received: an option id from a button, a list of ids, or typed text (an
    option's text or its number, "oui", "12,5"…). Skipping an optional question is not an answer: the
    engine handles it before calling this. Raises AnswerError with a localized message that says what
    is expected.
    """
    if isinstance(raw, str):
        try:
            raw = clean(raw, multiline=True)
        except TextRefused as refused:
            raise AnswerError(refused.explain(t)) from None
    return question.check_answer(raw, t)
