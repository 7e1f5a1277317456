"""``multiple_choice``: between ``min_choices`` and ``max_choices`` options, ticked then confirmed."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, StrictInt

from bot.consultations.answers import AnswerError, find_options
from bot.consultations.conditions import Condition
from bot.consultations.fields import Answer, Problem, more_than_options, not_greater
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


class MultipleChoiceQuestion(ChoiceQuestion):
    """Between ``min_choices`` (default 1) and ``max_choices`` (default: all) options among 2 to 12."""

    type: Literal["multiple_choice"] = "multiple_choice"
    min_choices: StrictInt = Field(default=1, ge=1)
    max_choices: StrictInt | None = Field(default=None, ge=1)
    listed: ClassVar[int] = 20
    storage_kind: ClassVar[Kind] = Kind.SOME_OPTIONS
    charted: ClassVar[bool] = True
    shows_current_answer: ClassVar[bool] = False

    @property
    def choice_limit(self) -> int:
        """``max_choices``, or the number of options when it is not given."""
        return self.max_choices if self.max_choices is not None else len(self.options)

    def problems(self) -> list[Problem]:
        problems = super().problems()
        count = len(self.options)
        if self.max_choices is not None and self.min_choices > self.max_choices:
            problems.append(
                not_greater(
                    ("min_choices",), "min_choices", self.min_choices, "max_choices", self.max_choices
                )
            )
        elif self.min_choices > count:
            problems.append(more_than_options("min_choices", self.min_choices, count))
        if self.max_choices is not None and self.max_choices > count:
            problems.append(more_than_options("max_choices", self.max_choices, count))
        return problems

    def condition_met(self, condition: Condition, answer: Answer) -> bool:
        return condition.met_by_options(answer)

    def condition_problems(self, condition: Condition) -> list[Problem]:
        return option_condition_problems(condition, self)

    def deciding_answers(self, conditions: Sequence[Condition]) -> Sequence[Answer]:
        """A condition looks only at the options it names: each allowed set of those, completed with
        options no condition names when `min_choices` asks for more."""
        named = {str(value) for condition in conditions for _, _, value in condition.compared_values()}
        mentioned = [o for o in self.option_ids if o in named]
        others = [o for o in self.option_ids if o not in named]
        answers: list[Answer] = []
        for size in range(len(mentioned) + 1):
            for chosen in combinations(mentioned, size):
                filler = max(0, self.min_choices - size)
                if filler <= len(others) and size + filler <= self.choice_limit:
                    picked = set(chosen) | set(others[:filler])
                    answers.append(tuple(o for o in self.option_ids if o in picked))
        return answers

    def to_json(self) -> dict[str, Any]:
        return super().to_json() | {"min_choices": self.min_choices, "max_choices": self.choice_limit}

    def check_answer(self, raw: Any, t: Translator) -> Answer:
        chosen = set(find_options(self, raw, t))
        if len(chosen) < self.min_choices:
            raise AnswerError(
                t.n_("Choose at least {count} option.", "Choose at least {count} options.", self.min_choices)
            )
        if len(chosen) > self.choice_limit:
            raise AnswerError(
                t.n_("Choose at most {count} option.", "Choose at most {count} options.", self.choice_limit)
            )
        return tuple(option_id for option_id in self.option_ids if option_id in chosen)

    def pieces(self, answer: Answer) -> list[AnswerPiece]:
        assert isinstance(answer, tuple)
        return [AnswerPiece(self.id, position=n, option=o) for n, o in enumerate(answer)]

    def answer_from_rows(self, rows: Sequence[Any]) -> Answer:
        return tuple(r.option for r in rows)

    def describe(self, answer: Answer, t: Translator) -> str:
        labels = self.labels(t)
        assert isinstance(answer, tuple)  # (a multiple choice's answer is its options)
        return ", ".join(labels.get(o, o) for o in answer)

    def hints(self, t: Translator, pending: list[str]) -> list[str]:
        low = self.min_choices or 1
        high = self.max_choices or len(self.options)
        return [t._("Choose from {low} to {high} answers, then tap Confirm.", low=low, high=high)]

    def buttons(self, ctx: Context, cid: int, qi: int, pending: list[str]) -> list[tuple[Button, ...]]:
        lang = ctx.t.language
        chosen = set(pending)
        rows: list[tuple[Button, ...]] = [
            (ctx.button(("✓ " if o.id in chosen else "") + o.text.get(lang)[:78], "c", "t", cid, qi, n),)
            for n, o in enumerate(self.options)
        ]
        rows.append((ctx.button(ctx.t._("Confirm"), "c", "ok", cid, qi),))
        return rows

    def press(
        self, verb: str, value: int | None, pending: list[str], t: Translator
    ) -> Accept | Pending | None:
        if verb == "t" and value is not None and value < len(self.options):
            option = self.options[value].id
            return Pending(
                [o for o in pending if o != option] if option in pending else [*pending, option],
                t._("Saved."),
            )
        if verb == "ok":
            return Accept(tuple(o.id for o in self.options if o.id in pending))
        return None

    def pending_when_back(self, answer: Answer | None) -> list[str]:
        assert answer is None or isinstance(answer, tuple)  # (a multiple choice's answer: a tuple of ids)
        return list(answer or ())

    def bars(self, result: QuestionResult, t: Translator) -> list[Bar]:
        return [counted(self.option_label(o, t), n, result, t.language) for o, n in result.counts.items()]

    @classmethod
    def results_schema(cls) -> dict[str, Any]:
        return {"counts": counts_schema()}
