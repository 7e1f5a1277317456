"""A consultation's results as a chat message, and the figures each chart shows, in the reader's language.

The storage layer computes the figures (storage/consultation_results.py, which also defines them); this
module only words them. Numbers are formatted by Babel for the reader's language (« 1 234 », « 3,4 »,
« 61 % »). Percentages are of the residents who answered the question, so a multiple choice can sum to
more than 100 %. Free texts never appear in a chat message: only how many there are, and whether the
export carries them (it does once k residents wrote one). A figure the small-group rule withheld
(`QuestionResult.fewer_than`, see storage/consultation_results.py) reads "fewer than 5 answers" wherever
it would have been. Everything a chart shows is also in its text alternative (`chart_alt_text`), built
from the same `bars` as the chart itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal, format_percent

from bot.consultations.definition import (
    ConsultationDefinition,
    Question,
    RankingQuestion,
    ScaleQuestion,
)
from bot.formatting import Block, Rich, b, doc, i, p, ul
from bot.i18n import Translator
from storage.consultation_results import (
    MIN_GROUP,
    OPTION_TYPES,
    Condition,
    QuestionResult,
    QuestionShape,
    Results,
    compute_results,
)
from storage.database import Database

CHARTED_TYPES = frozenset({"single_choice", "multiple_choice", "yes_no", "scale", "ranking"})
SYMBOLS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a chart and one line of the message: a label, the value drawn, and its figures as text
    ("1 234" and "61 %", or "35 points" and no share). "—" stands for a withheld figure."""

    label: str
    value: float
    count: str
    share: str | None = None

    @property
    def figures(self) -> str:
        return self.count if self.share is None else f"{self.count} ({self.share})"


def shapes_of(definition: ConsultationDefinition) -> tuple[QuestionShape, ...]:
    """What the SQL aggregates need from each question of the definition."""
    shapes = []
    for question in definition.questions:
        options = tuple(getattr(question, "option_ids", ()))
        scale = (question.min, question.max) if isinstance(question, ScaleQuestion) else None
        slots = question.ranked_count if isinstance(question, RankingQuestion) else None
        shapes.append(QuestionShape(question.id, question.type, options, scale=scale, slots=slots))
    return tuple(shapes)


async def consultation_results(
    db: Database,
    consultation_id: int,
    definition: ConsultationDefinition,
    condition: Condition | None = None,
    *,
    min_group: int = MIN_GROUP,
) -> Results:
    return await compute_results(db, consultation_id, shapes_of(definition), condition, min_group=min_group)


def fewer_than_text(minimum: int, t: Translator) -> str:
    """What stands in for a withheld figure."""
    return t.n_("fewer than {minimum} answer", "fewer than {minimum} answers", minimum, minimum=minimum)


def why_withheld(minimum: int, t: Translator) -> str:
    return t.n_(
        "Figures resting on fewer than {minimum} answer are withheld so that nobody's answer can be "
        "recognized.",
        "Figures resting on fewer than {minimum} answers are withheld so that nobody's answer can be "
        "recognized.",
        minimum,
        minimum=minimum,
    )


def figures_withheld(result: QuestionResult) -> bool:
    """The question's figures (not only its free texts) were withheld by the small-group rule."""
    return result.fewer_than is not None and (result.type != "free_text" or result.respondents is None)


# --- numbers ----------------------------------------------------------------------------------------------


def format_number(value: float, language: str) -> str:
    """« 1 234 », « 3,4 » (at most two decimals): what a resident reads, never a float's repr."""
    return format_decimal(value, format="#,##0.##", locale=language)


def format_share(share: float, language: str) -> str:
    """« 61 % » in French, "61%" in English."""
    return format_percent(share, locale=language)


def _counted(label: str, count: int | None, result: QuestionResult, language: str) -> Bar:
    if count is None:
        return Bar(label, 0, "—")
    share = format_share(result.share(count) or 0.0, language)
    return Bar(label, count, format_number(count, language), share)


