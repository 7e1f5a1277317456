"""The figures behind each question's chart as a table of numbers, for the workbook's sheet per question.

The rows follow the chart (options in the definition's order; a ranking by Borda score, highest first) and
hold the figures of `results_in`, so the small-group rule withheld exactly what it withholds in the chat
and the charts: a withheld figure is an empty cell, and the sheet says why. Shares are fractions of the
question's respondents (0.61, shown as 61 %), so a multiple choice can sum to more than 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.consultations.exports.columns import Value
from bot.consultations.questions import Question, ScaleQuestion
from bot.i18n import Translator
from storage.consultation_results import Kind, QuestionResult

Figure = int | float | str | None


@dataclass(frozen=True, slots=True)
class FigureTable:
    headers: list[str]
    rows: list[list[Figure]]
    shares: frozenset[int] = frozenset()  # the columns holding shares (0..1)


def _share(result: QuestionResult, count: int | None) -> float | None:
    return None if count is None else result.share(count)


def _share_headers(t: Translator) -> list[str]:
    return [t._("Answer given"), t._("Residents"), t._("Share of those who answered")]


def _counts(question: Question, result: QuestionResult, t: Translator) -> FigureTable:
    return FigureTable(
        _share_headers(t),
        [
            [question.option_label(option, t), count, _share(result, count)]
            for option, count in result.counts.items()
        ],
        frozenset({2}),
    )


def _ranking(question: Question, result: QuestionResult, t: Translator) -> FigureTable:
    places = question.shape().places
    headers = [t._("Option"), t._("Points (Borda count)"), t._("Residents who ranked it")]
    headers += [t._("Ranked {place}", place=place) for place in range(1, places + 1)]
    rows: list[list[Figure]] = []
    for option, points in result.borda_order():
        ranks = result.ranks.get(option)
        rows.append(
            [
                question.option_label(option, t),
                points,
                result.counts.get(option),
                *(ranks if ranks is not None else [None] * places),
            ]
        )
    return FigureTable(headers, rows)


def _scale(question: Question, result: QuestionResult, t: Translator) -> FigureTable:
    label = question.value_label if isinstance(question, ScaleQuestion) else lambda v, _: str(v)
    rows: list[list[Figure]] = [
        [label(value, t), count, _share(result, count)] for value, count in result.distribution.items()
    ]
    rows += [[t._("Mean"), result.mean, None], [t._("Median"), result.median, None]]
    return FigureTable(_share_headers(t), rows, frozenset({2}))


def _number(question: Question, result: QuestionResult, t: Translator) -> FigureTable:
    return FigureTable(
        [t._("Figure"), t._("Value")],
        [[t._("Answers"), result.respondents], [t._("Mean"), result.mean], [t._("Median"), result.median]],
    )


def _texts(question: Question, result: QuestionResult, t: Translator) -> FigureTable:
    exported: Value = t._("Yes") if result.texts_exported else t._("No")
    return FigureTable(
        [t._("Figure"), t._("Value")],
        [[t._("Free-text answers"), result.respondents], [t._("In the exported answers"), exported]],
    )


TABLES = {
    Kind.ONE_OPTION: _counts,
    Kind.SOME_OPTIONS: _counts,
    Kind.RANKING: _ranking,
    Kind.SCALE: _scale,
    Kind.NUMBER: _number,
    Kind.TEXT: _texts,
}


def figure_table(question: Question, result: QuestionResult, t: Translator) -> FigureTable:
    """The figures of one question: the shape of the table depends on how its answers are aggregated."""
    return TABLES[result.kind](question, result, t)
