"""What a consultation is: the YAML format organizers write, its models, and the checks on a file.

A consultation is a questionnaire (``Réaménagement de la place du marché — 8 questions``) that residents
answer one question at a time in a private chat. Organizers describe it in YAML (see FORMAT.md next to
this module); :func:`load_definition` turns the text into a frozen :class:`ConsultationDefinition` or
refuses it with :class:`DefinitionErrors`, which lists **every** problem of the file with its line
number, so an organizer fixes a file in one go instead of one error per attempt. Nothing is stored here.

The engine uses the models as they are (``defn.question("q3").options``), asks :meth:`is_visible` which
question comes next, and checks each answer a resident gives with :func:`validate_answer`, which returns
the typed :data:`Answer` it stores. :func:`definition_to_json` is the stable open-data export.

How the loader finds every problem with its line:

1. the text is composed by PyYAML into nodes (each knows its line) and built into plain data with YAML
   1.2 scalars: only ``true``/``false`` are booleans (``yes``, ``no``, ``on`` stay text, so an option
   ``Non`` or a condition ``equals: yes`` means what it says) and dates stay text (read by
   :func:`bot.dates.parse_when`);
2. pydantic validates the whole file and reports every structural problem (type, missing or unknown
   field, pattern, length), each with its ``loc``;
3. the checks that relate several fields (``min`` > ``max``, a condition on a later question, duplicate
   ids, ``closes`` before ``opens``…) are plain functions returning problems; the models' validators run
   them too, so a definition built in Python keeps the same invariants. The loader runs them on every
   part of the file that validated, the parts whose fields are wrong included (those fields dropped), so
   one problem does not hide another;
4. each ``loc`` or check path is mapped to the nearest YAML node, hence to its line.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, Self, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from babel.numbers import format_decimal
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictInt,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.dates import WhenError, parse_when
from bot.i18n import LANGUAGES, Translator, normalize_language, translator
from bot.text import TextRefused, clean, look_alike

__all__ = [
    "QUESTION_TYPES",
    "Answer",
    "AnswerError",
    "Condition",
    "ConsultationDefinition",
    "DefinitionError",
    "DefinitionErrors",
    "FreeTextQuestion",
    "LocalizedText",
    "MultipleChoiceQuestion",
    "NumberQuestion",
    "Option",
    "OptionId",
    "Question",
    "RankingQuestion",
    "ScaleQuestion",
    "SingleChoiceQuestion",
    "YesNo",
    "YesNoQuestion",
    "definition_to_json",
    "load_definition",
    "slugify",
    "validate_answer",
]

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
QUESTION_TYPES: Final = (
    "single_choice",
    "multiple_choice",
    "yes_no",
    "scale",
    "ranking",
    "free_text",
    "number",
)
OPERATORS: Final = ("equals", "not_equals", "in", "at_most", "at_least")

# Two instants far in the past: a date reads the same from both only if it does not depend on "now".
_PAST_A: Final = datetime(1970, 1, 1, tzinfo=UTC)
_PAST_B: Final = datetime(1971, 7, 1, tzinfo=UTC)
_DEFER: Final = "civicbot.consultations.defer_checks"
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


class AnswerError(ValueError):
    """A resident's answer cannot be accepted; ``message`` is localized and says what to do instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class _Problem:
    """A failed check: where (a path of keys and indexes), what (rendered late, in the reader's language).

    ``depends`` names the fields the check reads: when the loader had to drop one of them because its
    value was invalid, the check ran on a default and its verdict is discarded.
    """

    path: tuple[str | int, ...]
    render: Callable[[Translator], str]
    depends: frozenset[str] = frozenset()

    def under(self, *prefix: str | int) -> _Problem:
        return replace(self, path=(*prefix, *self.path))


def _enforce(problems: list[_Problem], info: ValidationInfo) -> None:
    """Raise for a model built in Python; the loader asks to defer, and collects the problems itself."""
    if problems and not (info.context or {}).get(_DEFER):
        english = translator("en")
        raise ValueError(
            "; ".join(
                f"{_path_text(p.path)}: {p.render(english)}" if p.path else p.render(english)
                for p in problems
            )
        )


def _path_text(path: Sequence[str | int]) -> str:
    """("questions", 2, "options", 0, "id") → "questions[2].options[0].id"."""
    text = ""
    for element in path:
        text += f"[{element}]" if isinstance(element, int) else (f".{element}" if text else str(element))
    return text


# --------------------------------------------------------------------------- field types


def _custom(kind: str, template: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, template, context)


