"""The building blocks of a consultation definition: limits, field types, texts, options, and problems.

Every model of a definition (bot/consultations/model.py, the question types of bot/consultations/questions/,
the conditions of bot/consultations/conditions.py) is made of these. The format itself is documented in
docs/consultation-format.md.

A check that relates several fields returns :class:`Problem` values: where (a path of keys and indexes) and
what (rendered late, in the reader's language). A model built in Python raises on them (:func:`enforce`); the
loader (bot/consultations/loading.py) asks to defer them (:data:`DEFER`) and collects them all, each with
its line.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any, Final, Literal, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.i18n import LANGUAGES, normalize_language, translator
from bot.text import TextRefused, clean

# --------------------------------------------------------------------------- limits

DEFAULT_TIMEZONE: Final = "Europe/Paris"
MAX_FILE_CHARACTERS: Final = 200_000
"""A consultation of 50 questions fits in a tenth of this; the bound keeps parsing cheap."""
MAX_VALUES: Final = 20_000
"""Values the file may expand to once aliases are followed: refuses "billion laughs" alias bombs."""
MAX_QUESTIONS: Final = 50
MIN_OPTIONS: Final = 2
MAX_OPTIONS: Final = 12
MAX_RANKED_OPTIONS: Final = 6
"""Ordering more than six items one tap at a time in a chat is a chore nobody finishes."""
SCALE_BOUNDS: Final = (0, 10)
DEFAULT_FREE_TEXT_LENGTH: Final = 500
MAX_FREE_TEXT_LENGTH: Final = 2000
TITLE_LIMIT: Final = 120
DESCRIPTION_LIMIT: Final = 1500
"""Discord caps a message at 2,000 characters; the description shares its message with a button."""
THANKS_LIMIT: Final = 1000
QUESTION_LIMIT: Final = 500
OPTION_LIMIT: Final = 80
"""Discord's button label limit, as for micro-polls."""
LABEL_LIMIT: Final = 40
KEY_LIMIT: Final = 32
MAX_DIGITS: Final = 15
"""Significant digits of a number, in a file or an answer: a float holds 15 exactly, and no civic question
needs more (a longer answer would be stored rounded, or become infinity and break the JSON export)."""

CONSULTATION_ID_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]{1,38}[a-z0-9]")
"""3 to 40 characters: it is typed in commands (/launch place-du-marche) and fits a deep link c_<id>."""
KEY_RE: Final = re.compile(rf"[a-z0-9_-]{{1,{KEY_LIMIT}}}")

YES: Final = "yes"
NO: Final = "no"
OPERATORS: Final = ("equals", "not_equals", "in", "at_most", "at_least")
DEFER: Final = "civicbot.consultations.defer_checks"
"""Validation context flag: the loader runs the cross-field checks itself, to collect them all."""

# --------------------------------------------------------------------------- answers

OptionId: TypeAlias = str
YesNo: TypeAlias = Literal["yes", "no"]
Answer: TypeAlias = str | int | float | tuple[OptionId, ...]
"""What the engine stores for one answer:

single_choice → option id (str); multiple_choice → tuple of option ids, in the definition's order;
yes_no → "yes" or "no"; scale → int; ranking → tuple of option ids, best first; free_text → str;
number → int when the question says ``integer: true``, float otherwise.
"""

# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """A failed check: where (a path of keys and indexes), what (rendered late, in the reader's language).

    ``depends`` names the fields the check reads: when the loader had to drop one of them because its
    value was invalid, the check ran on a default and its verdict is discarded.
    """

    path: tuple[str | int, ...]
    # called with the reader's Translator; `...` because the checks bind their values as a lambda's defaults
    # (`lambda t, name=name: …`), which mypy cannot fit to Callable[[Translator], str]
    render: Callable[..., str]
    depends: frozenset[str] = frozenset()

    def under(self, *prefix: str | int) -> Problem:
        return replace(self, path=(*prefix, *self.path))


def enforce(problems: list[Problem], info: ValidationInfo) -> None:
    """Raise for a model built in Python; the loader asks to defer, and collects the problems itself."""
    if problems and not (info.context or {}).get(DEFER):
        english = translator("en")
        raise ValueError(
            "; ".join(
                f"{path_text(p.path)}: {p.render(english)}" if p.path else p.render(english) for p in problems
            )
        )


def path_text(path: Sequence[str | int]) -> str:
    """("questions", 2, "options", 0, "id") → "questions[2].options[0].id"."""
    text = ""
    for element in path:
        text += f"[{element}]" if isinstance(element, int) else (f".{element}" if text else str(element))
    return text


# --------------------------------------------------------------------------- field types


def custom(kind: str, template: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, template, context)


def number_to_text(value: Any) -> Any:
    """``id: 1`` or an option ``2`` is meant as text; YAML read it as a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _check_consultation_id(value: str) -> str:
    if not CONSULTATION_ID_RE.fullmatch(value):
        raise custom("consultation_id", "invalid consultation id {value!r}", value=value)
    return value


def _check_key(value: str) -> str:
    if not KEY_RE.fullmatch(value):
        raise custom("key", "invalid id {value!r}", value=value)
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise custom("timezone", "unknown time zone {value!r}", value=value) from None
    return value


def _number(value: Any) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise custom("number", "expected a number")
    if abs(value) >= 10**MAX_DIGITS:
        raise custom("number_too_long", "a number of more than {limit} digits", limit=MAX_DIGITS)
    return value


