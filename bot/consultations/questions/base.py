"""What every question type is: a pydantic model of its definition that also holds its behaviour.

A question type is one subclass of :class:`Question` in a module of this package, with a ``type`` field
fixed to its YAML name (``type: Literal["scale"] = "scale"``). Defining the class registers it in
:data:`QUESTION_TYPES` (and tells storage how its answers are aggregated, ``storage_kind``); the loader,
the flow that asks it, the results, the charts and the exports then find everything in the class:

- the definition: its fields and their checks (``problems``), what a display condition on it means
  (``condition_met``, ``condition_problems``) and its open-data JSON (``to_json``);
- the answers: how one is checked and normalized (``validate``), stored as rows (``pieces``) and read
  back (``answer_from_rows``);
- asking it: hints, buttons and what a button press does (``hints``, ``buttons``, ``press``), whether it
  is typed (``typed``), and how an answer reads in the summary (``describe``);
- its results: the shape storage aggregates (``shape``), bars and lines (``bars``, ``figure_lines``),
  the message's blocks, a filtered view's wording, and the export's cells and JSON (class methods, as the
  export reads stored figures: ``cell_text``, ``results_json``, ``results_schema``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Self

from pydantic import Field, PlainValidator, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from bot.consultations.conditions import Condition
from bot.consultations.fields import (
    MAX_OPTIONS,
    MIN_OPTIONS,
    Answer,
    Frozen,
    Key,
    LocalizedText,
    Option,
    OptionId,
    Problem,
    QuestionText,
    enforce,
)
from bot.consultations.figures import Bar, bar_lines, figures_withheld, format_number, summary
from bot.formatting import Block, b, p, ul
from bot.i18n import LANGUAGES, Translator
from bot.replies import Button, InputKind
from bot.text import look_alike
from storage.consultation_results import Condition as Filter
from storage.consultation_results import Kind, QuestionResult, QuestionShape, register_kind
from storage.submissions import AnswerPiece

if TYPE_CHECKING:
    from bot.context import Context

QUESTION_TYPES: dict[str, type[Question]] = {}
"""Every question type by its YAML name, in the order ``listed`` gives (the order messages list them)."""

CHOICES_SEPARATOR: Final = "; "
"""Between the options of a CSV cell (a multiple choice)."""
SYMBOLS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


@dataclass(frozen=True, slots=True)
class Accept:
    """A button press gives an answer (``raw``, validated as a typed one); ``pending`` is kept first."""

    raw: Any
    pending: list[str] | None = None


@dataclass(frozen=True, slots=True)
class Pending:
    """A button press changes the choices in progress (ticks, a ranking so far): saved, shown again."""

    pending: list[str]
    notice: str


def text_json(text: LocalizedText | None) -> dict[str, str | None] | None:
    return None if text is None else {"fr": text.fr, "en": text.en}


def condition_json(condition: Condition | None) -> dict[str, Any] | None:
    if condition is None:
        return None
    out: dict[str, Any] = {"question": condition.question}
    for operator in condition.operators:
        value = condition.value_of(operator)
        out[operator] = list(value) if isinstance(value, tuple) else value
    return out


class Question(Frozen):
    """What every question has. ``type`` is set by each subclass: the YAML ``type`` picks the class."""

    id: Key
    type: str
    text: QuestionText
    optional: bool = False
    show_if: Condition | None = None

    listed: ClassVar[int] = 1000
    """Where the type comes in QUESTION_TYPES (and in the messages that list the types)."""
    storage_kind: ClassVar[Kind]
    """How storage aggregates the answers (storage/consultation_results.py)."""
    typed: ClassVar[bool] = False
    """Answered by typing (an input field) rather than with buttons."""
    input_kind: ClassVar[InputKind] = InputKind.TEXT
    charted: ClassVar[bool] = False
    """Its results are drawn as a chart (bot/consultations/charts.py)."""
    shows_current_answer: ClassVar[bool] = True
    """Asked again, the question says the answer given so far."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.model_fields["type"].default
        if isinstance(name, str):
            register(cls, name)

    # -- the definition

    @property
    def option_ids(self) -> tuple[OptionId, ...]:
        """The ids an answer is made of (none for numbers and texts)."""
        return ()

    def problems(self) -> list[Problem]:
        """Checks that relate several fields of this question (subclasses add theirs)."""
        if self.show_if is None:
            return []
        return [replace(p.under("show_if"), depends=p.depends | {"show_if"}) for p in self.show_if.problems()]

    @model_validator(mode="after")
    def _check_question(self, info: ValidationInfo) -> Self:
        enforce(self.problems(), info)
        return self

    def condition_met(self, condition: Condition, answer: Answer) -> bool:
        """Whether ``answer`` to this question makes ``condition`` (on this question) hold."""
        return condition.met_by_option(answer)

    def condition_problems(self, condition: Condition) -> list[Problem]:
        """The values of a ``condition`` on this question must be possible answers, with operators that fit
        it; by default, no condition may depend on a question of this type."""
        return [
            Problem(
                ("question",),
                lambda t, kind=self.type: t._("A condition cannot depend on a {type} question.", type=kind),
            )
        ]

    def deciding_answers(self, conditions: Sequence[Condition]) -> Sequence[Answer]:
        """Possible answers to this question, at least one for each way the `conditions` naming it can turn
        out together (how long a consultation may be: bot/consultations/progress.py); none by default, as no
        condition may depend on a question of this type. A skip is not among them."""
        return ()

    def to_json(self) -> dict[str, Any]:
        """The question in the open-data export (model.definition_to_json): every key of its type."""
        return {
            "id": self.id,
            "type": self.type,
            "text": text_json(self.text),
            "optional": self.optional,
            "show_if": condition_json(self.show_if),
        }

    # -- answers

    @classmethod
    def fixed_options(cls) -> tuple[OptionId, ...]:
        """The options of every question of this type, when the type fixes them (yes/no)."""
        return ()

    def check_answer(self, raw: Any, t: Translator) -> Answer:
        """The answer to store, from what the resident gave (already cleaned); AnswerError otherwise."""
        raise NotImplementedError

    def pieces(self, answer: Answer) -> list[AnswerPiece]:
        """An answer as rows shaped for SQL aggregates (see storage.tables.AnswerRow)."""
        raise NotImplementedError

    def answer_from_rows(self, rows: Sequence[Any]) -> Answer:
        """The answer back from its stored rows (in position order), to change a submission."""
        raise NotImplementedError

    # -- asking

    def describe(self, answer: Answer, t: Translator) -> str:
        """The answer as the summary before sending shows it."""
        return str(answer).replace(".", ",") if t.language == "fr" else str(answer)

    def hints(self, t: Translator, pending: list[str]) -> list[str]:
        """What to do, under the question (``pending``: the choices in progress)."""
        return []

    def buttons(self, ctx: Context, cid: int, qi: int, pending: list[str]) -> list[tuple[Button, ...]]:
        """The rows of answer buttons (navigation comes after them)."""
        return []

    def press(
        self, verb: str, value: int | None, pending: list[str], t: Translator
    ) -> Accept | Pending | None:
        """What one of this question's buttons does; None: the button is not valid (any more)."""
        return None

    def pending_when_back(self, answer: Answer | None) -> list[str]:
        """The choices in progress when a resident comes back to this question."""
        return []

    @property
    def input_length(self) -> int:
        return 40

    # -- results

    def shape(self) -> QuestionShape:
        """What the SQL aggregates need to know of this question."""
        return QuestionShape(self.id, self.type, self.option_ids)

    def option_label(self, option_id: str, t: Translator) -> str:
        return option_id

    def bars(self, result: QuestionResult, t: Translator) -> list[Bar]:
        """The bars of the chart, top first (figures withheld: the caller draws none)."""
        return []

    def figure_lines(self, result: QuestionResult, t: Translator) -> list[str]:
        """The figures, one per line, as the message and the chart's text alternative say them."""
        return bar_lines([] if figures_withheld(result) else self.bars(result, t), t)

    def chart_note(self, t: Translator) -> str | None:
        """A note under the chart and in its text alternative (how a ranking is scored)."""
        return None

    def result_blocks(self, number: int, result: QuestionResult, t: Translator) -> list[Block]:
        """The question in the results message."""
        blocks: list[Block] = [p(b(f"{number}. {self.text.get(t.language)}")), p(summary(result, t))]
        lines = self.figure_lines(result, t)
        if lines:
            blocks.append(ul(*lines))
        return blocks

    def filter_text(self, condition: Filter, t: Translator) -> str:
        """Whom a view filtered on this question counts, in words."""
        answer, text = self.option_label(str(condition.value), t), self.text.get(t.language)
        if condition.op == "==":
            return t._(
                "Only the residents who answered “{answer}” to “{question}”", answer=answer, question=text
            )
        return t._(
            "Only the residents who did not answer “{answer}” to “{question}”", answer=answer, question=text
        )

    # -- the export (from stored figures and cells: class methods)

    @classmethod
    def cell_text(cls, value: str | tuple[str, ...]) -> str:
        """A cell of the exported answers that holds several labels (a multiple choice), joined."""
        return CHOICES_SEPARATOR.join(value) if isinstance(value, tuple) else value

    @classmethod
    def results_json(cls, result: QuestionResult) -> dict[str, Any]:
        """The question's aggregates in the JSON export (bot/consultations/exports/open_data.py)."""
        return {"id": result.id, "type": result.type, "respondents": result.respondents}

    @classmethod
    def results_schema(cls) -> dict[str, Any]:
        """The JSON Schema properties ``results_json`` adds to id, type and respondents."""
        return {}

    @classmethod
    def withheld_note(cls, column: str, count: int, min_group: int, t: Translator) -> str:
        """Why the column of this question is empty in the exported answers (the small-group rule)."""
        return t._(
            "Column “{column}” is empty and its figures are null: fewer than {minimum} residents "
            "answered it, so few that an answer could be recognized.",
            column=column,
            minimum=min_group,
        )


