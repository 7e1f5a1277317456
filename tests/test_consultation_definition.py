"""Consultation definitions: the example loads; a bad file is refused with every problem on its exact line;
display conditions and answers behave as the README documents (Consultations: the definition file)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.consultations.definition import (
    QUESTION_TYPES,
    Answer,
    AnswerError,
    Condition,
    ConsultationDefinition,
    DefinitionErrors,
    FreeTextQuestion,
    LocalizedText,
    MultipleChoiceQuestion,
    NumberQuestion,
    Question,
    RankingQuestion,
    ScaleQuestion,
    SingleChoiceQuestion,
    YesNoQuestion,
    definition_to_json,
    load_definition,
    slugify,
    validate_answer,
)
from bot.i18n import translator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "examples" / "place-du-marche.yaml"
CATALOG = ROOT / "tests" / "data" / "consultations"
EN = translator("en")

HEADER = """\
id: essai
title: Consultation d'essai
description: Une consultation pour les tests.
thanks: Merci !
closes: "2026-12-20 18:00"
questions:
"""

# the dates of a file are said in words, in the reader's language
CLOSES_BEFORE_OPENS = (
    "The consultation closes (Tuesday, December 1, 2026 at 9:00 AM) before it opens (Sunday, December 20, "
    "2026 at 6:00 PM)."
)


def load(text: str, now: datetime | None = None) -> ConsultationDefinition:
    return load_definition(text, t=EN, now=now)


def consultation(questions: str) -> ConsultationDefinition:
    """A valid consultation around ``questions`` (a YAML list, written without indentation)."""
    return load(HEADER + textwrap.indent(textwrap.dedent(questions), "  "))


def refusal(text: str, now: datetime | None = None) -> DefinitionErrors:
    with pytest.raises(DefinitionErrors) as caught:
        load(text, now=now)
    return caught.value


def example() -> ConsultationDefinition:
    return load(EXAMPLE.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the example


def test_the_example_loads_and_uses_every_question_type() -> None:
    definition = example()
    assert definition.id == "place-du-marche"
    assert len(definition.questions) >= 8
    assert {question.type for question in definition.questions} == set(QUESTION_TYPES)


def test_the_example_is_bilingual_anonymous_and_has_display_conditions() -> None:
    definition = example()
    assert definition.title.get("fr") == "Réaménagement de la place du marché"
    assert definition.title.get("en") == "Redesigning the market square"
    assert all(question.text.en for question in definition.questions)
    assert definition.description.en and definition.thanks.en
    assert definition.anonymous is True
    conditions = [q.show_if for q in definition.questions if q.show_if is not None]
    assert len(conditions) >= 2
    assert {"equals", "at_most"} <= {op for condition in conditions for op in condition.operators}


def test_the_example_reads_its_dates_in_paris_time_and_keeps_them_in_utc() -> None:
    definition = example()
    assert definition.timezone == "Europe/Paris"
    assert definition.opens_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Paris, winter time
    assert definition.closes_at == datetime(2026, 12, 20, 17, 0, tzinfo=UTC)
    assert definition.closes_at.utcoffset() is not None


def test_the_example_helpers_find_questions_by_id() -> None:
    definition = example()
    assert definition.index("frequence") == 0
    assert definition.question("pietonne").type == "yes_no"
    with pytest.raises(KeyError):
        definition.question("nope")


# --------------------------------------------------------------------------- the catalog of bad files

ID_RULE = "use 3 to 40 lowercase letters, digits and hyphens, not starting or ending with a hyphen."

# file → every (line, message) expected, in order. Each file but the last holds one problem.
INVALID: dict[str, list[tuple[int | None, str]]] = {
    "yaml-syntax-error.yaml": [
        (
            12,
            "YAML syntax error: expected ',' or ']', but got ':' "
            "(while parsing a flow sequence, started on line 11).",
        )
    ],
    "empty.yaml": [(1, "The file is empty.")],
    "not-a-mapping.yaml": [
        (2, "The file must describe a consultation: a mapping of fields such as id, title and questions.")
    ],
    "duplicate-key.yaml": [(6, "The field “title” is given twice.")],
    "unknown-field.yaml": [(11, "Unknown field “optionnal”; did you mean “optional”?")],
    "missing-field.yaml": [(11, "The field “text” is missing.")],
    "wrong-type.yaml": [(7, "Expected true or false.")],
    "bad-id.yaml": [(2, f"The id “Place du Marché” is not valid: {ID_RULE}")],
    "missing-french-text.yaml": [(3, "The French text (fr) is required.")],
    "unknown-timezone.yaml": [(7, "Unknown time zone “Europe/Lyon”; use a name such as Europe/Paris.")],
    "unparsable-date.yaml": [
        (7, "“32 décembre 2026 18h” is not a date: write it as 2026-12-01 09:00 (local time).")
    ],
    "relative-date.yaml": [
        (
            6,
            "“demain 18h” depends on today's date: write the full date with its year, "
            "such as 2026-12-01 09:00.",
        )
    ],
    "closes-before-opens.yaml": [
        (
            7,
            CLOSES_BEFORE_OPENS,
        )
    ],
    "unknown-question-type.yaml": [
        (
            11,
            "Unknown question type “dropdown”; expected one of: single_choice, multiple_choice, yes_no, "
            "scale, ranking, free_text, number.",
        )
    ],
    "duplicate-question-id.yaml": [(11, "The question id “q1” is already used by question 1.")],
    "duplicate-option-id.yaml": [
        (14, "Two options of this question have the id “oui”; give each one its own id.")
    ],
    "look-alike-options.yaml": [
        (
            14,
            "Options 1 and 3 look the same: “Marché” and “M\u0430rché”. Write options that read differently.",
        )
    ],
    "control-character.yaml": [
        (4, "This text contains an invisible control character (U+0000) that cannot be kept; remove it.")
    ],
    "number-too-long.yaml": [(11, "A number has at most 15 digits.")],
    "empty-options.yaml": [(11, "A question of this type needs at least 2 options; there are 0.")],
    "too-many-options.yaml": [(11, "A question of this type has at most 12 options; there are 13.")],
    "too-many-ranking-options.yaml": [(11, "A question of this type has at most 6 options; there are 7.")],
    "option-text-too-long.yaml": [(13, "The text (fr) is 100 characters long; the limit is 80.")],
    "scale-min-above-max.yaml": [(11, "“min” (5) must be less than “max” (1).")],
    "scale-out-of-range.yaml": [(12, "The value must be at most 10.")],
    "number-min-above-max.yaml": [(11, "“min” (31) must be less than “max” (0).")],
    "choices-min-above-max.yaml": [(12, "“min_choices” (3) must not be greater than “max_choices” (2).")],
    "min-choices-above-options.yaml": [(12, "“min_choices” (4) is more than the number of options (3).")],
    "condition-on-later-question.yaml": [
        (
            11,
            "This condition refers to question “q2”, which comes later: a question can only depend on an "
            "earlier one.",
        )
    ],
    "condition-on-same-question.yaml": [(12, "A question cannot depend on itself.")],
    "condition-on-unknown-question.yaml": [(15, "This condition refers to an unknown question “q0”.")],
    "condition-on-free-text.yaml": [(15, "A condition cannot depend on a free_text question.")],
    "condition-value-not-an-option.yaml": [
        (
            19,
            "“hebdo” is not an option of question “q1”; expected one of: tous-les-jours, chaque-semaine, "
            "rarement.",
        )
    ],
    "condition-wrong-kind.yaml": [(16, "“at_most” applies only to scale and number questions.")],
    "condition-value-outside-scale.yaml": [
        (16, "7 is not a possible answer to question “q1”: whole numbers from 1 to 5.")
    ],
    "condition-two-operators.yaml": [
        (
            17,
            "A condition takes one operator, but “equals” and “at_most” are both given "
            "(only at_least and at_most combine, into a range).",
        )
    ],
    "several-problems.yaml": [
        (2, f"The id “X” is not valid: {ID_RULE}"),
        (3, "Unknown field “de”; expected one of: fr, en."),
        (
            7,
            CLOSES_BEFORE_OPENS,
        ),
        (12, "“min” (5) must be less than “max” (1)."),
        (14, "Expected true or false."),
        (
            19,
            "This condition refers to question “q3”, which comes later: a question can only depend on an "
            "earlier one.",
        ),
        (20, "The question id “q1” is already used by question 1."),
        (27, "“min_choices” (3) is more than the number of options (2)."),
        (31, "The value must be at most 2000."),
    ],
}


def test_the_catalog_has_a_test_for_every_file_and_a_file_for_every_test() -> None:
    assert {path.name for path in CATALOG.glob("*.yaml")} == set(INVALID)
    single = [name for name, expected in INVALID.items() if len(expected) == 1]
    assert len(single) >= 15


@pytest.mark.parametrize(("name", "expected"), list(INVALID.items()), ids=list(INVALID))
def test_an_invalid_file_is_refused_with_each_problem_on_its_exact_line(
    name: str, expected: list[tuple[int | None, str]]
) -> None:
    errors = refusal((CATALOG / name).read_text(encoding="utf-8")).errors
    assert [(error.line, error.message) for error in errors] == expected


def test_an_error_names_the_path_of_the_offending_value() -> None:
    errors = refusal((CATALOG / "condition-value-not-an-option.yaml").read_text(encoding="utf-8")).errors
    assert [error.path for error in errors] == ["questions[1].show_if.in[1]"]
    errors = refusal((CATALOG / "several-problems.yaml").read_text(encoding="utf-8")).errors
    assert [error.path for error in errors][:4] == ["id", "title.de", "closes", "questions[0].min"]


def test_the_refusal_lists_one_problem_per_line_with_its_line_number() -> None:
    refused = refusal((CATALOG / "several-problems.yaml").read_text(encoding="utf-8"))
    lines = str(refused).splitlines()
    assert len(lines) == 9
    assert lines[0] == f"line 2: The id “X” is not valid: {ID_RULE}"
    assert lines[-1] == "line 31: The value must be at most 2000."


def test_the_report_for_the_organizer_has_a_heading_in_their_language() -> None:
    refused = refusal((CATALOG / "duplicate-question-id.yaml").read_text(encoding="utf-8"))
    assert refused.report(EN) == (
        "This consultation file has 1 problem; nothing was stored:\n"
        "line 11: The question id “q1” is already used by question 1."
    )


def test_a_wrong_field_does_not_hide_the_other_checks_of_its_question() -> None:
    refused = refusal(
        HEADER + "  - {id: q1, type: scale, text: 'Satisfait ?', min: 4, max: 2, optional: maybe}\n"
    )
    assert [(e.line, e.message) for e in refused.errors] == [
        (7, "“min” (4) must be less than “max” (2)."),
        (7, "Expected true or false."),
    ]


def test_a_check_that_depends_on_a_wrong_field_is_not_reported() -> None:
    # min is wrong: comparing its default with max would report a problem the organizer did not write
    refused = refusal(HEADER + "  - {id: q1, type: scale, text: 'Satisfait ?', min: un, max: 0}\n")
    assert [e.message for e in refused.errors] == ["Expected a whole number."]


def test_a_condition_on_a_broken_question_is_not_reported_as_unknown() -> None:
    refused = refusal(
        HEADER
        + "  - {id: q1, type: yes_no}\n"
        + "  - {id: q2, type: free_text, text: 'Pourquoi ?', show_if: {question: q1, equals: 'no'}}\n"
    )
    assert [(e.line, e.message) for e in refused.errors] == [(7, "The field “text” is missing.")]


def test_the_dates_are_checked_even_when_other_fields_are_wrong() -> None:
    text = (CATALOG / "closes-before-opens.yaml").read_text(encoding="utf-8").replace("title:", "titre:")
    messages = [e.message for e in refusal(text).errors]
    assert CLOSES_BEFORE_OPENS in messages
    assert "Unknown field “titre”; did you mean “title”?" in messages


def test_a_list_with_one_wrong_item_is_not_also_reported_as_too_short() -> None:
    refused = refusal(
        HEADER + "  - {id: q1, type: single_choice, text: 'Jour ?', options: [Samedi, [Dimanche]]}\n"
    )
    assert [(e.path, e.message) for e in refused.errors] == [
        ("questions[0].options[1]", "Expected an option: a text, or a mapping with “id” and “text”.")
    ]


def test_a_consultation_that_already_closed_is_refused_when_now_is_given() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    errors = refusal(text, now=datetime(2027, 1, 1, tzinfo=UTC)).errors
    assert [(e.path, e.message) for e in errors] == [
        ("closes", "This consultation already closed (Sunday, December 20, 2026 at 6:00 PM).")
    ]


def test_a_consultation_that_already_opened_can_still_be_imported() -> None:
    definition = load(EXAMPLE.read_text(encoding="utf-8"), now=datetime(2026, 12, 10, tzinfo=UTC))
    assert definition.opens_at is not None and definition.opens_at < datetime(2026, 12, 10, tzinfo=UTC)


def test_dates_may_be_written_as_french_calendar_dates_in_another_time_zone() -> None:
    text = HEADER.replace('"2026-12-20 18:00"', "20 décembre 2026 18h\ntimezone: America/Montreal")
    definition = load(text + "  - {id: q1, type: yes_no, text: 'Oui ?'}\n")
    assert definition.closes_at == datetime(2026, 12, 20, 23, 0, tzinfo=UTC)
    assert definition.opens_at is None  # opens when an organizer launches it


@pytest.mark.parametrize(
    "when", ["2026-13-01 09:00", "2026-02-30 09:00", "5 décembre", "dans 2 heures", "bientôt"]
)
def test_a_date_that_is_not_one_fixed_instant_is_refused(when: str) -> None:
    errors = refusal(
        HEADER.replace('"2026-12-20 18:00"', f'"{when}"') + "  - {id: q1, type: yes_no, text: Oui}\n"
    ).errors
    assert [(e.line, e.path) for e in errors] == [(5, "closes")]
    assert errors[0].message.startswith(f"“{when}”")


def test_yes_no_and_on_stay_text_in_yaml() -> None:
    definition = consultation(
        """\
        - {id: q1, type: single_choice, text: "Choix ?", options: [Oui, Non, on, off]}
        - {id: q2, type: yes_no, text: "Oui ?"}
        - {id: q3, type: free_text, text: "Pourquoi ?", show_if: {question: q2, equals: no}}
        """
    )
    assert isinstance(definition.questions[0], SingleChoiceQuestion)
    assert definition.questions[0].option_ids == ("oui", "non", "on", "off")
    condition = definition.question("q3").show_if
    assert condition is not None and condition.equals == "no"


def test_option_ids_default_to_a_slug_of_the_french_text() -> None:
    definition = consultation(
        """\
        - id: q1
          type: single_choice
          text: Comment venez-vous ?
          options: [À pied, "Cœur de ville : en bus", {id: velo, text: {fr: À vélo, en: By bike}}, 12]
        """
    )
    question = definition.questions[0]
    assert isinstance(question, SingleChoiceQuestion)
    assert question.option_ids == ("a-pied", "coeur-de-ville-en-bus", "velo", "12")
    assert slugify("Très, très long texte d'option qui dépasse trente-deux caractères") == (
        "tres-tres-long-texte-d-option-qu"
    )


def test_an_alias_bomb_is_refused_without_being_expanded() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for name, previous in zip("bcdefg", "abcdef", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    errors = refusal("\n".join(lines)).errors
    assert [e.message for e in errors] == ["The file is too complex: it expands to more than 20000 values."]


def test_a_definition_built_in_python_keeps_the_same_rules() -> None:
    with pytest.raises(ValidationError, match="must be less than"):
        ScaleQuestion(id="q1", text="Satisfait ?", min=5, max=1)
    with pytest.raises(ValidationError, match="needs an operator"):
        Condition(question="q1")
    with pytest.raises(ValidationError, match="comes later"):
        ConsultationDefinition.model_validate(
            {
                "id": "essai",
                "title": "Essai",
                "description": "Essai.",
                "thanks": "Merci !",
                "closes": "2026-12-20 18:00",
                "questions": [
                    {
                        "id": "q1",
                        "type": "free_text",
                        "text": "Pourquoi ?",
                        "show_if": {"question": "q2", "in": ["no"]},
                    },
                    {"id": "q2", "type": "yes_no", "text": "Oui ?"},
                ],
            }
        )


def test_a_definition_is_immutable() -> None:
    definition = example()
    with pytest.raises(ValidationError):
        definition.title = LocalizedText(fr="Autre")  # type: ignore[misc]  # the refused write under test


def test_every_problem_gets_a_message_in_french_the_default_language() -> None:
    # a message the French catalog does not translate yet still reads, in English
    with pytest.raises(DefinitionErrors) as caught:
        load_definition((CATALOG / "several-problems.yaml").read_text(encoding="utf-8"), t=translator("fr"))
    assert [error.line for error in caught.value.errors] == [
        line for line, _ in INVALID["several-problems.yaml"]
    ]
    assert all(error.message for error in caught.value.errors)


# --------------------------------------------------------------------------- display conditions

CONDITIONS = """\
- {id: yn, type: yes_no, text: "Oui ?"}
- {id: one, type: single_choice, text: "Un ?", options: [Rouge, Vert, Bleu]}
- {id: many, type: multiple_choice, text: "Plusieurs ?", options: [Rouge, Vert, Bleu]}
- {id: sc, type: scale, text: "Note ?", min: 0, max: 10}
- {id: nb, type: number, text: "Combien ?", min: 0}
- {id: if-yes, type: yes_no, text: a, show_if: {question: yn, equals: "yes"}}
- {id: if-not-red, type: free_text, text: b, show_if: {question: one, not_equals: rouge}}
- {id: if-red-or-blue, type: free_text, text: c, show_if: {question: one, in: [rouge, bleu]}}
- {id: if-green-chosen, type: free_text, text: d, show_if: {question: many, equals: vert}}
- {id: if-green-not-chosen, type: free_text, text: e, show_if: {question: many, not_equals: vert}}
- {id: if-low, type: yes_no, text: f, show_if: {question: sc, at_most: 2}}
- {id: if-high, type: free_text, text: g, show_if: {question: sc, at_least: 8}}
- {id: if-middle, type: free_text, text: h, show_if: {question: sc, at_least: 4, at_most: 6}}
- {id: if-five, type: free_text, text: i, show_if: {question: sc, equals: 5}}
- {id: if-many, type: free_text, text: j, show_if: {question: nb, at_least: 2.5}}
- {id: after-yes, type: free_text, text: k, show_if: {question: if-yes, equals: "yes"}}
- {id: chained, type: free_text, text: l, show_if: {question: if-low, not_equals: "no"}}
"""


def visible(question_id: str, answers: Mapping[str, Answer]) -> bool:
    definition = consultation(CONDITIONS)
    return definition.is_visible(definition.question(question_id), answers)


def test_a_question_without_condition_is_always_visible() -> None:
    assert visible("yn", {}) and visible("sc", {"yn": "no"})


def test_equals_on_a_yes_no_question() -> None:
    assert visible("if-yes", {"yn": "yes"})
    assert not visible("if-yes", {"yn": "no"})


def test_not_equals_and_in_on_a_single_choice() -> None:
    assert visible("if-not-red", {"one": "vert"})
    assert not visible("if-not-red", {"one": "rouge"})
    assert visible("if-red-or-blue", {"one": "bleu"})
    assert not visible("if-red-or-blue", {"one": "vert"})


def test_equals_on_a_multiple_choice_means_among_the_choices() -> None:
    assert visible("if-green-chosen", {"many": ("rouge", "vert")})
    assert not visible("if-green-chosen", {"many": ("rouge",)})
    assert visible("if-green-not-chosen", {"many": ("rouge", "bleu")})
    assert not visible("if-green-not-chosen", {"many": ("vert",)})


@pytest.mark.parametrize(
    ("question_id", "note", "shown"),
    [
        ("if-low", 2, True),
        ("if-low", 3, False),
        ("if-high", 8, True),
        ("if-high", 7, False),
        ("if-middle", 4, True),
        ("if-middle", 6, True),
        ("if-middle", 7, False),
        ("if-five", 5, True),
        ("if-five", 4, False),
    ],
)
def test_at_most_at_least_and_equals_on_a_scale(question_id: str, note: int, shown: bool) -> None:
    assert visible(question_id, {"sc": note}) is shown


def test_at_least_on_a_number() -> None:
    assert visible("if-many", {"nb": 3})
    assert not visible("if-many", {"nb": 2})


def test_a_condition_on_an_unanswered_question_is_not_met_whatever_its_operator() -> None:
    assert not visible("if-yes", {})
    assert not visible("if-not-red", {})
    assert not visible("if-green-not-chosen", {})


def test_a_question_depending_on_a_hidden_question_is_hidden_even_with_a_stale_answer() -> None:
    # "if-yes" was answered, then the resident went back and changed "yn": that answer no longer counts
    assert visible("after-yes", {"yn": "yes", "if-yes": "yes"})
    assert not visible("after-yes", {"yn": "no", "if-yes": "yes"})
    assert visible("chained", {"sc": 1, "if-low": "yes"})
    assert not visible("chained", {"sc": 9, "if-low": "yes"})


def test_is_visible_accepts_a_question_id() -> None:
    definition = consultation(CONDITIONS)
    assert definition.is_visible("if-yes", {"yn": "yes"})


# --------------------------------------------------------------------------- answers


def choice(**extra: object) -> dict[str, object]:
    return {
        "id": "q",
        "text": "Comment venez-vous ?",
        "options": [
            "À pied",
            "À vélo",
            {"id": "bus", "text": {"fr": "En bus", "en": "By bus"}},
            "En voiture",
        ],
        **extra,
    }


SINGLE = SingleChoiceQuestion.model_validate(choice())
MULTI = MultipleChoiceQuestion.model_validate(choice(min_choices=2, max_choices=3))
YES_NO = YesNoQuestion(id="q", text="Oui ?")
SCALE = ScaleQuestion(id="q", text="Note ?", min=1, max=5)
RANKING = RankingQuestion.model_validate(choice(max_ranked=2))
FULL_RANKING = RankingQuestion.model_validate(choice())
FREE = FreeTextQuestion(id="q", text="Une idée ?", max_length=20)
NUMBER = NumberQuestion(id="q", text="Âge ?", min=0, max=120, integer=True)
DECIMAL = NumberQuestion(id="q", text="Distance (km) ?", min=0)


@pytest.mark.parametrize(
    ("question", "raw", "expected"),
    [
        (SINGLE, "bus", "bus"),
        (SINGLE, "à vélo", "a-velo"),
        (SINGLE, "By bus", "bus"),
        (SINGLE, "4", "en-voiture"),
        (MULTI, ["bus", "a-pied"], ("a-pied", "bus")),
        (MULTI, "1, 3, 1", ("a-pied", "bus")),
        (YES_NO, "yes", "yes"),
        (YES_NO, "Non", "no"),
        (YES_NO, True, "yes"),
        (SCALE, 5, 5),
        (SCALE, " 3 ", 3),
        (RANKING, ["bus", "a-pied"], ("bus", "a-pied")),
        (FULL_RANKING, ("en-voiture", "bus", "a-velo", "a-pied"), ("en-voiture", "bus", "a-velo", "a-pied")),
        (FREE, "  Plus d'arbres  ", "Plus d'arbres"),
        (FREE, "Plus\u200b d'ar\u202ebres\r\nvite", "Plus d'arbres\nvite"),
        (SINGLE, "En b\u200bus", "bus"),
        (DECIMAL, "123 456 789 012,345", 123456789012.345),
        (DECIMAL, "000000000000000000001,500000000000000000", 1.5),
        (NUMBER, "42", 42),
        (NUMBER, 7.0, 7),
        (DECIMAL, "12,5", 12.5),
        (DECIMAL, 3, 3.0),
    ],
)
def test_validate_answer_accepts_and_normalizes(question: Question, raw: object, expected: Answer) -> None:
    answer = validate_answer(question, raw, EN)
    assert answer == expected
    assert type(answer) is type(expected)


CONTROL = (
    "Your text contains an invisible control character (U+0000) that cannot be kept. "
    "Please remove it and send the text again."
)
DIGITS = "Answer with a number of at most 15 digits."


@pytest.mark.parametrize(
    ("question", "raw", "message"),
    [
        (SINGLE, "trottinette", "“trottinette” is not one of the options."),
        (SINGLE, "9", "“9” is not one of the options."),
        (MULTI, ["bus"], "Choose at least 2 options."),
        (MULTI, ["bus", "a-pied", "a-velo", "en-voiture"], "Choose at most 3 options."),
        (MULTI, ["bus", "metro"], "“metro” is not one of the options."),
        (YES_NO, "peut-être", "Please answer yes or no."),
        (SCALE, 6, "Answer with a whole number from 1 to 5."),
        (SCALE, 2.5, "Answer with a whole number from 1 to 5."),
        (SCALE, "beaucoup", "Answer with a whole number from 1 to 5."),
        (SCALE, True, "Answer with a whole number from 1 to 5."),
        (RANKING, ["bus", "bus"], "“By bus” is ranked twice."),
        (RANKING, ["bus"], "Rank exactly 2 options."),
        (FULL_RANKING, ["bus", "a-pied", "a-velo"], "Rank exactly 4 options."),
        (FREE, "   ", "Your answer is empty."),
        (FREE, "x" * 21, "Your answer is 21 characters long; the limit is 20."),
        (NUMBER, "quarante", "Answer with a number."),
        (NUMBER, "4,5", "Answer with a whole number."),
        (NUMBER, 121, "Answer with a number from 0 to 120."),
        (DECIMAL, -1, "Answer with a number of at least 0."),
        (DECIMAL, float("nan"), "Answer with a number."),
        (DECIMAL, float("inf"), "Answer with a number."),
        (FREE, "Des bancs\x00", CONTROL),
        (FREE, "bip\x07", CONTROL.replace("U+0000", "U+0007")),
        (DECIMAL, "9" * 400, DIGITS),
        (DECIMAL, "9" * 400 + ",5", DIGITS),
        (NUMBER, "1" * 5000, DIGITS),
        (DECIMAL, "1234567890123456", DIGITS),
        (DECIMAL, "0,0000000000000001", DIGITS),
        (DECIMAL, 1e300, DIGITS),
    ],
)
def test_validate_answer_refuses_with_a_clear_message(question: Question, raw: object, message: str) -> None:
    with pytest.raises(AnswerError) as caught:
        validate_answer(question, raw, EN)
    assert caught.value.message == message


def test_an_answer_message_uses_the_resident_language_for_numbers() -> None:
    question = NumberQuestion(id="q", text="Distance ?", min=0.5, max=2.5)
    with pytest.raises(AnswerError) as caught:
        validate_answer(question, 3, translator("en"))
    assert caught.value.message == "Answer with a number from 0.5 to 2.5."
    with pytest.raises(AnswerError) as caught:
        validate_answer(question, 3, translator("fr"))
    assert "0,5" in caught.value.message and "2,5" in caught.value.message


# --------------------------------------------------------------------------- localization and export


def test_a_localized_text_falls_back_to_french() -> None:
    both = LocalizedText(fr="Bonjour", en="Hello")
    french_only = LocalizedText.model_validate("Bonjour")
    assert both.get("en") == "Hello" and both.get("en-GB") == "Hello"
    assert both.get("fr") == "Bonjour" and both.get("de") == "Bonjour" and both.get(None) == "Bonjour"
    assert french_only.get("en") == "Bonjour"


def test_the_open_data_export_is_stable_json_with_defaults_spelled_out() -> None:
    data = definition_to_json(example())
    assert json.loads(json.dumps(data)) == data
    assert data["format"] == "civicbot.consultation/1"
    assert list(data) == [
        "format",
        "id",
        "title",
        "description",
        "thanks",
        "timezone",
        "opens_at",
        "closes_at",
        "anonymous",
        "results_public",
        "questions",
    ]
    assert data["opens_at"] == "2026-12-01T08:00:00Z"
    assert data["title"] == {
        "fr": "Réaménagement de la place du marché",
        "en": "Redesigning the market square",
    }
    by_id = {question["id"]: question for question in data["questions"]}
    assert by_id["transport"]["max_choices"] == 3 and by_id["transport"]["min_choices"] == 1
    assert by_id["priorites"]["max_ranked"] == 3
    assert by_id["reproches"]["show_if"] == {"question": "satisfaction", "at_most": 2}
    assert by_id["marche-travaux"]["show_if"] == {
        "question": "frequence",
        "in": ["daily", "weekly", "market-day"],
    }
    assert by_id["age"] == {
        "id": "age",
        "type": "number",
        "text": by_id["age"]["text"],
        "optional": True,
        "show_if": None,
        "min": 0,
        "max": 120,
        "integer": True,
    }
