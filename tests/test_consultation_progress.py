"""Progress through a consultation whose questions depend on earlier answers, conditions nested three deep:
the number of the question moves one at a time, the questions left are a range that only narrows, and the
invitation's range holds every path a resident can take."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Iterator
from typing import Any

from bot.consultations.definition import ConsultationDefinition, Question, load_definition
from bot.consultations.progress import Span, length, length_text, progress, progress_line
from bot.i18n import translator

FR = translator("fr")

NESTED = textwrap.dedent(
    """\
    id: velos
    title: Le vélo dans la commune
    description: Pour les tests.
    thanks: Merci !
    closes: "2026-12-20 18:00"
    questions:
      - id: velo
        type: yes_no
        text: Avez-vous un vélo ?
      - id: usage
        type: single_choice
        text: À quelle fréquence roulez-vous ?
        options:
          - {id: chaque-jour, text: Chaque jour}
          - {id: semaine, text: Chaque semaine}
          - {id: rarement, text: Rarement}
        show_if: {question: velo, equals: "yes"}
      - id: abri
        type: yes_no
        text: Faut-il un abri près de la gare ?
        show_if: {question: usage, in: [chaque-jour, semaine]}
      - id: ou
        type: free_text
        text: Où exactement ?
        optional: true
        show_if: {question: abri, equals: "yes"}
      - id: note
        type: scale
        text: Les pistes cyclables vous conviennent-elles ?
        min: 1
        max: 5
      - id: pourquoi
        type: yes_no
        text: Aimeriez-vous en avoir un ?
        show_if: {question: velo, equals: "no"}
      - id: age
        type: number
        text: Votre âge ?
        optional: true
    """
)

# what a resident may answer to each question (None: skipped, for an optional one)
CHOICES: dict[str, tuple[Any, ...]] = {
    "velo": ("yes", "no"),
    "usage": ("chaque-jour", "semaine", "rarement"),
    "abri": ("yes", "no"),
    "ou": ("Rue de la gare", None),
    "note": (1, 5),
    "pourquoi": ("yes", "no"),
    "age": (40, None),
}


def nested() -> ConsultationDefinition:
    return load_definition(NESTED, t=translator("en"))


def _next(definition: ConsultationDefinition, after: int, answers: dict[str, Any]) -> Question | None:
    """The next question asked, as the answering flow finds it."""
    return next((q for q in definition.questions[after:] if definition.is_visible(q, answers)), None)


def walks(definition: ConsultationDefinition) -> Iterator[list[tuple[Question, dict[str, Any]]]]:
    """Every path through the consultation: the questions asked, each with the answers given before it."""
    for picks in itertools.product(*(CHOICES[q.id] for q in definition.questions)):
        chosen = dict(zip((q.id for q in definition.questions), picks, strict=True))
        answers: dict[str, Any] = {}
        steps = []
        question = _next(definition, 0, answers)
        while question is not None:
            steps.append((question, dict(answers)))
            if chosen[question.id] is not None:
                answers[question.id] = chosen[question.id]
            question = _next(definition, definition.questions.index(question) + 1, answers)
        yield steps


def test_the_length_of_a_consultation_with_conditions_is_the_range_of_its_paths():
    definition = nested()
    assert length(definition) == Span(4, 6)
    assert length_text(definition, FR) == "4 à 6 questions"


def test_on_every_path_progress_moves_one_question_at_a_time_and_the_range_only_narrows_to_the_truth():
    definition = nested()
    total = length(definition)
    paths = list(walks(definition))
    assert {len(steps) for steps in paths} == {4, 5, 6}
    reachable: dict[tuple[str, frozenset], set[int]] = {}  # where a resident stands → the lengths ahead
    for steps in paths:
        for question, answers in steps:
            reachable.setdefault((question.id, frozenset(answers.items())), set()).add(len(steps))
    for steps in paths:
        lowest, highest = total.low, total.high
        for position, (question, answers) in enumerate(steps, start=1):
            where = progress(definition, question, answers)
            assert where.number == position, "answered questions are never counted again nor forgotten"
            low, high = where.number + where.left.low, where.number + where.left.high
            assert lowest <= low <= high <= highest, (question.id, answers)
            ahead = reachable[question.id, frozenset(answers.items())]
            assert (low, high) == (min(ahead), max(ahead)), "exactly the lengths still possible"
            lowest, highest = low, high
        assert where.left == Span(0, 0), "the last question says it is the last"


def test_the_progress_line_says_a_range_while_uncertain_and_one_number_once_certain():
    definition = nested()
    velo, _, abri, ou, note, _, _ = definition.questions
    assert progress_line(definition, velo, {}, FR) == "Question 1 · encore 3 à 5"
    after_no = {"velo": "no"}
    assert progress_line(definition, note, after_no, FR) == "Question 2 · encore 2", "no bike: all is known"
    cycling = {"velo": "yes", "usage": "semaine"}
    assert progress_line(definition, abri, cycling, FR) == "Question 3 · encore 2 à 3"
    assert progress_line(definition, ou, {**cycling, "abri": "yes"}, FR) == "Question 4 · encore 2"
    rarely = {"velo": "yes", "usage": "rarement", "note": 3}
    assert progress_line(definition, note, rarely, FR) == "Question 3 · encore 1"
    age = definition.questions[-1]
    assert progress_line(definition, age, {**rarely, "note": 3}, FR) == "Question 4 · dernière question"


def test_answers_kept_after_going_back_decide_nothing_until_given_again():
    """Back at the first question, the answers after it may still change: the range is the whole one."""
    definition = nested()
    later = {"velo": "no", "note": 2, "pourquoi": "yes"}
    assert progress(definition, definition.questions[0], later).left == Span(3, 5)


def _two_questions(third: str = "") -> ConsultationDefinition:
    head = NESTED.split("questions:")[0]
    questions = '  - {id: a, type: yes_no, text: "A ?"}\n  - {id: b, type: yes_no, text: "B ?"}\n' + third
    return load_definition(head + "questions:\n" + questions, t=translator("en"))


def test_without_conditions_the_count_is_one_number():
    definition = _two_questions()
    assert length_text(definition, FR) == "2 questions"
    assert progress_line(definition, definition.questions[0], {}, FR) == "Question 1 · encore 1"


def test_questions_that_exclude_each_other_leave_the_count_certain():
    """B for those who answer yes to A, C for those who answer no: two questions whatever the answers."""
    source = NESTED.split("questions:")[0] + textwrap.dedent(
        """\
        questions:
          - {id: a, type: yes_no, text: "A ?"}
          - {id: b, type: yes_no, text: "B ?", show_if: {question: a, equals: "yes"}}
          - {id: c, type: yes_no, text: "C ?", show_if: {question: a, equals: "no"}}
        """
    )
    definition = load_definition(source, t=translator("en"))
    assert length_text(definition, FR) == "2 questions"
    assert progress_line(definition, definition.questions[0], {}, FR) == "Question 1 · encore 1"


def test_a_number_question_decides_by_its_thresholds_and_a_multiple_choice_by_the_options_named():
    source = NESTED.split("questions:")[0] + textwrap.dedent(
        """\
        questions:
          - {id: age, type: number, text: "Âge ?", min: 0, max: 120, integer: true}
          - {id: jeune, type: yes_no, text: "Au collège ?", show_if: {question: age, at_most: 15}}
          - {id: senior, type: yes_no, text: "Retraité ?", show_if: {question: age, at_least: 65}}
          - id: transports
            type: multiple_choice
            text: "Comment venez-vous ?"
            options: [{id: pied, text: À pied}, {id: velo, text: À vélo}, {id: bus, text: En bus}]
            max_choices: 2
          - {id: arceaux, type: yes_no, text: "Des arceaux ?", show_if: {question: transports, equals: velo}}
          - {id: ligne, type: yes_no, text: "Quelle ligne ?", show_if: {question: transports, equals: bus}}
        """
    )
    definition = load_definition(source, t=translator("en"))
    assert length(definition) == Span(2, 5), "never both young and retired; a bike and a bus, yes"