def _number_to_text(value: Any) -> Any:
    """``id: 1`` or an option ``2`` is meant as text; YAML read it as a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _check_consultation_id(value: str) -> str:
    if not CONSULTATION_ID_RE.fullmatch(value):
        raise _custom("consultation_id", "invalid consultation id {value!r}", value=value)
    return value


def _check_key(value: str) -> str:
    if not KEY_RE.fullmatch(value):
        raise _custom("key", "invalid id {value!r}", value=value)
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise _custom("timezone", "unknown time zone {value!r}", value=value) from None
    return value


def _number(value: Any) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _custom("number", "expected a number")
    if abs(value) >= 10**MAX_DIGITS:
        raise _custom("number_too_long", "a number of more than {limit} digits", limit=MAX_DIGITS)
    return value


def _clean_text(value: str) -> str:
    """Texts of the file as residents will read them: NFC, no invisible characters, no control ones."""
    try:
        value = clean(value, multiline=True)
    except TextRefused as refused:
        raise _custom("control_character", "control character {code}", code=refused.code) from None
    if not value:
        raise _custom("string_too_short", "empty text")
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
    raise _custom("condition_value", "expected a single value")


def _condition_values(value: Any) -> tuple[str | int | float, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not value:
        raise _custom("condition_values", "expected a non-empty list of values")
    return tuple(_condition_value(item) for item in value)


ConsultationId = Annotated[str, AfterValidator(_check_consultation_id)]
CleanText = Annotated[str, Field(min_length=1), AfterValidator(_clean_text)]
Key = Annotated[str, BeforeValidator(_number_to_text), AfterValidator(_check_key)]
Timezone = Annotated[str, AfterValidator(_check_timezone)]
Number = Annotated[int | float | None, PlainValidator(_number)]
ConditionValue = Annotated[str | int | float | None, PlainValidator(_condition_value)]
ConditionValues = Annotated[tuple[str | int | float, ...] | None, PlainValidator(_condition_values)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class LocalizedText(_Frozen):
    """A text in French (always) and English (optional). In YAML, a plain string is the French text."""

    fr: CleanText
    en: CleanText | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_string_is_french(cls, data: Any) -> Any:
        data = _number_to_text(data)
        if isinstance(data, str):
            return {"fr": data}
        if isinstance(data, Mapping | LocalizedText):
            return data
        raise _custom("localized_text", "expected a text or a mapping of languages")

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
                raise _custom(
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
    text = _number_to_text(text)
    if isinstance(text, Mapping):
        text = _number_to_text(text.get("fr"))
    return text if isinstance(text, str) else None


class Option(_Frozen):
    """One choice of a question. In YAML a plain string is its French text and its id is derived from it."""

    id: Key
    text: OptionText

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        data = _number_to_text(data)
        if isinstance(data, str):
            data = {"text": data}
        if isinstance(data, Mapping) and "id" not in data:
            french = _french(data.get("text"))
            if french and slugify(french):
                data = {**data, "id": slugify(french)}
        elif not isinstance(data, Mapping | Option):
            raise _custom("option", "expected an option")
        return data

    def label(self, language: str | None) -> str:
        return self.text.get(language)


# --------------------------------------------------------------------------- conditions


class Condition(_Frozen):
    """``show_if``: the question is asked only when the answer to an earlier question matches.

    ``equals``/``not_equals``/``in`` compare with an option id (for a multiple choice: "is among the
    choices"), ``yes``/``no``, or a number (scale and number questions); ``at_most``/``at_least`` (which
    may be combined into a range) compare numbers. A condition on a question left unanswered (skipped,
    or itself hidden) is not met.
    """

    question: Key
    equals: ConditionValue = None
    not_equals: ConditionValue = None
    in_: ConditionValues = Field(default=None, validation_alias=AliasChoices("in", "in_"))
    at_most: Number = None
    at_least: Number = None

    @property
    def operators(self) -> tuple[str, ...]:
        """The operators given, as spelled in YAML (``in``, not ``in_``)."""
        return tuple(op for op in OPERATORS if self._value(op) is not None)

    def _value(self, operator: str) -> Any:
        return self.in_ if operator == "in" else getattr(self, operator)

    def compared_values(self) -> Iterator[tuple[tuple[str | int, ...], str, str | int | float]]:
        """(path inside the condition, operator, value) for every value the answer is compared with."""
        for operator in self.operators:
            value = self._value(operator)
            if operator == "in":
                for index, item in enumerate(value):
                    yield (operator, index), operator, item
            else:
                yield (operator,), operator, value

    def _problems(self) -> list[_Problem]:
        operators = self.operators
        if not operators:
            return [
                _Problem((), lambda t: t._("A condition needs an operator: {operators}.", operators=_OPS))
            ]
        if len(operators) > 1 and set(operators) != {"at_most", "at_least"}:
            first, second = operators[:2]
            return [
                _Problem(
                    (second,),
                    lambda t: t._(
                        "A condition takes one operator, but “{first}” and “{second}” are both given "
                        "(only at_least and at_most combine, into a range).",
                        first=first,
                        second=second,
                    ),
                )
            ]
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            return [_not_greater(("at_least",), "at_least", self.at_least, "at_most", self.at_most)]
        return []

    @model_validator(mode="after")
    def _check_condition(self, info: ValidationInfo) -> Self:
        _enforce(self._problems(), info)
        return self

    def is_met(self, question: Question, answer: Answer | None) -> bool:
        """Whether ``answer``, given to ``question`` (the one this condition names), makes it hold."""
        if answer is None:
            return False
        if isinstance(question, MultipleChoiceQuestion):
            chosen = set(answer) if isinstance(answer, tuple) else {answer}
            if self.equals is not None:
                return str(self.equals) in chosen
            if self.not_equals is not None:
                return str(self.not_equals) not in chosen
            return any(str(value) in chosen for value in self.in_ or ())
        if isinstance(question, ScaleQuestion | NumberQuestion):
            if not isinstance(answer, int | float):
                return False
            if self.equals is not None:
                return answer == self.equals
            if self.not_equals is not None:
                return answer != self.not_equals
            if self.in_ is not None:
                return answer in self.in_
            low_ok = self.at_least is None or answer >= self.at_least
            return low_ok and (self.at_most is None or answer <= self.at_most)
        # single_choice, yes_no: the answer is one id
        if self.equals is not None:
            return answer == str(self.equals)
        if self.not_equals is not None:
            return answer != str(self.not_equals)
        return answer in {str(value) for value in self.in_ or ()}


_OPS = ", ".join(OPERATORS)


def _not_greater(path: tuple[str | int, ...], low: str, minimum: Any, high: str, maximum: Any) -> _Problem:
    return _Problem(
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


def _less_than(path: tuple[str | int, ...], low: str, minimum: Any, high: str, maximum: Any) -> _Problem:
    return _Problem(
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


def _more_than_options(name: str, value: int, count: int) -> _Problem:
    return _Problem(
        (name,),
        lambda t: t._(
            "“{field}” ({value}) is more than the number of options ({count}).",
            field=name,
            value=value,
            count=count,
        ),
        frozenset({name, "options"}),
    )


# --------------------------------------------------------------------------- questions


class _QuestionBase(_Frozen):
    """What every question has. ``type`` is set by each subclass: the YAML ``type`` picks the class."""

    id: Key
    type: str
    text: QuestionText
    optional: bool = False
    show_if: Condition | None = None

    def _problems(self) -> list[_Problem]:
        """Checks that relate several fields of this question (subclasses add theirs)."""
        if self.show_if is None:
            return []
        return [
            replace(p.under("show_if"), depends=p.depends | {"show_if"}) for p in self.show_if._problems()
        ]

    @model_validator(mode="after")
    def _check_question(self, info: ValidationInfo) -> Self:
        _enforce(self._problems(), info)
        return self


class _ChoiceQuestion(_QuestionBase):
    options: Annotated[tuple[Option, ...], Field(min_length=MIN_OPTIONS, max_length=MAX_OPTIONS)]

    @property
    def option_ids(self) -> tuple[OptionId, ...]:
        return tuple(option.id for option in self.options)

    def option(self, option_id: str) -> Option:
        """The option with this id (KeyError otherwise)."""
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(option_id)

    def _problems(self) -> list[_Problem]:
        problems = super()._problems()
        seen: set[str] = set()
        for index, option in enumerate(self.options):
            if option.id in seen:
                problems.append(
                    _Problem(
                        ("options", index, "id"),
                        lambda t, option_id=option.id: t._(
                            "Two options of this question have the id “{id}”; give each one its own id.",
                            id=option_id,
                        ),
                        frozenset({"options"}),
                    )
                )
            seen.add(option.id)
        return problems + self._look_alike_problems()

    def _look_alike_problems(self) -> list[_Problem]:
        """Two options a resident could not tell apart (case, accents written two ways, letters of another
        alphabet), in either language; options with the same id are reported as such already."""
        problems: list[_Problem] = []
        for language in LANGUAGES:
            options = [o for o in self.options if getattr(o.text, language)]
            twins = look_alike([getattr(o.text, language) for o in options])
            if twins is None or options[twins[0]].id == options[twins[1]].id:
                continue
            first, second = (self.options.index(options[n]) for n in twins)
            problems.append(
                _Problem(
                    ("options", second),
                    lambda t, a=first, b=second, language=language: t._(
                        "Options {first_number} and {second_number} look the same: “{first}” and "
                        "“{second}”. Write options that read differently.",
                        first_number=a + 1,
                        second_number=b + 1,
                        first=getattr(self.options[a].text, language),
                        second=getattr(self.options[b].text, language),
                    ),
                    frozenset({"options"}),
                )
            )
        return problems


class SingleChoiceQuestion(_ChoiceQuestion):
    """One option among 2 to 12."""

    type: Literal["single_choice"] = "single_choice"


class MultipleChoiceQuestion(_ChoiceQuestion):
    """Between ``min_choices`` (default 1) and ``max_choices`` (default: all) options among 2 to 12."""

    type: Literal["multiple_choice"] = "multiple_choice"
    min_choices: StrictInt = Field(default=1, ge=1)
    max_choices: StrictInt | None = Field(default=None, ge=1)

    @property
    def choice_limit(self) -> int:
        """``max_choices``, or the number of options when it is not given."""
        return self.max_choices if self.max_choices is not None else len(self.options)

    def _problems(self) -> list[_Problem]:
        problems = super()._problems()
        count = len(self.options)
        if self.max_choices is not None and self.min_choices > self.max_choices:
            problems.append(
                _not_greater(
                    ("min_choices",), "min_choices", self.min_choices, "max_choices", self.max_choices
                )
            )
        elif self.min_choices > count:
            problems.append(_more_than_options("min_choices", self.min_choices, count))
        if self.max_choices is not None and self.max_choices > count:
            problems.append(_more_than_options("max_choices", self.max_choices, count))
        return problems


class YesNoQuestion(_QuestionBase):
    """Yes or no; the answer is "yes" or "no" whatever the language the buttons speak."""

    type: Literal["yes_no"] = "yes_no"

    @property
    def option_ids(self) -> tuple[OptionId, ...]:
        return (YES, NO)


class ScaleQuestion(_QuestionBase):
    """A whole number from ``min`` to ``max`` (within 0..10, so at most 11 buttons), labels at both ends."""

    type: Literal["scale"] = "scale"
    min: StrictInt = Field(default=1, ge=SCALE_BOUNDS[0], le=SCALE_BOUNDS[1])
    max: StrictInt = Field(default=5, ge=SCALE_BOUNDS[0], le=SCALE_BOUNDS[1])
    min_label: Label | None = None
    max_label: Label | None = None

    def _problems(self) -> list[_Problem]:
        problems = super()._problems()
        if self.min >= self.max:
            problems.append(_less_than(("min",), "min", self.min, "max", self.max))
        return problems


class RankingQuestion(_ChoiceQuestion):
    """Order 2 to 6 options, best first; residents rank exactly ``max_ranked`` of them (default: all)."""

    type: Literal["ranking"] = "ranking"
    options: Annotated[tuple[Option, ...], Field(min_length=MIN_OPTIONS, max_length=MAX_RANKED_OPTIONS)]
    max_ranked: StrictInt | None = Field(default=None, ge=1)

    @property
    def ranked_count(self) -> int:
        """How many options an answer ranks: ``max_ranked``, or all of them."""
        return self.max_ranked if self.max_ranked is not None else len(self.options)

    def _problems(self) -> list[_Problem]:
        problems = super()._problems()
        if self.max_ranked is not None and self.max_ranked > len(self.options):
            problems.append(_more_than_options("max_ranked", self.max_ranked, len(self.options)))
        return problems


class FreeTextQuestion(_QuestionBase):
    """A text of at most ``max_length`` characters (1..2000, default 500)."""

    type: Literal["free_text"] = "free_text"
    max_length: StrictInt = Field(default=DEFAULT_FREE_TEXT_LENGTH, ge=1, le=MAX_FREE_TEXT_LENGTH)


class NumberQuestion(_QuestionBase):
    """A number between optional bounds; ``integer: true`` asks for a whole number."""

    type: Literal["number"] = "number"
    min: Number = None
    max: Number = None
    integer: bool = False

    def _problems(self) -> list[_Problem]:
        problems = super()._problems()
        if self.min is not None and self.max is not None and self.min >= self.max:
            problems.append(_less_than(("min",), "min", self.min, "max", self.max))
        if self.integer:
            for name in ("min", "max"):
                value = getattr(self, name)
                if value is not None and value != int(value):
                    problems.append(
                        _Problem(
                            (name,),
                            lambda t, name=name: t._(
                                "With “integer: true”, “{field}” must be a whole number.", field=name
                            ),
                            frozenset({name, "integer"}),
                        )
                    )
        return problems


Question = Annotated[
    SingleChoiceQuestion
    | MultipleChoiceQuestion
    | YesNoQuestion
    | ScaleQuestion
    | RankingQuestion
    | FreeTextQuestion
    | NumberQuestion,
    Field(discriminator="type"),
]
"""Any question; the YAML ``type`` field picks the model."""

_QUESTION: Final = TypeAdapter(Question)
_QUESTION_CLASSES: Final[dict[str, type[_QuestionBase]]] = {
    "single_choice": SingleChoiceQuestion,
    "multiple_choice": MultipleChoiceQuestion,
    "yes_no": YesNoQuestion,
    "scale": ScaleQuestion,
    "ranking": RankingQuestion,
    "free_text": FreeTextQuestion,
    "number": NumberQuestion,
}


# --------------------------------------------------------------------------- the consultation


_ISO_START_RE: Final = re.compile(r"\d{4}-\d")


def _instant(value: Any, tz: str) -> datetime:
    """A date of the file as an aware UTC instant; wall times are read in the consultation's zone.

    Text goes through :func:`bot.dates.parse_when` (``2026-12-01 09:00``, ``1er décembre 2026 9h``…)
    with a "now" far in the past, so a consultation that already opened can still be imported; text
    that means something else tomorrow (``demain 18h``, ``5 décembre``) is refused: a file is read
    again later, and must mean the same then.
    """
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(tz))
        return aware.astimezone(UTC)
    if not isinstance(value, str):
        raise _custom("date", "invalid date {value!r}", value=str(value))
    if _ISO_START_RE.match(value.strip()):
        # parse_when hands an invalid ISO date to dateparser, which reads 2026-13-01 as 13 January
        try:
            datetime.fromisoformat(value.strip())
        except ValueError:
            raise _custom("date", "invalid date {value!r}", value=value) from None
    try:
        first = parse_when(value, now=_PAST_A, tz=tz, language="fr")
        second = parse_when(value, now=_PAST_B, tz=tz, language="fr")
    except WhenError:
        raise _custom("date", "invalid date {value!r}", value=value) from None
    if first != second:
        raise _custom("relative_date", "relative date {value!r}", value=value)
    return first


class _Schedule(_Frozen):
    """The dates of a consultation; a class of its own so the loader can check them apart from the rest."""

    timezone: Timezone = DEFAULT_TIMEZONE
    opens_at: datetime | None = Field(default=None, validation_alias=AliasChoices("opens", "opens_at"))
    closes_at: datetime = Field(validation_alias=AliasChoices("closes", "closes_at"))

    @field_validator("opens_at", "closes_at", mode="before")
    @classmethod
    def _read_local_time(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return None
        # an invalid time zone was reported on its own line; read the dates in the default one meanwhile
        return _instant(value, info.data.get("timezone", DEFAULT_TIMEZONE))

    def _schedule_problems(self) -> list[_Problem]:
        if self.opens_at is None or self.closes_at > self.opens_at:
            return []
        zone = ZoneInfo(self.timezone)
        opens, closes = (_local(instant, zone) for instant in (self.opens_at, self.closes_at))
        return [
            _Problem(
                ("closes",),
                lambda t: t._(
                    "The consultation closes ({closes}) before it opens ({opens}).",
                    closes=closes,
                    opens=opens,
                ),
                frozenset({"opens", "closes"}),
            )
        ]

    @model_validator(mode="after")
    def _check_schedule(self, info: ValidationInfo) -> Self:
        _enforce(self._schedule_problems(), info)
        return self


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


class ConsultationDefinition(_Schedule):
    """A consultation as its organizers defined it: checked, immutable, dates in UTC.

    ``opens_at`` None means it opens when an organizer launches it. ``anonymous`` (default true): answers
    are never linked to a resident. ``results_public`` (default false): after closing, results are shown
    to everyone, not only organizers.
    """

    id: ConsultationId
    title: Title
    description: Description
    thanks: Thanks
    anonymous: bool = True
    results_public: bool = False
    questions: Annotated[tuple[Question, ...], Field(min_length=1, max_length=MAX_QUESTIONS)]

    @model_validator(mode="after")
    def _check_questions(self, info: ValidationInfo) -> Self:
        _enforce(_cross_problems(self.questions, [q.id for q in self.questions]), info)
        return self

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError otherwise)."""
        return self.questions[self.index(question_id)]

    def index(self, question_id: str) -> int:
        """Position of the question (0-based) in the order residents see them (KeyError otherwise)."""
        for position, question in enumerate(self.questions):
            if question.id == question_id:
                return position
        raise KeyError(question_id)

    def is_visible(self, question: Question | str, answers: Mapping[str, Answer]) -> bool:
        """Whether ``question`` is asked, given the ``answers`` so far (question id → answer).

        A question without ``show_if`` always is. Otherwise the question it depends on must be visible
        itself and answered so that the condition holds: an answer left over from a question that is
        now hidden (a resident went back and changed an earlier answer) does not count.
        """
        current = self.question(question) if isinstance(question, str) else question
        while current.show_if is not None:
            target = self.question(current.show_if.question)
            if not current.show_if.is_met(target, answers.get(target.id)):
                return False
            current = target
        return True


