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

from bot.consultations.figures import (
    Bar,
    counted,
    fewer_than_text,
    figures_withheld,
    format_number,
    format_share,
    free_text_line,
    why_withheld,
)
from bot.consultations.figures import summary as result_summary
from bot.consultations.model import ConsultationDefinition
from bot.consultations.questions import Question, RankingQuestion, ScaleQuestion
from bot.formatting import Block, Rich, b, doc, i, p
from bot.i18n import Translator
from storage.consultation_results import (
    MIN_GROUP,
    Condition,
    QuestionResult,
    QuestionShape,
    Results,
    compute_results,
)
from storage.database import Database

__all__ = [
    "Bar",
    "counted",
    "fewer_than_text",
    "figures_withheld",
    "format_number",
    "format_share",
    "free_text_line",
    "why_withheld",
]


def shapes_of(definition: ConsultationDefinition) -> tuple[QuestionShape, ...]:
    """What the SQL aggregates need from each question of the definition."""
    return tuple(question.shape() for question in definition.questions)


async def consultation_results(
    db: Database,
    consultation_id: int,
    definition: ConsultationDefinition,
    condition: Condition | None = None,
    *,
    min_group: int = MIN_GROUP,
) -> Results:
    return await compute_results(db, consultation_id, shapes_of(definition), condition, min_group=min_group)


# --- what each question shows -----------------------------------------------------------------------------


def option_label(question: Question, option_id: str, t: Translator) -> str:
    return question.option_label(option_id, t)


def scale_label(question: ScaleQuestion, value: int, t: Translator) -> str:
    """ "1 (Pas du tout)" at the ends of a scale with labels, the bare value elsewhere."""
    return question.value_label(value, t)


def bars(question: Question, result: QuestionResult, t: Translator) -> list[Bar]:
    """The bars of the question's chart, in the order drawn (top first); empty for numbers, texts and
    withheld figures."""
    return [] if figures_withheld(result) else question.bars(result, t)


def summary(question: Question, result: QuestionResult, t: Translator) -> str:
    """ "412 answers · mean 3.4 · median 3", or "fewer than 5 answers"."""
    return result_summary(result, t)


def borda_rule(question: RankingQuestion, t: Translator) -> str:
    return question.chart_note(t) or ""


def figure_lines(question: Question, result: QuestionResult, t: Translator) -> list[str]:
    """The figures of a question, one per line, as the message and the chart's text alternative say them;
    a ranking's lines are numbered by Borda score."""
    return question.figure_lines(result, t)


def chart_alt_text(question: Question, result: QuestionResult, t: Translator) -> str:
    """The text alternative of the question's chart: every figure the chart shows, in reading order."""
    text = question.text.get(t.language)
    parts = [text if text.endswith(("?", "!", ".", "…")) else text + ".", result_summary(result, t) + "."]
    lines = figure_lines(question, result, t)
    if lines:
        parts.append("; ".join(lines) + ".")
    note = question.chart_note(t)
    if result.fewer_than is not None and figures_withheld(result):
        parts.append(why_withheld(result.fewer_than, t))
    elif note is not None:
        parts.append(note)
    return " ".join(parts)


# --- the message ------------------------------------------------------------------------------------------


def condition_text(definition: ConsultationDefinition, condition: Condition, t: Translator) -> str:
    """Whom a filtered view counts, in words."""
    return definition.question(condition.question).filter_text(condition, t)


def question_blocks(number: int, question: Question, result: QuestionResult, t: Translator) -> list[Block]:
    return question.result_blocks(number, result, t)


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
