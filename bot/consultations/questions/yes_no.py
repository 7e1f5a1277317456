"""``yes_no``: two buttons; the answer is "yes" or "no" whatever the language the buttons speak."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

from bot.consultations.answers import AnswerError, normal
from bot.consultations.conditions import Condition
from bot.consultations.fields import NO, YES, Answer, OptionId, Problem
from bot.consultations.figures import Bar, counted
from bot.consultations.questions.base import (
    Accept,
    Pending,
    Question,
    counts_schema,
    option_condition_problems,
)
from bot.i18n import Translator
from bot.replies import Button
from storage.consultation_results import Kind, QuestionResult
from storage.submissions import AnswerPiece

if TYPE_CHECKING:
    from bot.context import Context

YES_WORDS: Final = frozenset({"yes", "y", "oui", "o"})
NO_WORDS: Final = frozenset({"no", "n", "non"})


class YesNoQuestion(Question):
    """Yes or no; the answer is "yes" or "no" whatever the language the buttons speak."""

    type: Literal["yes_no"] = "yes_no"
    listed: ClassVar[int] = 30
    storage_kind: ClassVar[Kind] = Kind.ONE_OPTION
    charted: ClassVar[bool] = True

    @classmethod
    def fixed_options(cls) -> tuple[OptionId, ...]:
        return (YES, NO)

    @property
    def option_ids(self) -> tuple[OptionId, ...]:
        return (YES, NO)

    def condition_problems(self, condition: Condition) -> list[Problem]:
        return option_condition_problems(condition, self)

    def deciding_answers(self, conditions: Sequence[Condition]) -> Sequence[Answer]:
        return self.option_ids

    def check_answer(self, raw: Any, t: Translator) -> Answer:
        if isinstance(raw, bool):
            return YES if raw else NO
        word = normal(raw) if isinstance(raw, str) else ""
        if word in YES_WORDS:
            return YES
        if word in NO_WORDS:
            return NO
        raise AnswerError(t._("Please answer yes or no."))

    def pieces(self, answer: Answer) -> list[AnswerPiece]:
        return [AnswerPiece(self.id, option=str(answer))]

    def answer_from_rows(self, rows: Sequence[Any]) -> Answer:
        return str(rows[0].option)

    def describe(self, answer: Answer, t: Translator) -> str:
        return t._("Yes") if answer == YES else t._("No")

    def buttons(self, ctx: Context, cid: int, qi: int, pending: list[str]) -> list[tuple[Button, ...]]:
        t = ctx.t
        return [(ctx.button(t._("Yes"), "c", "a", cid, qi, 0), ctx.button(t._("No"), "c", "a", cid, qi, 1))]

    def press(
        self, verb: str, value: int | None, pending: list[str], t: Translator
    ) -> Accept | Pending | None:
        if verb == "a" and value in (0, 1):
            return Accept(YES if value == 0 else NO)
        return None

    def option_label(self, option_id: str, t: Translator) -> str:
        return t._("Yes") if option_id == YES else t._("No")

    def bars(self, result: QuestionResult, t: Translator) -> list[Bar]:
        return [counted(self.option_label(o, t), n, result, t.language) for o, n in result.counts.items()]

    @classmethod
    def results_json(cls, result: QuestionResult) -> dict[str, Any]:
        return super().results_json(result) | {"counts": dict(result.counts)}

    @classmethod
    def results_schema(cls) -> dict[str, Any]:
        return {"counts": counts_schema()}