def _cross_problems(questions: Sequence[Question | None], ids: Sequence[str | None]) -> list[_Problem]:
    """Checks between questions: unique ids, and conditions on an earlier question with fitting values.

    ``questions`` may hold None for a question too broken to check, and ``ids`` the id each question
    declares (None when unreadable): a condition on a broken question is not reported as unknown.
    """
    problems: list[_Problem] = []
    first_seen: dict[str, int] = {}
    for index, question_id in enumerate(ids):
        if question_id is None:
            continue
        if question_id in first_seen:
            number = first_seen[question_id] + 1
            problems.append(
                _Problem(
                    ("questions", index, "id"),
                    lambda t, question_id=question_id, number=number: t._(
                        "The question id “{id}” is already used by question {number}.",
                        id=question_id,
                        number=number,
                    ),
                )
            )
        else:
            first_seen[question_id] = index
    for index, question in enumerate(questions):
        if question is None or question.show_if is None:
            continue
        condition = question.show_if
        target_index = first_seen.get(condition.question)
        at = ("questions", index, "show_if")
        if target_index is None:
            problems.append(
                _Problem(
                    (*at, "question"),
                    lambda t, ref=condition.question: t._(
                        "This condition refers to an unknown question “{id}”.", id=ref
                    ),
                )
            )
        elif target_index == index:
            problems.append(_Problem((*at, "question"), lambda t: t._("A question cannot depend on itself.")))
        elif target_index > index:
            problems.append(
                _Problem(
                    (*at, "question"),
                    lambda t, ref=condition.question: t._(
                        "This condition refers to question “{id}”, which comes later: a question can only "
                        "depend on an earlier one.",
                        id=ref,
                    ),
                )
            )
        elif (target := questions[target_index]) is not None:
            problems.extend(p.under(*at) for p in _condition_value_problems(condition, target))
    return problems