# --- what each question shows -----------------------------------------------------------------------------


def option_label(question: Question, option_id: str, t: Translator) -> str:
    if question.type == "yes_no":
        return t._("Yes") if option_id == "yes" else t._("No")
    return question.option(option_id).label(t.language)  # type: ignore[union-attr]


def scale_label(question: ScaleQuestion, value: int, t: Translator) -> str:
    """ "1 (Pas du tout)" at the ends of a scale with labels, the bare value elsewhere."""
    end = (
        question.min_label if value == question.min else question.max_label if value == question.max else None
    )
    return f"{value} ({end.get(t.language)})" if end is not None else str(value)


def bars(question: Question, result: QuestionResult, t: Translator) -> list[Bar]:
    """The bars of the question's chart, in the order drawn (top first); empty for numbers, texts and
    withheld figures."""
    lang = t.language
    if figures_withheld(result):
        return []
    if question.type in ("single_choice", "multiple_choice", "yes_no"):
        return [
            _counted(option_label(question, option, t), count, result, lang)
            for option, count in result.counts.items()
        ]
    if isinstance(question, ScaleQuestion):
        return [
            _counted(scale_label(question, value, t), count, result, lang)
            for value, count in result.distribution.items()
        ]
    if question.type == "ranking":
        return [
            Bar(
                option_label(question, option, t),
                points or 0,
                "—"
                if points is None
                else t.n_("{points} point", "{points} points", points, points=format_number(points, lang)),
            )
            for option, points in result.borda_order()
        ]
    return []


def summary(question: Question, result: QuestionResult, t: Translator) -> str:
    """ "412 answers · mean 3.4 · median 3", or "fewer than 5 answers"."""
    if result.fewer_than is not None and figures_withheld(result):
        return fewer_than_text(result.fewer_than, t)
    if result.respondents is None:
        return t._("figures withheld")
    lang = t.language
    parts = [
        t.n_(
            "{number} answer",
            "{number} answers",
            result.respondents,
            number=format_number(result.respondents, lang),
        )
    ]
    if result.mean is not None and result.median is not None:
        parts.append(
            t._(
                "mean {mean} · median {median}",
                mean=format_number(result.mean, lang),
                median=format_number(result.median, lang),
            )
        )
    return " · ".join(parts)


def borda_rule(question: RankingQuestion, t: Translator) -> str:
    return t._(
        "Borda count: a first place is worth {count} points, each place below one point less, "
        "an option left unranked none.",
        count=len(question.options),
    )


def free_text_line(result: QuestionResult, t: Translator) -> str:
    if figures_withheld(result):
        return fewer_than_text(result.fewer_than or 0, t)
    count = result.respondents or 0
    number = format_number(count, t.language)
    if result.texts_exported:
        return t.n_(
            "{number} free-text answer (available in the export)",
            "{number} free-text answers (available in the export)",
            count,
            number=number,
        )
    return t.n_(
        "{number} free-text answer (left out of the export until {minimum} residents have answered)",
        "{number} free-text answers (left out of the export until {minimum} residents have answered)",
        count,
        number=number,
        minimum=result.fewer_than or MIN_GROUP,
    )


def figure_lines(question: Question, result: QuestionResult, t: Translator) -> list[str]:
    """The figures of a question, one per line, as the message and the chart's text alternative say them;
    a ranking's lines are numbered by Borda score."""
    if question.type == "free_text":
        return [free_text_line(result, t)]
    chart_bars = bars(question, result, t)
    if question.type == "ranking":  # tied scores share a place: 1, 2, 2, 4
        return [
            f"{1 + sum(other.value > bar.value for other in chart_bars)}. "
            + t._("{label}: {count}", label=bar.label, count=bar.count)
            for bar in chart_bars
        ]
    return [
        t._("{label}: {count} ({share})", label=bar.label, count=bar.count, share=bar.share)
        if bar.share is not None
        else t._("{label}: {count}", label=bar.label, count=bar.count)
        for bar in chart_bars
    ]