def register(cls: type[Question], name: str) -> None:
    """Add a question type (defining its class does it): QUESTION_TYPES, kept in ``listed`` order, and
    storage's kinds."""
    register_kind(name, cls.storage_kind, cls.fixed_options())
    found = {**QUESTION_TYPES, name: cls}
    QUESTION_TYPES.clear()
    QUESTION_TYPES.update(sorted(found.items(), key=lambda item: item[1].listed))


def unregister(name: str) -> None:
    """Remove a question type (tests that define one remove it after)."""
    QUESTION_TYPES.pop(name, None)


class ChoiceQuestion(Question):
    """A question whose answers are options of the definition (single, multiple choice, ranking)."""

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

    def problems(self) -> list[Problem]:
        problems = super().problems()
        seen: set[str] = set()
        for index, option in enumerate(self.options):
            if option.id in seen:
                problems.append(
                    Problem(
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

    def _look_alike_problems(self) -> list[Problem]:
        """Two options a resident could not tell apart (case, accents written two ways, letters of another
        alphabet), in either language; options with the same id are reported as such already."""
        problems: list[Problem] = []
        for language in LANGUAGES:
            options = [o for o in self.options if getattr(o.text, language)]
            twins = look_alike([getattr(o.text, language) for o in options])
            if twins is None or options[twins[0]].id == options[twins[1]].id:
                continue
            first, second = (self.options.index(options[n]) for n in twins)
            problems.append(
                Problem(
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

    def to_json(self) -> dict[str, Any]:
        return super().to_json() | {
            "options": [{"id": o.id, "text": text_json(o.text)} for o in self.options]
        }

    def labels(self, t: Translator) -> dict[str, str]:
        return {o.id: o.text.get(t.language) for o in self.options}

    def option_label(self, option_id: str, t: Translator) -> str:
        return self.option(option_id).label(t.language)

    @classmethod
    def results_json(cls, result: QuestionResult) -> dict[str, Any]:
        return super().results_json(result) | {"counts": dict(result.counts)}


def option_condition_problems(condition: Condition, question: Question) -> list[Problem]:
    """A condition on a question answered with option ids: each value one of them, no numeric operator."""
    problems: list[Problem] = []
    for path, operator, value in condition.compared_values():
        if operator in ("at_most", "at_least"):
            problem = Problem(
                (),
                lambda t, operator=operator: t._(
                    "“{operator}” applies only to scale and number questions.", operator=operator
                ),
            )
        elif str(value) not in question.option_ids:
            problem = Problem(
                (),
                lambda t, value=value: t._(
                    "“{value}” is not an option of question “{id}”; expected one of: {options}.",
                    value=value,
                    id=question.id,
                    options=", ".join(question.option_ids),
                ),
            )
        else:
            continue
        problems.append(problem.under(*path))
    return problems


def counts_schema() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}


FIGURE_SCHEMA: dict[str, Any] = {"type": ["number", "null"]}


class NumericQuestion(Question):
    """A question answered with a number (scale, number): numeric conditions, mean and median."""

    def condition_met(self, condition: Condition, answer: Answer) -> bool:
        return condition.met_by_number(answer)

    def condition_problems(self, condition: Condition) -> list[Problem]:
        problems: list[Problem] = []
        for path, _, value in condition.compared_values():
            if not isinstance(value, int | float):
                problem: Problem | None = Problem(
                    (),
                    lambda t, value=value: t._(
                        "“{value}” is not a number, and question “{id}” takes numbers.",
                        value=value,
                        id=self.id,
                    ),
                )
            else:
                problem = self.value_problem(value)
            if problem is not None:
                problems.append(problem.under(*path))
        return problems

    def value_problem(self, value: int | float) -> Problem | None:
        """Why ``value`` cannot be an answer to this question (a condition compares with it), or None."""
        return None

    def pieces(self, answer: Answer) -> list[AnswerPiece]:
        assert isinstance(answer, int | float)
        return [AnswerPiece(self.id, number=float(answer))]

    def filter_text(self, condition: Filter, t: Translator) -> str:
        comparison = f"{SYMBOLS[condition.op]} {format_number(float(condition.value), t.language)}"
        return t._(
            "Only the residents who answered {comparison} to “{question}”",
            comparison=comparison,
            question=self.text.get(t.language),
        )

    @classmethod
    def results_json(cls, result: QuestionResult) -> dict[str, Any]:
        return super().results_json(result) | {
            "mean": result.mean,
            "median": result.median,
            "withheld": figures_withheld(result),
        }

    @classmethod
    def results_schema(cls) -> dict[str, Any]:
        return {"mean": FIGURE_SCHEMA, "median": FIGURE_SCHEMA, "withheld": {"type": "boolean"}}


def pick_type(value: Any, info: ValidationInfo) -> Question:
    """Validate a question with the class its ``type`` names, looked up when it is read: a type defined
    after the models still loads. The errors are pydantic's for a discriminated union."""
    if isinstance(value, Question):
        return value
    if not isinstance(value, Mapping):
        raise PydanticCustomError("model_attributes_type", "expected a mapping of fields")
    if "type" not in value:
        raise PydanticCustomError("union_tag_not_found", "the field type is missing")
    tag = value["type"]
    found = QUESTION_TYPES.get(tag) if isinstance(tag, str) else None
    if found is None:
        raise PydanticCustomError("union_tag_invalid", "unknown question type {tag}", {"tag": str(tag)})
    return found.model_validate(value, context=info.context)


AnyQuestion = Annotated[Question, PlainValidator(pick_type)]
"""Any question; the YAML ``type`` field picks the class in QUESTION_TYPES."""