def _condition_value_problems(condition: Condition, target: Question) -> list[_Problem]:
    """The values of ``condition`` must be possible answers of ``target``, with operators that fit it."""
    if isinstance(target, FreeTextQuestion | RankingQuestion):
        return [
            _Problem(
                ("question",),
                lambda t, kind=target.type: t._("A condition cannot depend on a {type} question.", type=kind),
            )
        ]
    problems: list[_Problem] = []
    for path, operator, value in condition.compared_values():
        if isinstance(target, ScaleQuestion | NumberQuestion):
            problem = _numeric_condition_problem(target, value)
        elif operator in ("at_most", "at_least"):
            problem = _Problem(
                (),
                lambda t, operator=operator: t._(
                    "“{operator}” applies only to scale and number questions.", operator=operator
                ),
            )
        elif str(value) not in target.option_ids:
            problem = _Problem(
                (),
                lambda t, value=value, target=target: t._(
                    "“{value}” is not an option of question “{id}”; expected one of: {options}.",
                    value=value,
                    id=target.id,
                    options=", ".join(target.option_ids),
                ),
            )
        else:
            problem = None
        if problem is not None:
            problems.append(problem.under(*path))
    return problems


def _numeric_condition_problem(target: ScaleQuestion | NumberQuestion, value: Any) -> _Problem | None:
    if not isinstance(value, int | float):
        return _Problem(
            (),
            lambda t: t._(
                "“{value}” is not a number, and question “{id}” takes numbers.", value=value, id=target.id
            ),
        )
    if isinstance(target, ScaleQuestion):
        if value != int(value) or not target.min <= value <= target.max:
            return _Problem(
                (),
                lambda t: t._(
                    "{value} is not a possible answer to question “{id}”: whole numbers from {minimum} to "
                    "{maximum}.",
                    value=value,
                    id=target.id,
                    minimum=target.min,
                    maximum=target.max,
                ),
            )
        return None
    if target.min is not None and value < target.min:
        return _Problem(
            (),
            lambda t: t._(
                "{value} is below the minimum of question “{id}” ({minimum}).",
                value=value,
                id=target.id,
                minimum=target.min,
            ),
        )
    if target.max is not None and value > target.max:
        return _Problem(
            (),
            lambda t: t._(
                "{value} is above the maximum of question “{id}” ({maximum}).",
                value=value,
                id=target.id,
                maximum=target.max,
            ),
        )
    return None


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class DefinitionError:
    """One problem of a definition file: its line (1-based; None when the file has no lines to point
    at), the path of the offending value (``questions[2].options``) and a localized message."""

    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class DefinitionErrors(Exception):
    """The file was refused, and nothing was stored; ``errors`` lists every problem, in line order."""

    def __init__(self, errors: Sequence[DefinitionError]) -> None:
        self.errors: list[DefinitionError] = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(map(str, self.errors))

    def report(self, t: Translator) -> str:
        """The message for the organizer, in their language: a heading, then one problem per line."""
        heading = t.n_(
            "This consultation file has {count} problem; nothing was stored:",
            "This consultation file has {count} problems; nothing was stored:",
            len(self.errors),
        )
        lines = [
            t._("line {line}: {message}", line=e.line, message=e.message) if e.line is not None else e.message
            for e in self.errors
        ]
        return "\n".join([heading, *lines])


