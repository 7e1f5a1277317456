"""``ranking``: order 2 to 6 options, best first, one tap each; results by Borda count."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal

from pydantic import Field, StrictInt

from bot.consultations.answers import AnswerError, find_options
from bot.consultations.fields import (
    MAX_RANKED_OPTIONS,
    MIN_OPTIONS,
    Answer,
    Option,
    Problem,
    more_than_options,
)
from bot.consultations.figures import Bar, figures_withheld, format_number, summary
from bot.consultations.questions.base import Accept, ChoiceQuestion, Pending, counts_schema
from bot.formatting import Block, b, i, p, ul
from bot.i18n import Translator
from bot.replies import Button
from storage.consultation_results import Condition as Filter
from storage.consultation_results import Kind, QuestionResult, QuestionShape
from storage.submissions import AnswerPiece

if TYPE_CHECKING:
    from bot.context import Context

RANKING_SEPARATOR: Final = " > "


class RankingQuestion(ChoiceQuestion):
    """Order 2 to 6 options, best first; residents rank exactly ``max_ranked`` of them (default: all)."""

    type: Literal["ranking"] = "ranking"
    options: Annotated[tuple[Option, ...], Field(min_length=MIN_OPTIONS, max_length=MAX_RANKED_OPTIONS)]
    max_ranked: StrictInt | None = Field(default=None, ge=1)
    listed: ClassVar[int] = 50
    storage_kind: ClassVar[Kind] = Kind.RANKING
    charted: ClassVar[bool] = True

    @property
    def ranked_count(self) -> int:
        """How many options an answer ranks: ``max_ranked``, or all of them."""
        return self.max_ranked if self.max_ranked is not None else len(self.options)

    def problems(self) -> list[Problem]:
        problems = super().problems()
        if self.max_ranked is not None and self.max_ranked > len(self.options):
            problems.append(more_than_options("max_ranked", self.max_ranked, len(self.options)))
        return problems

    def to_json(self) -> dict[str, Any]:
        return super().to_json() | {"max_ranked": self.ranked_count}

    def check_answer(self, raw: Any, t: Translator) -> Answer:
        ranked = find_options(self, raw, t)
        for position, option_id in enumerate(ranked):
            if option_id in ranked[:position]:
                raise AnswerError(
                    t._("“{option}” is ranked twice.", option=self.option(option_id).label(t.language))
                )
        if len(ranked) != self.ranked_count:
            raise AnswerError(
                t.n_("Rank exactly {count} option.", "Rank exactly {count} options.", self.ranked_count)
            )
        return tuple(ranked)

    def pieces(self, answer: Answer) -> list[AnswerPiece]:
        assert isinstance(answer, tuple)
        return [AnswerPiece(self.id, position=n, option=o, rank=n + 1) for n, o in enumerate(answer)]

    def answer_from_rows(self, rows: Sequence[Any]) -> Answer:
        return tuple(r.option for r in rows)

    def _ranked(self, ranking: Sequence[str], t: Translator) -> str:
        labels = self.labels(t)
        return ", ".join(f"{n}. {labels.get(o, o)}" for n, o in enumerate(ranking, start=1))

    def describe(self, answer: Answer, t: Translator) -> str:
        assert isinstance(answer, tuple)  # (a ranking: a tuple of ids)
        return self._ranked(answer, t)

    def hints(self, t: Translator, pending: list[str]) -> list[str]:
        hints = [
            t._("Tap the options in your order of preference ({count} to rank).", count=self.ranked_count)
        ]
        if pending:
            hints.append(t._("Your ranking so far: {ranking}", ranking=self._ranked(pending, t)))
        return hints

    def buttons(self, ctx: Context, cid: int, qi: int, pending: list[str]) -> list[tuple[Button, ...]]:
        lang = ctx.t.language
        rows: list[tuple[Button, ...]] = [
            (ctx.button(o.text.get(lang)[:80], "c", "r", cid, qi, n),)
            for n, o in enumerate(self.options)
            if o.id not in pending
        ]
        if pending:
            rows.append((ctx.button(ctx.t._("Reset the ranking"), "c", "rx", cid, qi),))
        return rows

    def press(
        self, verb: str, value: int | None, pending: list[str], t: Translator
    ) -> Accept | Pending | None:
        if verb == "r" and value is not None and value < len(self.options):
            if self.options[value].id not in pending:
                pending = [*pending, self.options[value].id]
            if len(pending) >= self.ranked_count:
                return Accept(tuple(pending), pending)
            return Pending(pending, t._("Saved."))
        if verb == "rx":
            return Pending([], t._("Ranking reset."))
        return None

    def shape(self) -> QuestionShape:
        return QuestionShape(self.id, self.type, self.option_ids, slots=self.ranked_count)

    def bars(self, result: QuestionResult, t: Translator) -> list[Bar]:
        lang = t.language
        return [
            Bar(
                self.option_label(option, t),
                points or 0,
                "—"
                if points is None
                else t.n_("{points} point", "{points} points", points, points=format_number(points, lang)),
            )
            for option, points in result.borda_order()
        ]

    def figure_lines(self, result: QuestionResult, t: Translator) -> list[str]:
        """Numbered by Borda score: tied scores share a place (1, 2, 2, 4)."""
        chart_bars = [] if figures_withheld(result) else self.bars(result, t)
        return [
            f"{1 + sum(other.value > bar.value for other in chart_bars)}. "
            + t._("{label}: {count}", label=bar.label, count=bar.count)
            for bar in chart_bars
        ]

    def chart_note(self, t: Translator) -> str | None:
        return t._(
            "Borda count: a first place is worth {count} points, each place below one point less, "
            "an option left unranked none.",
            count=len(self.options),
        )

    def result_blocks(self, number: int, result: QuestionResult, t: Translator) -> list[Block]:
        blocks: list[Block] = [p(b(f"{number}. {self.text.get(t.language)}")), p(summary(result, t))]
        lines = self.figure_lines(result, t)
        if lines:
            blocks.append(ul(*lines))
        if not figures_withheld(result):
            blocks.append(p(i(self.chart_note(t) or "")))
        return blocks

    def filter_text(self, condition: Filter, t: Translator) -> str:
        answer, text = self.option_label(str(condition.value), t), self.text.get(t.language)
        if condition.op == "==":
            return t._(
                "Only the residents who ranked “{answer}” first in “{question}”", answer=answer, question=text
            )
        return t._(
            "Only the residents who did not rank “{answer}” first in “{question}”",
            answer=answer,
            question=text,
        )

    @classmethod
    def cell_text(cls, value: str | tuple[str, ...]) -> str:
        return RANKING_SEPARATOR.join(value) if isinstance(value, tuple) else value

    @classmethod
    def results_json(cls, result: QuestionResult) -> dict[str, Any]:
        return super().results_json(result) | {
            "ranks": {option: list(places or ()) for option, places in result.ranks.items()},
            "borda": dict(result.borda),
            "borda_order": [option for option, _ in result.borda_order()],
        }

    @classmethod
    def results_schema(cls) -> dict[str, Any]:
        return {
            "counts": counts_schema(),
            "ranks": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            },
            "borda": counts_schema(),
            "borda_order": {"type": "array", "items": {"type": "string"}},
        }