def chart_alt_text(question: Question, result: QuestionResult, t: Translator) -> str:
    """The text alternative of the question's chart: every figure the chart shows, in reading order."""
    text = question.text.get(t.language)
    parts = [text if text.endswith(("?", "!", ".", "…")) else text + ".", summary(question, result, t) + "."]
    lines = figure_lines(question, result, t)
    if lines:
        parts.append("; ".join(lines) + ".")
    if result.fewer_than is not None and figures_withheld(result):
        parts.append(why_withheld(result.fewer_than, t))
    elif isinstance(question, RankingQuestion):
        parts.append(borda_rule(question, t))
    return " ".join(parts)


# --- the message ------------------------------------------------------------------------------------------


def condition_text(definition: ConsultationDefinition, condition: Condition, t: Translator) -> str:
    """Whom a filtered view counts, in words."""
    question = definition.question(condition.question)
    text = question.text.get(t.language)
    if question.type in OPTION_TYPES:
        answer = option_label(question, str(condition.value), t)
        if question.type == "ranking":
            if condition.op == "==":
                return t._(
                    "Only the residents who ranked “{answer}” first in “{question}”",
                    answer=answer,
                    question=text,
                )
            return t._(
                "Only the residents who did not rank “{answer}” first in “{question}”",
                answer=answer,
                question=text,
            )
        if condition.op == "==":
            return t._(
                "Only the residents who answered “{answer}” to “{question}”", answer=answer, question=text
            )
        return t._(
            "Only the residents who did not answer “{answer}” to “{question}”", answer=answer, question=text
        )
    comparison = f"{SYMBOLS[condition.op]} {format_number(float(condition.value), t.language)}"
    return t._(
        "Only the residents who answered {comparison} to “{question}”", comparison=comparison, question=text
    )


def question_blocks(number: int, question: Question, result: QuestionResult, t: Translator) -> list[Block]:
    blocks: list[Block] = [p(b(f"{number}. {question.text.get(t.language)}"))]
    if question.type == "free_text":
        blocks.append(p(free_text_line(result, t)))
        return blocks
    blocks.append(p(summary(question, result, t)))
    lines = figure_lines(question, result, t)
    if lines:
        blocks.append(ul(*lines))
    if isinstance(question, RankingQuestion) and not figures_withheld(result):
        blocks.append(p(i(borda_rule(question, t))))
    return blocks


def render_results(
    definition: ConsultationDefinition,
    results: Results,
    t: Translator,
    *,
    questions: Sequence[str] | None = None,
) -> Rich:
    """The results message: title, participation, then each question (or only `questions`, by id).
    A filtered view says whom it counts, and says so when its figures are withheld."""
    lang = t.language
    blocks: list[Block | None] = [p(b(t._("Results: {title}", title=definition.title.get(lang))))]
    if results.condition is not None:
        blocks.append(p(i(condition_text(definition, results.condition, t))))
    if results.submissions is None:
        blocks.append(
            p(
                t._(
                    "Fewer than {minimum} residents are in this group: its figures are withheld so that "
                    "nobody's answers can be recognized.",
                    minimum=results.min_group,
                )
            )
        )
        return doc(*blocks)
    blocks.append(
        p(
            t.n_(
                "{number} resident took part.",
                "{number} residents took part.",
                results.submissions,
                number=format_number(results.submissions, lang),
            )
        )
    )
    blocks.append(p(i(t._("Percentages are of the residents who answered each question."))))
    wanted = set(questions) if questions is not None else None
    if any(figures_withheld(r) for r in results.questions if wanted is None or r.id in wanted):
        blocks.append(p(i(why_withheld(results.min_group, t))))
    for number, question in enumerate(definition.questions, start=1):
        if wanted is None or question.id in wanted:
            blocks.extend(question_blocks(number, question, results.question(question.id), t))
    return doc(*blocks)
