"""``scale``: a whole number from ``min`` to ``max`` (within 0..10), one button each, labels at both ends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, StrictInt

from bot.consultations.answers import AnswerError, read_number
from bot.consultations.conditions import Condition
from bot.consultations.fields import SCALE_BOUNDS, Answer, Label, Problem, less_than
from bot.consultations.figures import Bar, counted, figures_withheld
from bot.consultations.questions.base import (
    Accept,
    NumericQuestion,
    Pending,
    counts_schema,
    text_json,
)
from bot.i18n import Translator
from bot.replies import Button
from storage.consultation_results import Kind, QuestionResult, QuestionShape

if TYPE_CHECKING:
    from bot.context import Context


class ScaleQuestion(NumericQuestion):
    """A whole number from ``min`` to ``max`` (within 0..10, so at most 11 buttons), labels at both ends."""

    type: Literal["scale"] = "scale"
    min: StrictInt = Field(default=1, ge=SCALE_BOUNDS[0], le=SCALE_BOUNDS[1])
    max: StrictInt = Field(default=5, ge=SCALE_BOUNDS[0], le=SCALE_BOUNDS[1])
    min_label: Label | None = None
    max_label: Label | None = None
    listed: ClassVar[int] = 40
    storage_kind: ClassVar[Kind] = Kind.SCALE
    charted: ClassVar[bool] = True

    def problems(self) -> list[Problem]:
        problems = super().problems()
        if self.min >= self.max:
            problems.append(less_than(("min",), "min", self.min, "max", self.max))
        return problems

    def deciding_answers(self, conditions: Sequence[Condition]) -> Sequence[Answer]:
        return tuple(range(self.min, self.max + 1))

    def value_problem(self, value: int | float) -> Problem | None:
        if value != int(value) or not self.min <= value <= self.max:
            return Problem(
                (),
                lambda t: t._(
                    "{value} is not a possible answer to question “{id}”: whole numbers from {minimum} to "
                    "{maximum}.",
                    value=value,
                    id=self.id,
                    minimum=self.min,
                    maximum=self.max,
                ),
            )
        return None

    def to_json(self) -> dict[str, Any]:
        return super().to_json() | {
            "min": self.min,
            "max": self.max,
            "min_label": text_json(self.min_label),
            "max_label": text_json(self.max_label),
        }

    def check_answer(self, raw: Any, t: Translator) -> Answer:
        value = read_number(raw, t)
        if value is None or value != int(value) or not self.min <= value <= self.max:
            raise AnswerError(
                t._(
                    "Answer with a whole number from {minimum} to {maximum}.",
                    minimum=self.min,
                    maximum=self.max,
                )
            )
        return int(value)

    def answer_from_rows(self, rows: Sequence[Any]) -> Answer:
        return int(rows[0].number)

    def hints(self, t: Translator, pending: list[str]) -> list[str]:
        lang = t.language
        ends = f"{self.min} = {self.min_label.get(lang) if self.min_label else self.min}"
        ends += f" … {self.max} = {self.max_label.get(lang) if self.max_label else self.max}"
        return [ends]

    def buttons(self, ctx: Context, cid: int, qi: int, pending: list[str]) -> list[tuple[Button, ...]]:
        return [
            tuple(ctx.button(str(v), "c", "a", cid, qi, v - self.min) for v in range(self.min, self.max + 1))
        ]

    def press(
        self, verb: str, value: int | None, pending: list[str], t: Translator
    ) -> Accept | Pending | None:
        if verb == "a" and value is not None:
            return Accept(self.min + value)
        return None

    def shape(self) -> QuestionShape:
        return QuestionShape(self.id, self.type, scale=(self.min, self.max))

    def value_label(self, value: int, t: Translator) -> str:
        """ "1 (Pas du tout)" at the ends of a scale with labels, the bare value elsewhere."""
        end = self.min_label if value == self.min else self.max_label if value == self.max else None
        return f"{value} ({end.get(t.language)})" if end is not None else str(value)

    def bars(self, result: QuestionResult, t: Translator) -> list[Bar]:
        return [
            counted(self.value_label(value, t), count, result, t.language)
            for value, count in result.distribution.items()
        ]

    @classmethod
    def results_json(cls, result: QuestionResult) -> dict[str, Any]:
        distribution = (
            None if figures_withheld(result) else {str(v): count for v, count in result.distribution.items()}
        )
        return {
            "id": result.id,
            "type": result.type,
            "respondents": result.respondents,
            "distribution": distribution,
            "mean": result.mean,
            "median": result.median,
            "withheld": figures_withheld(result),
        }

    @classmethod
    def results_schema(cls) -> dict[str, Any]:
        return {"distribution": {**counts_schema(), "type": ["object", "null"]}, **super().results_schema()}
