"""How long a consultation is and how far a resident has come, told honestly when display conditions
(`show_if`) make its length uncertain.

Counting the questions visible with the answers so far ("Question 2 of 8") moves the total whenever an
answer shows or hides a question, up and down. Here the questions still to come are a range: the fewest
and the most any answers from now on can lead to. A condition names one earlier question, so the
questions form trees (a question, the ones shown depending on its answer, theirs…) and each tree's range
comes from the answers that decide its conditions (`Question.deciding_answers`). As the resident moves
forward the range only narrows, inside the one the invitation announced; it is one number as soon as
every path left has the same length.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.consultations.model import ConsultationDefinition
from bot.consultations.questions import Question
from bot.i18n import Translator


@dataclass(frozen=True, slots=True)
class Span:
    """Between `low` and `high` questions (equal when certain)."""

    low: int
    high: int

    def __add__(self, other: Span) -> Span:
        return Span(self.low + other.low, self.high + other.high)


NONE = Span(0, 0)


class _Trees:
    """The questions of a definition as trees of conditions, and how many questions each tree may ask."""

    def __init__(self, definition: ConsultationDefinition) -> None:
        self.definition = definition
        self.children: dict[str, list[Question]] = {q.id: [] for q in definition.questions}
        for question in definition.questions:
            if question.show_if is not None:
                self.children[question.show_if.question].append(question)
        self._spans: dict[str, Span] = {}

    def span(self, question: Question) -> Span:
        """How many questions `question` and those depending on it ask, when it is asked and nothing after
        it is answered yet."""
        found = self._spans.get(question.id)
        if found is None:
            found = self._spans[question.id] = Span(1, 1) + self._below(question)
        return found

    def _below(self, question: Question) -> Span:
        kids = self.children[question.id]
        if not kids:
            return NONE
        spans = [self.span(kid) for kid in kids]
        answers: list[Any] = [*question.deciding_answers([kid.show_if for kid in kids if kid.show_if])]
        if question.optional or not answers:
            answers.append(None)  # skipped
        sums = [
            sum(
                (span for kid, span in zip(kids, spans, strict=True) if _met(kid, question, answer)),
                NONE,
            )
            for answer in answers
        ]
        return Span(min(s.low for s in sums), max(s.high for s in sums))

    def left_after(self, current: Question, answers: Mapping[str, Any]) -> Span:
        """The questions after `current` (which is asked), when the answers before it are final and the
        ones to it and after it may still change."""
        questions = self.definition.questions
        index = questions.index(current)
        left = self._below(current)
        for question in questions[index + 1 :]:
            parent = question.show_if.question if question.show_if is not None else None
            if parent is None:
                left += self.span(question)
            elif self.definition.index(parent) < index and self.definition.is_visible(question, answers):
                left += self.span(question)  # (a parent at or after `current` counts it in its own tree)
        return left


def _met(kid: Question, parent: Question, answer: Any) -> bool:
    return kid.show_if is not None and kid.show_if.is_met(parent, answer)


def length(definition: ConsultationDefinition) -> Span:
    """How many questions a resident may be asked, before any answer."""
    trees = _Trees(definition)
    return sum((trees.span(q) for q in definition.questions if q.show_if is None), NONE)


@dataclass(frozen=True, slots=True)
class Progress:
    """The current question's `number` among those asked, and how many may follow (`left`)."""

    number: int
    left: Span


def progress(definition: ConsultationDefinition, current: Question, answers: Mapping[str, Any]) -> Progress:
    """Where the resident stands at `current`. The answers before it are final; the ones to it and after it
    (kept when the resident went back) may still change, so they decide nothing yet."""
    before = definition.questions[: definition.questions.index(current)]
    number = 1 + sum(1 for question in before if definition.is_visible(question, answers))
    return Progress(number, _Trees(definition).left_after(current, answers))


def progress_line(
    definition: ConsultationDefinition, current: Question, answers: Mapping[str, Any], t: Translator
) -> str:
    """« Question 3 · encore 4 à 7 », « Question 3 · encore 4 », « Question 9 · dernière question »."""
    where = progress(definition, current, answers)
    number, low, high = where.number, where.left.low, where.left.high
    if high == 0:
        return t._("Question {number} · the last one", number=number)
    if low == high:
        return t.n_(
            "Question {number} · {count} more", "Question {number} · {count} more", low, number=number
        )
    if low == 0:
        return t._("Question {number} · up to {high} more", number=number, high=high)
    return t._("Question {number} · {low} to {high} more", number=number, low=low, high=high)


def length_text(definition: ConsultationDefinition, t: Translator) -> str:
    """« 10 questions », or « 7 à 10 questions » when display conditions decide some of them."""
    span = length(definition)
    if span.low == span.high:
        return t.n_("{count} question", "{count} questions", span.high)
    return t._("{low} to {high} questions", low=span.low, high=span.high)
