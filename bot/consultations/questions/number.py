"""``number``: a number typed by the resident, between optional bounds; ``integer: true`` for a whole one."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, ClassVar, Literal

from bot.consultations.answers import AnswerError, format_number, read_number
from bot.consultations.conditions import Condition
from bot.consultations.fields import Answer, Number, Problem, less_than
from bot.consultations.questions.base import NumericQuestion
from bot.i18n import Translator
from bot.replies import InputKind
from storage.consultation_results import Kind


class NumberQuestion(NumericQuestion):
    """A number between optional bounds; ``integer: true`` asks for a whole number."""

    type: Literal["number"] = "number"
    min: Number = None
    max: Number = None
    integer: bool = False
    listed: ClassVar[int] = 70
    storage_kind: ClassVar[Kind] = Kind.NUMBER
    typed: ClassVar[bool] = True
    input_kind: ClassVar[InputKind] = InputKind.NUMBER

    def problems(self) -> list[Problem]:
        problems = super().problems()
        if self.min is not None and self.max is not None and self.min >= self.max:
            problems.append(less_than(("min",), "min", self.min, "max", self.max))
        if self.integer:
            for name in ("min", "max"):
                value = getattr(self, name)
                if value is not None and value != int(value):
                    problems.append(
                        Problem(
                            (name,),
                            lambda t, name=name: t._(
                                "With “integer: true”, “{field}” must be a whole number.", field=name
                            ),
                            frozenset({name, "integer"}),
                        )
                    )
        return problems

    def deciding_answers(self, conditions: Sequence[Condition]) -> Sequence[Answer]:
        """The values the conditions compare with, one between each two of them and one beyond each end,
        within the bounds (whole numbers for an integer question)."""
        values = sorted({float(v) for c in conditions for _, _, v in c.compared_values()})
        if not values:
            return ()
        between = [(a + b) / 2 for a, b in pairwise(values)]
        candidates = [*values, *between, values[0] - 1, values[-1] + 1]
        if self.integer:
            candidates = [float(f(v)) for v in candidates for f in (math.floor, math.ceil)]
        candidates += [bound for bound in (self.min, self.max) if bound is not None]
        low = -math.inf if self.min is None else self.min
        high = math.inf if self.max is None else self.max
        kept = sorted({v for v in candidates if low <= v <= high})
        return tuple(int(v) if self.integer else v for v in kept)

    def value_problem(self, value: int | float) -> Problem | None:
        if self.min is not None and value < self.min:
            return Problem(
                (),
                lambda t: t._(
                    "{value} is below the minimum of question “{id}” ({minimum}).",
                    value=value,
                    id=self.id,
                    minimum=self.min,
                ),
            )
        if self.max is not None and value > self.max:
            return Problem(
                (),
                lambda t: t._(
                    "{value} is above the maximum of question “{id}” ({maximum}).",
                    value=value,
                    id=self.id,
                    maximum=self.max,
                ),
            )
        return None

    def to_json(self) -> dict[str, Any]:
        return super().to_json() | {"min": self.min, "max": self.max, "integer": self.integer}

    def check_answer(self, raw: Any, t: Translator) -> Answer:
        value = read_number(raw, t)
        if value is None:
            raise AnswerError(t._("Answer with a number."))
        if self.integer:
            if value != int(value):
                raise AnswerError(t._("Answer with a whole number."))
            value = int(value)
        else:
            value = float(value)
        low, high = self.min, self.max
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                message = t._(
                    "Answer with a number from {minimum} to {maximum}.",
                    minimum=format_number(low, t),
                    maximum=format_number(high, t),
                )
            elif low is not None:
                message = t._("Answer with a number of at least {minimum}.", minimum=format_number(low, t))
            else:
                assert high is not None  # (outside the bounds, so one of them is set)
                message = t._("Answer with a number of at most {maximum}.", maximum=format_number(high, t))
            raise AnswerError(message)
        return value

    def answer_from_rows(self, rows: Sequence[Any]) -> Answer:
        number: float = rows[0].number
        return int(number) if self.integer else number

    def hints(self, t: Translator, pending: list[str]) -> list[str]:
        bounds = [t._("a whole number") if self.integer else t._("a number")]
        if self.min is not None and self.max is not None:
            bounds.append(t._("between {low} and {high}", low=self.min, high=self.max))
        return [t._("Type {what}.", what=" ".join(bounds))]