# --------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 scalars: ``yes``/``no``/``on``/``off`` stay text, and so do
    dates (``2026-12-01``) and sexagesimal numbers (``18:00``), and ``010`` is not octal."""


_DROPPED_TAGS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)


class _Refused(Exception):
    """The file cannot be read further (syntax error, alias bomb…): report what was found so far."""

    def __init__(self, line: int | None, render: Callable[[Translator], str]) -> None:
        super().__init__()
        self.line = line
        self.render = render


def _parse(text: str) -> tuple[Node, Any]:
    if len(text) > MAX_FILE_CHARACTERS:
        raise _Refused(
            None,
            lambda t: t._(
                "The file is too large: {size} characters; the limit is {limit}.",
                size=len(text),
                limit=MAX_FILE_CHARACTERS,
            ),
        )
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _Refused(1, lambda t: t._("The file is empty."))
        _check_size(node)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise _Refused(*_syntax_error(exc)) from None
    except yaml.YAMLError as exc:  # unmarked errors (e.g. a character YAML does not allow)
        detail = str(exc)
        raise _Refused(None, lambda t: t._("YAML syntax error: {problem}.", problem=detail)) from None
    finally:
        loader.dispose()
    return node, data


def _syntax_error(exc: yaml.MarkedYAMLError) -> tuple[int | None, Callable[[Translator], str]]:
    """PyYAML's own words (English) for what is wrong, at the line where reading failed; an unclosed
    bracket or quote fails further down, so the line where the construct started is named too."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "?"
    start = exc.context_mark
    if exc.problem and exc.context and start is not None and mark is not None and start.line != mark.line:
        context, started = exc.context, start.line + 1
        return mark.line + 1, lambda t: t._(
            "YAML syntax error: {problem} ({context}, started on line {line}).",
            problem=problem,
            context=context,
            line=started,
        )
    return (mark.line + 1 if mark else None), lambda t: t._("YAML syntax error: {problem}.", problem=problem)


def _check_size(root: Node) -> None:
    """Count values as if aliases were copied: a few lines of aliases can expand to billions."""
    budget = MAX_VALUES
    stack = [root]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            raise _Refused(
                None,
                lambda t: t._(
                    "The file is too complex: it expands to more than {limit} values.", limit=MAX_VALUES
                ),
            )
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.extend((key, value))