def _clean_text(value: str) -> str:
    """Texts of the file as residents will read them: NFC, no invisible characters, no control ones."""
    try:
        value = clean(value, multiline=True)
    except TextRefused as refused:
        raise custom("control_character", "control character {code}", code=refused.code) from None
    if not value:
        raise custom("string_too_short", "empty text")
    return value


def _condition_value(value: Any) -> str | int | float | None:
    """A value compared with an answer: an option id, yes/no (``true``/``false`` read as such) or a number."""
    if value is None:
        return None
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int | float) and math.isfinite(value):
        return value
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise custom("condition_value", "expected a single value")


def _condition_values(value: Any) -> tuple[str | int | float, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not value:
        raise custom("condition_values", "expected a non-empty list of values")
    values = [_condition_value(item) for item in value]
    if any(item is None for item in values):  # (an empty item of the list: nothing it could match)
        raise custom("condition_value", "expected a single value")
    return tuple(item for item in values if item is not None)


ConsultationId = Annotated[str, AfterValidator(_check_consultation_id)]
CleanText = Annotated[str, Field(min_length=1), AfterValidator(_clean_text)]
Key = Annotated[str, BeforeValidator(number_to_text), AfterValidator(_check_key)]
Timezone = Annotated[str, AfterValidator(_check_timezone)]
Number = Annotated[int | float | None, PlainValidator(_number)]
ConditionValue = Annotated[str | int | float | None, PlainValidator(_condition_value)]
ConditionValues = Annotated[tuple[str | int | float, ...] | None, PlainValidator(_condition_values)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class LocalizedText(Frozen):
    """A text in French (always) and English (optional). In YAML, a plain string is the French text."""

    fr: CleanText
    en: CleanText | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_string_is_french(cls, data: Any) -> Any:
        data = number_to_text(data)
        if isinstance(data, str):
            return {"fr": data}
        if isinstance(data, Mapping | LocalizedText):
            return data
        raise custom("localized_text", "expected a text or a mapping of languages")

    def get(self, language: str | None) -> str:
        """The text in ``language`` (``en``, ``en-GB``…), else French: a missing translation still reads."""
        if normalize_language(language) == "en" and self.en:
            return self.en
        return self.fr

    def items(self) -> Iterator[tuple[str, str]]:
        """(language, text) for each language given, French first."""
        for language in LANGUAGES:
            text = getattr(self, language)
            if text:
                yield language, text


def _limited(limit: int) -> AfterValidator:
    """A LocalizedText whose texts fit ``limit`` characters: chat messages and buttons are small."""

    def check(text: LocalizedText) -> LocalizedText:
        for language, value in text.items():
            if len(value) > limit:
                raise custom(
                    "text_too_long", "text too long", language=language, length=len(value), limit=limit
                )
        return text

    return AfterValidator(check)


Title = Annotated[LocalizedText, _limited(TITLE_LIMIT)]
Description = Annotated[LocalizedText, _limited(DESCRIPTION_LIMIT)]
Thanks = Annotated[LocalizedText, _limited(THANKS_LIMIT)]
QuestionText = Annotated[LocalizedText, _limited(QUESTION_LIMIT)]
OptionText = Annotated[LocalizedText, _limited(OPTION_LIMIT)]
Label = Annotated[LocalizedText, _limited(LABEL_LIMIT)]


def slugify(text: str, limit: int = KEY_LIMIT) -> str:
    """ "À pied" → "a-pied": the default option id, stable as long as the French text is."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].rstrip("-")


def _french(text: Any) -> str | None:
    text = number_to_text(text)
    if isinstance(text, Mapping):
        text = number_to_text(text.get("fr"))
    return text if isinstance(text, str) else None


class Option(Frozen):
    """One choice of a question. In YAML a plain string is its French text and its id is derived from it."""

    id: Key
    text: OptionText

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        data = number_to_text(data)
        if isinstance(data, str):
            data = {"text": data}
        if isinstance(data, Mapping) and "id" not in data:
            french = _french(data.get("text"))
            if french and slugify(french):
                data = {**data, "id": slugify(french)}
        elif not isinstance(data, Mapping | Option):
            raise custom("option", "expected an option")
        return data

    def label(self, language: str | None) -> str:
        return self.text.get(language)


OPERATOR_LIST: Final = ", ".join(OPERATORS)


def not_greater(path: tuple[str | int, ...], low: str, minimum: Any, high: str, maximum: Any) -> Problem:
    return Problem(
        path,
        lambda t: t._(
            "“{low}” ({minimum}) must not be greater than “{high}” ({maximum}).",
            low=low,
            minimum=minimum,
            high=high,
            maximum=maximum,
        ),
        frozenset({low, high}),
    )


def less_than(path: tuple[str | int, ...], low: str, minimum: Any, high: str, maximum: Any) -> Problem:
    return Problem(
        path,
        lambda t: t._(
            "“{low}” ({minimum}) must be less than “{high}” ({maximum}).",
            low=low,
            minimum=minimum,
            high=high,
            maximum=maximum,
        ),
        frozenset({low, high}),
    )


def more_than_options(name: str, value: int, count: int) -> Problem:
    return Problem(
        (name,),
        lambda t: t._(
            "“{field}” ({value}) is more than the number of options ({count}).",
            field=name,
            value=value,
            count=count,
        ),
        frozenset({name, "options"}),
    )
