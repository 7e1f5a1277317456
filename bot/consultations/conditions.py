"""Display conditions (``show_if``): a question asked only when an earlier answer matches.

What a condition means for an answer depends on the question it names: each question type says it
(:meth:`bot.consultations.questions.base.Question.condition_met`), with the comparisons defined here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Self

from pydantic import AliasChoices, Field, ValidationInfo, model_validator

from bot.consultations.fields import (
    OPERATOR_LIST,
    OPERATORS,
    Answer,
    ConditionValue,
    ConditionValues,
    Frozen,
    Key,
    Number,
    Problem,
    enforce,
    not_greater,
)

if TYPE_CHECKING:
    from bot.consultations.questions.base import Question

# --------------------------------------------------------------------------- conditions


class Condition(Frozen):
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
        return tuple(op for op in OPERATORS if self.value_of(op) is not None)

    def value_of(self, operator: str) -> Any:
        return self.in_ if operator == "in" else getattr(self, operator)

    def compared_values(self) -> Iterator[tuple[tuple[str | int, ...], str, str | int | float]]:
        """(path inside the condition, operator, value) for every value the answer is compared with."""
        for operator in self.operators:
            value = self.value_of(operator)
            if operator == "in":
                for index, item in enumerate(value):
                    yield (operator, index), operator, item
            else:
                yield (operator,), operator, value

    def problems(self) -> list[Problem]:
        operators = self.operators
        if not operators:
            return [
                Problem(
                    (), lambda t: t._("A condition needs an operator: {operators}.", operators=OPERATOR_LIST)
                )
            ]
        if len(operators) > 1 and set(operators) != {"at_most", "at_least"}:
            first, second = operators[:2]
            return [
                Problem(
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
            return [not_greater(("at_least",), "at_least", self.at_least, "at_most", self.at_most)]
        return []

    @model_validator(mode="after")
    def _check_condition(self, info: ValidationInfo) -> Self:
        enforce(self.problems(), info)
        return self

    def is_met(self, question: Question, answer: Answer | None) -> bool:
        """Whether ``answer``, given to ``question`` (the one this condition names), makes it hold: each
        question type compares its answers (:meth:`Question.condition_met`)."""
        return answer is not None and question.condition_met(self, answer)

    def met_by_option(self, answer: Answer) -> bool:
        """The answer is one id (a single choice, yes/no)."""
        if self.equals is not None:
            return answer == str(self.equals)
        if self.not_equals is not None:
            return answer != str(self.not_equals)
        return answer in {str(value) for value in self.in_ or ()}

    def met_by_options(self, answer: Answer) -> bool:
        """The answer is a set of ids (a multiple choice): ``equals`` is "is among the choices"."""
        chosen = set(answer) if isinstance(answer, tuple) else {answer}
        if self.equals is not None:
            return str(self.equals) in chosen
        if self.not_equals is not None:
            return str(self.not_equals) not in chosen
        return any(str(value) in chosen for value in self.in_ or ())

    def met_by_number(self, answer: Answer) -> bool:
        """The answer is a number (a scale, a number question)."""
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