def _duplicate_keys(root: Node) -> Iterator[tuple[int, _Problem]]:
    """PyYAML keeps the last of two equal keys silently; a file saying two things is a mistake."""
    seen: set[int] = set()
    stack: list[tuple[Node, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
        elif isinstance(node, MappingNode):
            keys: set[str] = set()
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    if key.value in keys:
                        yield (
                            key.start_mark.line + 1,
                            _Problem(
                                (*path, key.value),
                                lambda t, name=key.value: t._(
                                    "The field “{field}” is given twice.", field=name
                                ),
                            ),
                        )
                    keys.add(key.value)
                    stack.append((value, (*path, key.value)))


def _line(root: Node, path: Sequence[str | int]) -> int:
    """Line (1-based) of the node ``path`` leads to, or of the nearest existing ancestor: a mapping's
    entry is pointed at by its key, a list item by its first character."""
    node, line = root, root.start_mark.line
    for element in path:
        if isinstance(node, MappingNode):
            entry = None
            for key, value in node.value:  # the last equal key wins, as in the data
                if isinstance(key, ScalarNode) and key.value == str(element):
                    entry = (key, value)
            if entry is None:
                break
            line, node = entry[0].start_mark.line, entry[1]
        elif isinstance(node, SequenceNode) and isinstance(element, int) and 0 <= element < len(node.value):
            node = node.value[element]
            line = node.start_mark.line
        else:
            break
    return line + 1


# --------------------------------------------------------------------------- pydantic errors


def _clean_loc(loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """Drop the union tag pydantic puts in a question's loc: ("questions", 2, "scale", "min")."""
    out: list[str | int] = []
    for element in loc:
        if len(out) == 2 and out[0] == "questions" and isinstance(out[1], int) and element in QUESTION_TYPES:
            continue
        out.append(element)
    return tuple(out)


def _keys(model: type[BaseModel]) -> list[str]:
    """The YAML keys a model accepts (its aliases, ``in`` rather than ``in_``)."""
    keys = []
    for name, info in model.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            alias = alias.choices[0]
        keys.append(alias if isinstance(alias, str) else name)
    return keys


_TEXT_FIELDS = {"title", "description", "thanks", "text", "min_label", "max_label"}


def _model_at(data: Any, path: Sequence[str | int]) -> type[BaseModel] | None:
    """The model that validates the mapping at ``path`` of the raw data, to list the keys it accepts."""
    if not path:
        return ConsultationDefinition
    last = path[-1]
    if isinstance(last, str):
        if last == "show_if":
            return Condition
        return LocalizedText if last in _TEXT_FIELDS else None
    if len(path) == 2 and path[0] == "questions":
        try:
            kind = data["questions"][last]["type"]
        except (KeyError, IndexError, TypeError):
            return None
        return _QUESTION_CLASSES.get(kind) if isinstance(kind, str) else None
    return Option if len(path) >= 2 and path[-2] == "options" else None


def _describe(error: Mapping[str, Any], loc: tuple[str | int, ...], data: Any, t: Translator) -> str:
    """A pydantic error, in the organizer's words and language."""
    kind: str = error["type"]
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    name = loc[-1] if loc else ""
    types = ", ".join(QUESTION_TYPES)
    if not loc and kind in ("model_type", "model_attributes_type", "dict_type"):
        return t._(
            "The file must describe a consultation: a mapping of fields such as id, title and questions."
        )
    if kind == "missing":
        if len(loc) >= 3 and loc[-3] == "options" and name == "id":
            return t._("This option needs an “id”: its French text gives none.")
        if name == "fr":
            return t._("The French text (fr) is required.")
        return t._("The field “{field}” is missing.", field=name)
    if kind == "extra_forbidden":
        model = _model_at(data, loc[:-1])
        if model is None:
            return t._("Unknown field “{field}”.", field=name)
        keys = _keys(model)
        close = difflib.get_close_matches(str(name), keys, n=1)
        if close:
            return t._(
                "Unknown field “{field}”; did you mean “{suggestion}”?", field=name, suggestion=close[0]
            )
        return t._("Unknown field “{field}”; expected one of: {fields}.", field=name, fields=", ".join(keys))
    if kind == "invalid_key":
        return t._("Field names must be text.")
    if kind == "union_tag_invalid":
        return t._(
            "Unknown question type “{type}”; expected one of: {types}.", type=ctx.get("tag"), types=types
        )
    if kind == "union_tag_not_found":
        return t._("The field “type” is missing; expected one of: {types}.", types=types)
    if kind == "string_type":
        return t._("Expected a text.")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return t._("Expected a whole number.")
    if kind in ("bool_type", "bool_parsing"):
        return t._("Expected true or false.")
    if kind in ("list_type", "tuple_type"):
        return t._("Expected a list.")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return t._("Expected a mapping of fields (name: value).")
    if kind == "string_too_short":
        return t._("This text is empty.")
    if kind in ("too_short", "too_long"):
        return _describe_length(kind, name, ctx, t)
    if kind == "greater_than_equal":
        return t._("The value must be at least {limit}.", limit=ctx.get("ge"))
    if kind == "less_than_equal":
        return t._("The value must be at most {limit}.", limit=ctx.get("le"))
    if kind == "consultation_id":
        return t._(
            "The id “{value}” is not valid: use 3 to 40 lowercase letters, digits and hyphens, "
            "not starting or ending with a hyphen.",
            value=ctx.get("value"),
        )
    if kind == "key":
        return t._(
            "The id “{value}” is not valid: use 1 to {limit} lowercase letters, digits, - and _.",
            value=ctx.get("value"),
            limit=KEY_LIMIT,
        )
    if kind == "localized_text":
        return t._("Expected a text, or a mapping of languages (fr, en).")
    if kind == "text_too_long":
        return t._(
            "The text ({language}) is {length} characters long; the limit is {limit}.",
            language=ctx.get("language"),
            length=ctx.get("length"),
            limit=ctx.get("limit"),
        )
    if kind == "option":
        return t._("Expected an option: a text, or a mapping with “id” and “text”.")
    if kind == "timezone":
        return t._("Unknown time zone “{value}”; use a name such as Europe/Paris.", value=ctx.get("value"))
    if kind == "date":
        return t._(
            "“{value}” is not a date: write it as 2026-12-01 09:00 (local time).", value=ctx.get("value")
        )
    if kind == "relative_date":
        return t._(
            "“{value}” depends on today's date: write the full date with its year, such as 2026-12-01 09:00.",
            value=ctx.get("value"),
        )
    if kind == "number":
        return t._("Expected a number.")
    if kind == "number_too_long":
        return t._("A number has at most {limit} digits.", limit=ctx.get("limit"))
    if kind == "control_character":
        return t._(
            "This text contains an invisible control character ({code}) that cannot be kept; remove it.",
            code=ctx.get("code"),
        )
    if kind == "condition_value":
        return t._("Expected a single value: an option id, yes or no, or a number.")
    if kind == "condition_values":
        return t._("Expected a non-empty list of values.")
    return t._("Invalid value: {detail}", detail=error.get("msg", kind))


def _raw_at(data: Any, path: Sequence[str | int]) -> Any:
    """The raw value at ``path`` of the file's data, or None."""
    for element in path:
        try:
            data = data[element]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _recount(error: Mapping[str, Any], raw: Any) -> Mapping[str, Any] | None:
    """Pydantic counts a list's items after validation: a list of two options, one of them invalid, is
    "too short". Count what the file holds instead; None when the length is right after all (the invalid
    item has its own error)."""
    if error["type"] not in ("too_short", "too_long") or not isinstance(raw, list):
        return error
    ctx = error.get("ctx") or {}
    count = len(raw)
    if error["type"] == "too_short" and count >= ctx.get("min_length", 0):
        return None
    if error["type"] == "too_long" and count <= ctx.get("max_length", count):
        return None
    return {**error, "ctx": {**ctx, "actual_length": count}}


def _describe_length(kind: str, name: str | int, ctx: Mapping[str, Any], t: Translator) -> str:
    count = ctx.get("actual_length")
    if kind == "too_short":
        minimum = ctx.get("min_length")
        if name == "options":
            return t._(
                "A question of this type needs at least {minimum} options; there are {count}.",
                minimum=minimum,
                count=count,
            )
        if name == "questions":
            return t._("A consultation needs at least one question.")
        return t._("Too few items: at least {minimum}, and there are {count}.", minimum=minimum, count=count)
    maximum = ctx.get("max_length")
    if name == "options":
        return t._(
            "A question of this type has at most {maximum} options; there are {count}.",
            maximum=maximum,
            count=count,
        )
    return t._("Too many items: at most {maximum}, and there are {count}.", maximum=maximum, count=count)


# --------------------------------------------------------------------------- loading


_SCHEDULE_KEYS = ("timezone", "opens", "closes", "opens_at", "closes_at")
_PLACEHOLDER_TEXT = "…"
"""Stands for an invalid question text while checking the rest of the question (no check reads it)."""


def _partially(validate: Callable[[dict[str, Any]], Any], raw: Mapping[Any, Any], bad: set[Any]) -> Any:
    """Validate ``raw`` without its invalid fields, so the checks can still run on the rest; None if even
    that fails (a required field is wrong: the error about it is reported already)."""
    kept = {key: value for key, value in raw.items() if key not in bad}
    if "text" in bad:
        kept["text"] = _PLACEHOLDER_TEXT
    try:
        return validate(kept)
    except ValidationError:
        return None


def _usable(problems: Iterable[_Problem], bad: set[Any]) -> list[_Problem]:
    return [p for p in problems if not p.depends & bad]


def load_definition(text: str, *, t: Translator, now: datetime | None = None) -> ConsultationDefinition:
    """Read a consultation's YAML, or refuse it with every problem and its line (DefinitionErrors).

    ``now``, when given, also refuses a consultation whose closing date is already past (importing it
    would be pointless); one that already opened is accepted. Messages are in ``t``'s language.
    """
    if now is not None and now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    try:
        root, data = _parse(text)
    except _Refused as refused:
        raise DefinitionErrors([DefinitionError(refused.line, "", refused.render(t))]) from None
    found: list[tuple[int | None, tuple[str | int, ...], str]] = [
        (line, p.path, p.render(t)) for line, p in _duplicate_keys(root)
    ]
    deferred = {_DEFER: True}
    definition: ConsultationDefinition | None = None
    bad_locs: list[tuple[str | int, ...]] = []
    try:
        definition = ConsultationDefinition.model_validate(data, context=deferred)
    except ValidationError as exc:
        for raw_error in exc.errors():
            loc = _clean_loc(raw_error["loc"])
            error = _recount(raw_error, _raw_at(data, loc))
            if error is None:
                continue
            bad_locs.append(loc)
            found.append((_line(root, loc), loc, _describe(error, loc, data, t)))

    problems: list[_Problem] = []
    if isinstance(data, Mapping):
        problems = _check_parts(data, bad_locs, definition, now)
    found.extend((_line(root, p.path), p.path, p.render(t)) for p in problems)
    if found:
        found.sort(key=lambda item: (item[0] if item[0] is not None else 0, _path_text(item[1])))
        raise DefinitionErrors(
            [DefinitionError(line, _path_text(path), message) for line, path, message in found]
        )
    assert definition is not None  # no error means pydantic accepted the file
    return definition


def _check_parts(
    data: Mapping[str, Any],
    bad_locs: list[tuple[str | int, ...]],
    definition: ConsultationDefinition | None,
    now: datetime | None,
) -> list[_Problem]:
    """Run the cross-field checks on every part of the file that validates, once its bad fields are set
    aside: the dates, each question, then the questions together."""

    def bad_under(*prefix: str | int) -> set[Any] | None:
        """Keys under ``prefix`` that had an error; None when the object at ``prefix`` itself is wrong."""
        keys: set[Any] = set()
        for loc in bad_locs:
            if loc[: len(prefix)] == prefix:
                if len(loc) == len(prefix):
                    return None
                keys.add(loc[len(prefix)])
        return keys

    problems: list[_Problem] = []
    top_bad = bad_under() or set()
    raw_schedule = {key: data[key] for key in _SCHEDULE_KEYS if key in data}
    schedule: _Schedule | None = _partially(
        lambda raw: _Schedule.model_validate(raw, context={_DEFER: True}), raw_schedule, top_bad
    )
    if schedule is not None:
        problems += _usable(schedule._schedule_problems(), top_bad)
        if now is not None and "closes" not in top_bad and schedule.closes_at <= now:
            closes = _local(schedule.closes_at, ZoneInfo(schedule.timezone))
            problems.append(
                _Problem(
                    ("closes",),
                    lambda t: t._("This consultation already closed ({closes}).", closes=closes),
                )
            )

    raw_questions = data.get("questions")
    if definition is not None:
        questions: list[Question | None] = list(definition.questions)
        ids: list[str | None] = [q.id for q in definition.questions]
    elif isinstance(raw_questions, list):
        questions, ids = [], []
        for index, raw in enumerate(raw_questions):
            bad = bad_under("questions", index)
            question = None
            if bad is not None and isinstance(raw, Mapping):
                question = _partially(
                    lambda kept: _QUESTION.validate_python(kept, context={_DEFER: True}), raw, bad
                )
            questions.append(question)
            if question is not None and "id" not in bad:
                ids.append(question.id)
            else:
                raw_id = _number_to_text(raw.get("id")) if isinstance(raw, Mapping) else None
                ids.append(raw_id.strip() if isinstance(raw_id, str) else None)
    else:
        return problems
    for index, question in enumerate(questions):
        if question is not None:
            bad = bad_under("questions", index) or set()
            problems += [p.under("questions", index) for p in _usable(question._problems(), bad)]
    problems += _cross_problems(questions, ids)
    return problems


# --------------------------------------------------------------------------- answers


def _normal(text: str) -> str:
    """Case, accents and spacing do not matter when a resident types an option's text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _find_option(question: _ChoiceQuestion, raw: Any, t: Translator) -> OptionId:
    """An option from its id (a button), its text in any language, or its number in the list (typed)."""
    text = _number_to_text(raw)
    if isinstance(text, str):
        text = text.strip()
        if text in question.option_ids:
            return text
        wanted = _normal(text)
        for option in question.options:
            if any(_normal(label) == wanted for _, label in option.text.items()):
                return option.id
        if text.isdigit() and 1 <= int(text) <= len(question.options):
            return question.options[int(text) - 1].id
    raise AnswerError(
        t._("“{answer}” is not one of the options.", answer=str(raw).strip()[:40])
        if isinstance(raw, str | int | float)
        else t._("Please choose one of the options.")
    )


def _find_options(question: _ChoiceQuestion, raw: Any, t: Translator) -> list[OptionId]:
    """Several options, in the order given: a list (buttons), or a typed text ("1, 3" or "Vélo; Bus")."""
    if isinstance(raw, str):
        try:
            return [_find_option(question, raw, t)]  # an option's own text may contain a comma
        except AnswerError:
            parts = [part for part in re.split(r"[,;]", raw) if part.strip()]
            return [_find_option(question, part, t) for part in parts]
    if isinstance(raw, Iterable) and not isinstance(raw, Mapping | bytes):
        return [_find_option(question, item, t) for item in raw]
    raise AnswerError(t._("Please choose one of the options."))


_YES_WORDS = frozenset({"yes", "y", "oui", "o"})
_NO_WORDS = frozenset({"no", "n", "non"})


def _format_number(value: float, t: Translator) -> str:
    return format_decimal(value, locale=t.language if t.language in LANGUAGES else "fr")


_NUMBER_RE: Final = re.compile(r"[-+]?(\d*)(?:\.(\d*))?")


def _read_number(raw: Any, t: Translator) -> float | int | None:
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
    if isinstance(question, SingleChoiceQuestion):
        return _find_option(question, raw, t)
    if isinstance(question, MultipleChoiceQuestion):
        chosen = set(_find_options(question, raw, t))
        if len(chosen) < question.min_choices:
            raise AnswerError(
                t.n_(
                    "Choose at least {count} option.",
                    "Choose at least {count} options.",
                    question.min_choices,
                )
            )
        if len(chosen) > question.choice_limit:
            raise AnswerError(
                t.n_(
                    "Choose at most {count} option.", "Choose at most {count} options.", question.choice_limit
                )
            )
        return tuple(option_id for option_id in question.option_ids if option_id in chosen)
    if isinstance(question, YesNoQuestion):
        if isinstance(raw, bool):
            return YES if raw else NO
        word = _normal(raw) if isinstance(raw, str) else ""
        if word in _YES_WORDS:
            return YES
        if word in _NO_WORDS:
            return NO
        raise AnswerError(t._("Please answer yes or no."))
    if isinstance(question, ScaleQuestion):
        value = _read_number(raw, t)
        if value is None or value != int(value) or not question.min <= value <= question.max:
            raise AnswerError(
                t._(
                    "Answer with a whole number from {minimum} to {maximum}.",
                    minimum=question.min,
                    maximum=question.max,
                )
            )
        return int(value)
    if isinstance(question, RankingQuestion):
        ranked = _find_options(question, raw, t)
        for position, option_id in enumerate(ranked):
            if option_id in ranked[:position]:
                raise AnswerError(
                    t._(
                        "“{option}” is ranked twice.",
                        option=question.option(option_id).label(t.language),
                    )
                )
        if len(ranked) != question.ranked_count:
            raise AnswerError(
                t.n_("Rank exactly {count} option.", "Rank exactly {count} options.", question.ranked_count)
            )
        return tuple(ranked)
    if isinstance(question, FreeTextQuestion):
        if not isinstance(raw, str) or not raw.strip():
            raise AnswerError(t._("Your answer is empty."))
        answer = raw
        if len(answer) > question.max_length:
            raise AnswerError(
                t._(
                    "Your answer is {length} characters long; the limit is {limit}.",
                    length=len(answer),
                    limit=question.max_length,
                )
            )
        return answer
    return _validate_number(question, raw, t)


def _validate_number(question: NumberQuestion, raw: Any, t: Translator) -> int | float:
    value = _read_number(raw, t)
    if value is None:
        raise AnswerError(t._("Answer with a number."))
    if question.integer:
        if value != int(value):
            raise AnswerError(t._("Answer with a whole number."))
        value = int(value)
    else:
        value = float(value)
    low, high = question.min, question.max
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            message = t._(
                "Answer with a number from {minimum} to {maximum}.",
                minimum=_format_number(low, t),
                maximum=_format_number(high, t),
            )
        elif low is not None:
            message = t._("Answer with a number of at least {minimum}.", minimum=_format_number(low, t))
        else:
            message = t._("Answer with a number of at most {maximum}.", maximum=_format_number(high, t))
        raise AnswerError(message)
    return value


# --------------------------------------------------------------------------- open data


JSON_FORMAT: Final = "civicbot.consultation/1"


def _text_json(text: LocalizedText | None) -> dict[str, str | None] | None:
    return None if text is None else {"fr": text.fr, "en": text.en}


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _condition_json(condition: Condition | None) -> dict[str, Any] | None:
    if condition is None:
        return None
    out: dict[str, Any] = {"question": condition.question}
    for operator in condition.operators:
        value = condition._value(operator)
        out[operator] = list(value) if isinstance(value, tuple) else value
    return out


def _question_json(question: Question) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": question.id,
        "type": question.type,
        "text": _text_json(question.text),
        "optional": question.optional,
        "show_if": _condition_json(question.show_if),
    }
    if isinstance(question, _ChoiceQuestion):
        out["options"] = [{"id": o.id, "text": _text_json(o.text)} for o in question.options]
    if isinstance(question, MultipleChoiceQuestion):
        out |= {"min_choices": question.min_choices, "max_choices": question.choice_limit}
    elif isinstance(question, RankingQuestion):
        out["max_ranked"] = question.ranked_count
    elif isinstance(question, ScaleQuestion):
        out |= {
            "min": question.min,
            "max": question.max,
            "min_label": _text_json(question.min_label),
            "max_label": _text_json(question.max_label),
        }
    elif isinstance(question, FreeTextQuestion):
        out["max_length"] = question.max_length
    elif isinstance(question, NumberQuestion):
        out |= {"min": question.min, "max": question.max, "integer": question.integer}
    return out


def definition_to_json(defn: ConsultationDefinition) -> dict[str, Any]:
    """The definition as JSON-ready data for the open-data export; the shape is stable (FORMAT.md).

    ``format`` names the shape's version. Texts are ``{"fr": …, "en": … or null}``; dates are UTC,
    ISO 8601 with a ``Z`` (``opens_at`` null: opened at launch); defaults are spelled out
    (``max_choices``, ``max_ranked``), so a reader needs no knowledge of the YAML format. Keys of a
    question depend on its type only, and are always present for that type (null when unset).
    """
    return {
        "format": JSON_FORMAT,
        "id": defn.id,
        "title": _text_json(defn.title),
        "description": _text_json(defn.description),
        "thanks": _text_json(defn.thanks),
        "timezone": defn.timezone,
        "opens_at": _iso(defn.opens_at),
        "closes_at": _iso(defn.closes_at),
        "anonymous": defn.anonymous,
        "results_public": defn.results_public,
        "questions": [_question_json(question) for question in defn.questions],
    }
