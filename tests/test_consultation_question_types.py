"""Adding a question type is one class in one file: the test defines a `percent` type here, and the file
loads, answers are checked, stored, read back, counted and exported without editing anything else."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Literal

import pytest

from bench.results import create_consultation
from bot.consultations.answers import AnswerError, read_number, validate_answer
from bot.consultations.exports.answers_csv import export_csv
from bot.consultations.exports.open_data import document
from bot.consultations.exports.source import ExportSource
from bot.consultations.fields import Answer
from bot.consultations.flow import answers_from_rows, pieces_of
from bot.consultations.loaded import Loaded
from bot.consultations.loading import load_definition
from bot.consultations.questions import QUESTION_TYPES
from bot.consultations.questions.base import NumericQuestion, unregister
from bot.consultations.results import consultation_results, render_results
from bot.i18n import Translator, translator
from storage.consultation_results import KINDS, Kind
from storage.consultations import by_id
from storage.database import Database
from storage.submissions import flush_submissions, submit
from tests.test_consultation_results import read_csv

EN = translator("en")

SOURCE = """\
id: essai-percent
title: Essai
description: Un type de question défini par le test.
thanks: Merci !
closes: "2026-12-20 18:00"
questions:
  - id: part
    type: percent
    text: Quelle part de vos trajets faites-vous à pied ?
  - id: suite
    type: yes_no
    text: Et à vélo ?
    show_if: {question: part, at_least: 50}
"""


@pytest.fixture
def percent() -> Iterator[type[NumericQuestion]]:
    """The new type, registered by defining its class, and removed after the test."""

    class PercentQuestion(NumericQuestion):
        type: Literal["percent"] = "percent"
        storage_kind: ClassVar[Kind] = Kind.NUMBER
        typed: ClassVar[bool] = True

        def check_answer(self, raw: Any, t: Translator) -> Answer:
            value = read_number(str(raw).rstrip("% "), t)
            if value is None or value != int(value) or not 0 <= value <= 100:
                raise AnswerError("Answer with a percentage from 0 to 100.")
            return int(value)

        def answer_from_rows(self, rows: Sequence[Any]) -> Answer:
            return int(rows[0].number)

    yield PercentQuestion
    unregister("percent")
    KINDS.pop("percent", None)


async def test_a_question_type_defined_in_one_class_works_end_to_end(
    db: Database, percent: type[NumericQuestion]
) -> None:
    assert QUESTION_TYPES["percent"] is percent and list(QUESTION_TYPES)[-1] == "percent"
    definition = load_definition(SOURCE, t=EN)
    question = definition.question("part")
    assert isinstance(question, percent)
    assert definition.is_visible("suite", {"part": 60}) and not definition.is_visible("suite", {"part": 10})
    assert validate_answer(question, "75 %", EN) == 75
    with pytest.raises(AnswerError):
        validate_answer(question, "120", EN)
    assert json.loads(json.dumps(question.to_json()))["type"] == "percent"

    consultation_id = await create_consultation(db, definition)
    consultation = await by_id(db, consultation_id)
    assert consultation is not None
    for n, value in enumerate([10, 20, 30, 40, 60, 80]):
        pieces = pieces_of(question, validate_answer(question, str(value), EN))
        await submit(db, consultation, platform="test", user_id=f"r{n}", pieces=pieces, editing=None)
    await flush_submissions(db, consultation_id, everything=True)

    loaded = Loaded(consultation, definition)
    rows = [type("Row", (), {"question": "part", "position": 0, "number": 60.0})()]
    assert answers_from_rows(loaded, rows) == {"part": 60}

    results = await consultation_results(db, consultation_id, definition)
    figures = results.question("part")
    assert figures.respondents == 6 and figures.mean == 40 and figures.median == 35
    assert "mean 40 · median 35" in render_results(definition, results, EN).plain
    exported = document(ExportSource(db, consultation, definition, EN), results, {})["questions"][0]
    assert exported == {
        "id": "part",
        "type": "percent",
        "respondents": 6,
        "mean": 40.0,
        "median": 35.0,
        "withheld": False,
    }
    header, csv_rows = read_csv(
        await export_csv(ExportSource(db, consultation, definition, EN)), definition, "en"
    )
    assert header == ["respondent", "part", "suite"]
    assert sorted(int(row["part"]) for row in csv_rows) == [10, 20, 30, 40, 60, 80]


def test_an_unknown_type_lists_the_registered_ones(percent: type[NumericQuestion]) -> None:
    with pytest.raises(Exception, match=r"expected one of: single_choice, .*, number, percent"):
        load_definition(SOURCE.replace("type: percent", "type: pourcent"), t=EN)
