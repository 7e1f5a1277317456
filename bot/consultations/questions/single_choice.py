"""``single_choice``: one option among 2 to 12, one button each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from bot.consultations.answers import find_option
from bot.consultations.conditions import Condition
from bot.consultations.fields import Answer, Problem
from bot.consultations.figures import Bar, counted
from bot.consultations.questions.base import (
    Accept,
    ChoiceQuestion,
    Pending,
    counts_schema,
    option_condition_problems,
)
from bot.i18n import Translator
from bot.replies import Button
from storage.consultation_results import Kind, QuestionResult
from storage.submissions import AnswerPiece

if TYPE_CHECKING:
    from bot.context import Context


class SingleChoiceQuestion(ChoiceQuestion):
    """One option among 2 to 12."""

    type: Literal["single_choice"] = "single_choice"
    listed: ClassVar[int] = 10
    storage_kind: ClassVar[Kind] = Kind.ONE_OPTION
    charted: ClassVar[bool] = True

    def condition_problems(self, condition: Condition) -> list[Problem]:
        return option_condition_problems(condition, self)

    def deciding_answers(self, conditions: Sequence[Condition]) -> Sequence[Answer]:
        return self.option_ids

    def check_answer(self, raw: Any, t: Translator) -> Answer:
        return find_option(self, raw, t)

    def pieces(self, answer: Answer) -> list[AnswerPiece]:
        return [AnswerPiece(self.id, option=str(answer))]

    def answer_from_rows(self, rows: Sequence[Any]) -> Answer:
        return str(rows[0].option)

    def describe(self, answer: Answer, t: Translator) -> str:
        return self.labels(t).get(str(answer), str(answer))

    def buttons(self, ctx: Context, cid: int, qi: int, pending: list[str]) -> list[tuple[Button, ...]]:
        lang = ctx.t.language
        return [
            (ctx.button(o.text.get(lang)[:80], "c", "a", cid, qi, n),) for n, o in enumerate(self.options)
        ]

    def press(
        self, verb: str, value: int | None, pending: list[str], t: Translator
    ) -> Accept | Pending | None:
        if verb == "a" and value is not None and value < len(self.options):
            return Accept(self.options[value].id)
        return None

    def bars(self, result: QuestionResult, t: Translator) -> list[Bar]:
        return [counted(self.option_label(o, t), n, result, t.language) for o, n in result.counts.items()]

    @classmethod
    def results_schema(cls) -> dict[str, Any]:
        return {"counts": counts_schema()}
