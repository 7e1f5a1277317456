"""Open-data exports: the CSV's columns, cells and notes, free texts held back below 5 answers, streaming,
and a JSON document that validates against its documented schema and repeats the results' figures."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from bot.consultations.definition import definition_to_json
from bot.consultations.export import (
    RESPONDENT,
    RESULTS_FORMAT,
    RESULTS_SCHEMA,
    _cell_text,
    csv_chunks,
    export_attachments,
    export_csv,
    export_json,
    results_as_text,
)
from bot.consultations.results import consultation_results
from bot.i18n import translator
from storage.consultation_results import QuestionShape
from storage.consultations import by_id
from storage.database import Database
from storage.tables import Consultation, Submission
from tests.test_consultation_results import DEFINITION, populate, read_csv, submit_answers

QUESTION_IDS = [q.id for q in DEFINITION.questions]


async def _consultation(db: Database) -> Consultation:
    from bench.results import create_consultation

    found = await by_id(db, await create_consultation(db, DEFINITION))
    assert found is not None
    return found


async def _submission_ids(db: Database, consultation_id: int) -> list[str]:
    async with db.read() as session:
        query = select(Submission.id).where(Submission.consultation_id == consultation_id)
        return sorted((await session.exec(query)).all())


# --- CSV --------------------------------------------------------------------------------------------------


async def test_one_row_per_submission_in_id_order_with_a_column_per_question(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 40, submitted=10)
    assert consultation.id is not None
    header, rows, notes = read_csv(await export_csv(db, consultation, DEFINITION))
    assert header == [RESPONDENT, *QUESTION_IDS]
    ids = [row[RESPONDENT] for row in rows]
    assert ids == await _submission_ids(db, consultation.id)  # the pseudonym is the random submission id
    assert ids == sorted(ids)
    assert notes and all(note.startswith("# ") for note in notes)
    for row in rows:
        assert row["pietonne"] in ("", "yes", "no")
        assert all(
            part in DEFINITION.question("transport").option_ids
            for part in row["transport"].split("; ")
            if row["transport"]
        )
        if row["priorites"]:
            assert len(row["priorites"].split(" > ")) == 3
        if row["satisfaction"]:
            assert re.fullmatch(r"[1-5]", row["satisfaction"])
        if row["age"]:
            assert re.fullmatch(r"\d+", row["age"])  # integer question: "45", never "45.0"
        if row["stationnement"]:
            assert row["pietonne"] == "yes"  # hidden questions stay empty


async def test_cells_keep_the_order_of_choices_and_rankings(db: Database) -> None:
    consultation = await _consultation(db)
    await submit_answers(
        db,
        consultation,
        [
            {
                "transport": ("walk", "car", "bus"),
                "priorites": ("halle", "arbres", "jeux"),
                "age": 7,
                "pietonne": "no",
            }
        ],
    )
    _, rows, _ = read_csv(await export_csv(db, consultation, DEFINITION, min_group=1))  # one row: shown
    assert rows[0]["transport"] == "walk; car; bus"
    assert rows[0]["priorites"] == "halle > arbres > jeux"
    assert rows[0]["age"] == "7" and rows[0]["pietonne"] == "no" and rows[0]["frequence"] == ""


def test_cell_formats() -> None:
    number = QuestionShape("n", "number")
    assert _cell_text(number, 12.5) == "12.5"
    assert _cell_text(number, 3.0) == "3"
    assert _cell_text(number, None) == ""
    assert _cell_text(QuestionShape("m", "multiple_choice", ("a", "b")), ("a", "b")) == "a; b"
    assert _cell_text(QuestionShape("r", "ranking", ("a", "b")), ("b", "a")) == "b > a"
    assert (
        _cell_text(QuestionShape("f", "free_text"), 'Un "texte", avec\nun retour')
        == 'Un "texte", avec\nun retour'
    )
    assert _cell_text(QuestionShape("f", "free_text"), "=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell_text(QuestionShape("f", "free_text"), "-5 °C") == "'-5 °C"


async def test_no_timestamp_and_no_identity_in_the_file(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 12, submitted=12)
    data = (await export_csv(db, consultation, DEFINITION)).decode()
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}", data)
    assert "resident" not in data.replace("residents", "").replace(RESPONDENT, "")
    assert "test" not in data.lower().replace("texte", "")  # the platform of the submitters


async def test_free_texts_are_left_out_while_fewer_than_five_answered(db: Database) -> None:
    consultation = await _consultation(db)
    await submit_answers(
        db, consultation, [{"idees": f"Idée secrète {n}", "pietonne": "yes"} for n in range(4)]
    )
    data = await export_csv(db, consultation, DEFINITION, t=translator("en"))
    _, rows, notes = read_csv(data)
    assert [row["idees"] for row in rows] == [""] * 4
    assert b"secr" not in data
    assert any("“idees” is empty" in note and "at least 5" in note and "(4 so far)" in note for note in notes)

    await submit_answers(db, consultation, [{"idees": "Idée secrète 4", "pietonne": "no"}])
    data = await export_csv(db, consultation, DEFINITION, t=translator("en"))
    _, rows, notes = read_csv(data)
    assert sorted(row["idees"] for row in rows) == [f"Idée secrète {n}" for n in range(5)]
    assert not any("“idees”" in note for note in notes)
    assert any("“reproches” is empty" in note and "(0 so far)" in note for note in notes)


async def test_a_scale_or_number_answered_by_fewer_than_k_is_empty_in_the_csv_and_null_in_the_json(
    db: Database,
) -> None:
    consultation = await _consultation(db)
    answers: list[dict[str, Any]] = [{"age": 42, "satisfaction": 2, "pietonne": "yes"}]
    answers += [{"pietonne": "no"} for _ in range(5)]
    await submit_answers(db, consultation, answers)
    data = await export_csv(db, consultation, DEFINITION, t=translator("en"))
    _, rows, notes = read_csv(data)
    assert [row["age"] for row in rows] == [""] * 6 and [row["satisfaction"] for row in rows] == [""] * 6
    assert sorted(row["pietonne"] for row in rows) == ["no"] * 5 + ["yes"], "choices are shown: 1 yes"
    assert any("“age” is empty" in note and "fewer than 5" in note for note in notes)
    assert not any("“frequence”" in note for note in notes), "nobody answered it: nothing to protect"

    document = json.loads(await export_json(db, consultation, DEFINITION, t=translator("en")))
    validate(document, RESULTS_SCHEMA)
    questions = {q["id"]: q for q in document["questions"]}
    assert questions["age"] == {
        "id": "age", "type": "number", "respondents": 1, "mean": None, "median": None, "withheld": True
    }  # fmt: skip
    assert questions["satisfaction"]["distribution"] is None and questions["satisfaction"]["withheld"]
    assert questions["frequence"]["counts"] == {"daily": 0, "weekly": 0, "market-day": 0, "rarely": 0}
    assert any("“satisfaction” is empty" in note for note in document["readme"])

    smaller_k = json.loads(await export_json(db, consultation, DEFINITION, min_group=1))
    assert smaller_k["min_group"] == 1
    assert {q["id"]: q for q in smaller_k["questions"]}["age"]["mean"] == 42
    _, rows, _ = read_csv(await export_csv(db, consultation, DEFINITION, min_group=1))
    assert sorted(row["age"] for row in rows) == [""] * 5 + ["42"]


async def test_texts_with_commas_quotes_and_line_breaks_survive(db: Database) -> None:
    consultation = await _consultation(db)
    texts = [f'Ligne {n}, "citée";\n# pas un commentaire\r\nfin' for n in range(5)]
    await submit_answers(db, consultation, [{"idees": text} for text in texts])
    _, rows, _ = read_csv(await export_csv(db, consultation, DEFINITION))
    assert sorted(row["idees"] for row in rows) == sorted(texts)


async def test_the_file_is_streamed_in_pieces(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 30, submitted=0)
    chunks = [chunk async for chunk in csv_chunks(db, consultation, DEFINITION, batch=7)]
    assert len(chunks) == 5  # 4 full batches of 7 rows, then the last 2
    assert b"".join(chunks) == await export_csv(db, consultation, DEFINITION)
    plain = b"".join([chunk async for chunk in csv_chunks(db, consultation, DEFINITION, notes=False)])
    assert plain.startswith(f"{RESPONDENT},frequence,".encode())


# --- JSON -------------------------------------------------------------------------------------------------


_JSON_KINDS: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def validate(instance: Any, schema: dict[str, Any], path: str = "$") -> None:
    """The subset of JSON Schema that RESULTS_SCHEMA uses (no dependency for one schema)."""
    if "oneOf" in schema:
        _validate_one_of(instance, schema["oneOf"], path)
        return
    _validate_value(instance, schema, path)
    if isinstance(instance, dict):
        _validate_object(instance, schema, path)
    if isinstance(instance, list) and "items" in schema:
        for n, item in enumerate(instance):
            validate(item, schema["items"], f"{path}[{n}]")


def _validate_one_of(instance: Any, options: list[dict[str, Any]], path: str) -> None:
    matches = 0
    for option in options:
        try:
            validate(instance, option, path)
            matches += 1
        except AssertionError:
            pass
    assert matches == 1, f"{path}: matches {matches} of oneOf"


def _validate_value(instance: Any, schema: dict[str, Any], path: str) -> None:
    """``type``, ``const``, ``enum`` and ``minimum``."""
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert any(_JSON_KINDS[k](instance) for k in types), f"{path}: not {types}"
    if "const" in schema:
        assert instance == schema["const"], f"{path}: not {schema['const']!r}"
    if "enum" in schema:
        assert instance in schema["enum"], f"{path}: not in {schema['enum']}"
    if "minimum" in schema and instance is not None:
        assert instance >= schema["minimum"], f"{path}: below {schema['minimum']}"


def _validate_object(instance: dict[str, Any], schema: dict[str, Any], path: str) -> None:
    """``required``, ``properties`` and ``additionalProperties``."""
    for key in schema.get("required", ()):
        assert key in instance, f"{path}: missing {key}"
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, value in instance.items():
        if key in properties:
            validate(value, properties[key], f"{path}.{key}")
        elif extra is False:
            raise AssertionError(f"{path}: unexpected {key}")
        elif isinstance(extra, dict):
            validate(value, extra, f"{path}.{key}")


def test_the_validator_catches_a_wrong_document() -> None:
    for broken in ({"format": "other"}, {"questions": [{"id": "q", "type": "scale", "respondents": 1}]}):
        try:
            validate({**broken}, RESULTS_SCHEMA)
        except AssertionError:
            continue
        raise AssertionError(f"{broken} passed")


async def test_json_validates_against_its_schema_and_repeats_the_results(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 60, submitted=5)
    assert consultation.id is not None
    data = json.loads(await export_json(db, consultation, DEFINITION))
    validate(data, RESULTS_SCHEMA)
    assert data["format"] == RESULTS_FORMAT
    assert data["definition"] == json.loads(json.dumps(definition_to_json(DEFINITION)))
    assert data["closed_at"] is None and data["min_group"] == 5
    results = await consultation_results(db, consultation.id, DEFINITION)
    assert data["submissions"] == results.submissions == 60
    assert [q["id"] for q in data["questions"]] == QUESTION_IDS
    by_id_ = {q["id"]: q for q in data["questions"]}
    for result in results.questions:
        exported = by_id_[result.id]
        assert exported["respondents"] == result.respondents
        if "counts" in exported:
            assert exported["counts"] == result.counts
        if result.type == "ranking":
            assert exported["borda"] == result.borda
            assert exported["ranks"] == {o: list(r or ()) for o, r in result.ranks.items()}
            assert exported["borda_order"] == [o for o, _ in result.borda_order()]
        if result.type == "scale":
            assert exported["distribution"] == {str(k): v for k, v in result.distribution.items()}
        if result.type in ("scale", "number"):
            assert exported["mean"] == result.mean and exported["median"] == result.median
            assert exported["withheld"] is False
        if result.type == "free_text":
            assert exported["texts_exported"] == result.texts_exported
    assert await export_json(db, consultation, DEFINITION) == await export_json(db, consultation, DEFINITION)


async def test_json_of_an_empty_consultation_validates(db: Database) -> None:
    consultation = await _consultation(db)
    data = json.loads(await export_json(db, consultation, DEFINITION, t=translator("en")))
    validate(data, RESULTS_SCHEMA)
    assert data["submissions"] == 0
    assert any("“idees” is empty" in note for note in data["readme"])


async def test_a_non_finite_figure_never_reaches_the_json_file(db: Database) -> None:
    consultation = await _consultation(db)
    await submit_answers(db, consultation, [{"age": 30}, {"age": float("inf")}])  # bypassing validation
    with pytest.raises(ValueError, match="JSON compliant"):
        await export_json(db, consultation, DEFINITION, min_group=1)  # figures shown


# --- text and attachments ---------------------------------------------------------------------------------


async def test_results_as_text_for_the_command_line(db: Database) -> None:
    consultation = await _consultation(db)
    await submit_answers(
        db, consultation, [{"pietonne": "yes", "idees": f"Texte privé {n}"} for n in range(6)]
    )
    text = await results_as_text(db, consultation, DEFINITION, language="en")
    assert "6 residents took part." in text
    assert "Yes: 6 (100%)" in text
    assert "6 free-text answers (available in the export)" in text
    assert "Texte privé" not in text


async def test_export_attachments(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 10, submitted=0)
    csv_file, json_file = await export_attachments(db, consultation, DEFINITION, translator("fr"))
    assert csv_file.filename == "place-du-marche.csv" and csv_file.media_type == "text/csv"
    assert json_file.filename == "place-du-marche-results.json" and json_file.media_type == "application/json"
    assert csv_file.alt_text and json_file.alt_text
    assert json.loads(json_file.data)["submissions"] == 10
