"""The answers as CSV and the results as JSON: a CSV that a French spreadsheet opens right by a double-click
(BOM, ";", labels, one header row), free texts and small figures held back below 5 answers, streaming, and a
JSON document that validates against its schema, repeats the results and carries everything about the files.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from bot.consultations.definition import definition_to_json
from bot.consultations.exports.answers_csv import cell_text, csv_chunks, export_csv, number_text
from bot.consultations.exports.columns import RESPONDENT
from bot.consultations.exports.files import FORMATS, export_file
from bot.consultations.exports.open_data import RESULTS_FORMAT, RESULTS_SCHEMA, export_json
from bot.consultations.exports.source import ExportSource
from bot.consultations.figures import why_withheld
from bot.consultations.results import consultation_results
from bot.i18n import translator
from storage.consultations import by_id
from storage.database import Database
from storage.tables import Consultation, Submission
from tests.test_consultation_results import DEFINITION, populate, read_csv, submit_answers

QUESTION_IDS = [q.id for q in DEFINITION.questions]
EN = translator("en")


async def _consultation(db: Database) -> Consultation:
    from bench.results import create_consultation

    found = await by_id(db, await create_consultation(db, DEFINITION))
    assert found is not None
    return found


def _source(db: Database, consultation: Consultation, language: str = "fr", **rules: Any) -> ExportSource:
    return ExportSource(db, consultation, DEFINITION, translator(language), **rules)


async def _submission_ids(db: Database, consultation_id: int) -> list[str]:
    async with db.read() as session:
        query = select(Submission.id).where(Submission.consultation_id == consultation_id)
        return sorted((await session.exec(query)).all())


def _table(data: bytes) -> list[list[str]]:
    """The CSV as a spreadsheet reads it: the separator sniffed, every row split with it."""
    text = data.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;")
    return list(csv.reader(io.StringIO(text, newline=""), dialect))


# --- CSV --------------------------------------------------------------------------------------------------


async def test_a_french_spreadsheet_opens_the_csv_as_it_is_with_labels_in_every_cell(db: Database) -> None:
    consultation = await _consultation(db)
    answers: list[dict[str, Any]] = [
        {"frequence": "rarely", "transport": ("walk", "bike"), "pietonne": "yes", "stationnement": "gare",
         "priorites": ("halle", "arbres", "jeux"), "satisfaction": 2, "age": 40}
        for _ in range(5)
    ]  # fmt: skip
    await submit_answers(db, consultation, answers)
    data = await export_csv(_source(db, consultation))
    assert data.startswith(codecs.BOM_UTF8), "without a BOM, Excel reads UTF-8 as Windows-1252"
    assert csv.Sniffer().sniff(data.decode("utf-8-sig")[:4096], delimiters=",;").delimiter == ";"
    header, *rows = _table(data)
    assert {len(row) for row in rows} == {len(header)} and len(rows) == 5, "no comment line, no ragged row"
    assert header[:3] == [
        "Participant (pseudonyme)",
        "1. À quelle fréquence venez-vous sur la place du marché ?",
        "2. Comment venez-vous sur la place ? (trois réponses au plus)",
    ]
    row = dict(zip(header, rows[0], strict=True))
    assert row["1. À quelle fréquence venez-vous sur la place du marché ?"] == "Rarement ou jamais"
    assert (
        row["2. Comment venez-vous sur la place ? (trois réponses au plus)"]
        == "À pied; À vélo ou en trottinette"
    )
    assert row["5. Souhaitez-vous que la place devienne piétonne en dehors des jours de marché ?"] == "Oui"
    assert row[
        "7. Classez vos trois priorités pour la future place, de la plus importante à la moins importante."
    ] == ("Une halle couverte pour le marché > Des arbres et de l'ombre > Un espace de jeux pour enfants")
    assert row["3. Êtes-vous satisfait de la place telle qu'elle est aujourd'hui ?"] == "2"
    option_ids = {o for q in DEFINITION.questions for o in q.option_ids}
    assert not option_ids & {cell for line in rows for cell in line}, "labels, never option ids"
    assert "#" not in data.decode("utf-8-sig").split("\n")[0][:2], "the header comes first"


async def test_an_english_consultation_gets_commas_and_english_labels(db: Database) -> None:
    consultation = await _consultation(db)
    await submit_answers(db, consultation, [{"frequence": "daily", "pietonne": "no"} for _ in range(2)])
    data = await export_csv(_source(db, consultation, "en"))
    assert data.startswith(codecs.BOM_UTF8)
    assert csv.Sniffer().sniff(data.decode("utf-8-sig")[:4096], delimiters=",;").delimiter == ","
    header, *rows = _table(data)
    assert (
        header[0] == "Respondent (pseudonym)"
        and header[1] == "1. How often do you come to the market square?"
    )
    assert {row[1] for row in rows} == {"Every day or nearly"} and {row[5] for row in rows} == {"No"}
    _, read = read_csv(data, DEFINITION, "en")
    assert [row["frequence"] for row in read] == ["daily", "daily"], "the labels map back to their ids"


async def test_one_row_per_submission_in_id_order_with_a_column_per_question(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 40, submitted=10)
    assert consultation.id is not None
    header, rows = read_csv(await export_csv(_source(db, consultation)))
    assert header == [RESPONDENT, *QUESTION_IDS]
    ids = [row[RESPONDENT] for row in rows]
    assert ids == await _submission_ids(db, consultation.id)  # the pseudonym is the random submission id
    assert ids == sorted(ids)
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
    _, rows = read_csv(await export_csv(_source(db, consultation, min_group=1)))  # one row: shown
    assert rows[0]["transport"] == "walk; car; bus"
    assert rows[0]["priorites"] == "halle > arbres > jeux"
    assert rows[0]["age"] == "7" and rows[0]["pietonne"] == "no" and rows[0]["frequence"] == ""


def test_numbers_are_written_as_the_spreadsheet_reads_them_and_texts_never_run_as_formulas() -> None:
    assert number_text(12.5, ",") == "12,5" and number_text(12.5, ".") == "12.5"
    assert number_text(3.0, ",") == "3" and number_text(-4.0, ",") == "-4"
    assert cell_text(-4.5, ",") == "-4,5", "a negative number stays a number"
    assert cell_text(None, ",") == ""
    assert cell_text('Un "texte", avec\nun retour', ",") == 'Un "texte", avec\nun retour'
    assert cell_text("=HYPERLINK(1)", ",") == "'=HYPERLINK(1)"
    assert cell_text("- de 18 ans", ",") == "'- de 18 ans", "an option label too"
    assert cell_text("@SUM(A1)", ".") == "'@SUM(A1)"


async def test_no_timestamp_and_no_identity_in_the_file(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 12, submitted=12)
    data = (await export_csv(_source(db, consultation))).decode("utf-8-sig")
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}", data)
    assert "resident" not in data
    assert "test" not in data.lower().replace("texte", "")  # the platform of the submitters


async def test_free_texts_are_left_out_while_fewer_than_five_answered(db: Database) -> None:
    consultation = await _consultation(db)
    await submit_answers(
        db, consultation, [{"idees": f"Idée secrète {n}", "pietonne": "yes"} for n in range(4)]
    )
    data = await export_csv(_source(db, consultation, "en"))
    _, rows = read_csv(data, DEFINITION, "en")
    assert [row["idees"] for row in rows] == [""] * 4
    assert b"secr" not in data
    readme = json.loads(await export_json(_source(db, consultation, "en")))["readme"]
    column = "“10. Any idea or comment for the new square?” is empty"
    assert any(column in note and "at least 5" in note and "(4 so far)" in note for note in readme)

    await submit_answers(db, consultation, [{"idees": "Idée secrète 4", "pietonne": "no"}])
    _, rows = read_csv(await export_csv(_source(db, consultation, "en")), DEFINITION, "en")
    assert sorted(row["idees"] for row in rows) == [f"Idée secrète {n}" for n in range(5)]
    readme = json.loads(await export_json(_source(db, consultation, "en")))["readme"]
    assert not any(column in note for note in readme)
    assert any("“4. What do you dislike most" in note and "(0 so far)" in note for note in readme)


async def test_a_scale_or_number_answered_by_fewer_than_k_is_empty_in_the_csv_and_null_in_the_json(
    db: Database,
) -> None:
    consultation = await _consultation(db)
    answers: list[dict[str, Any]] = [{"age": 42, "satisfaction": 2, "pietonne": "yes"}]
    answers += [{"pietonne": "no"} for _ in range(5)]
    await submit_answers(db, consultation, answers)
    _, rows = read_csv(await export_csv(_source(db, consultation, "en")), DEFINITION, "en")
    assert [row["age"] for row in rows] == [""] * 6 and [row["satisfaction"] for row in rows] == [""] * 6
    assert sorted(row["pietonne"] for row in rows) == ["no"] * 5 + ["yes"], "choices are shown: 1 yes"

    document = json.loads(await export_json(_source(db, consultation, "en")))
    validate(document, RESULTS_SCHEMA)
    questions = {q["id"]: q for q in document["questions"]}
    assert questions["age"] == {
        "id": "age", "type": "number", "respondents": 1, "mean": None, "median": None, "withheld": True
    }  # fmt: skip
    assert questions["satisfaction"]["distribution"] is None and questions["satisfaction"]["withheld"]
    assert questions["frequence"]["counts"] == {"daily": 0, "weekly": 0, "market-day": 0, "rarely": 0}
    assert any("“9. How old are you?" in note and "fewer than 5" in note for note in document["readme"])
    assert not any("“1. How often" in note for note in document["readme"]), "nobody answered: nothing to hide"

    smaller_k = json.loads(await export_json(_source(db, consultation, min_group=1)))
    assert smaller_k["min_group"] == 1
    assert {q["id"]: q for q in smaller_k["questions"]}["age"]["mean"] == 42
    _, rows = read_csv(await export_csv(_source(db, consultation, min_group=1)))
    assert sorted(row["age"] for row in rows) == [""] * 5 + ["42"]


async def test_texts_with_commas_semicolons_quotes_and_line_breaks_survive(db: Database) -> None:
    consultation = await _consultation(db)
    texts = [f'Ligne {n}, "citée"; fin\n# pas un commentaire\r\n=1+{n}' for n in range(5)]
    await submit_answers(db, consultation, [{"idees": text} for text in texts])
    data = await export_csv(_source(db, consultation))
    header, *lines = _table(data)
    assert {len(line) for line in lines} == {len(header)}
    _, rows = read_csv(data)
    assert sorted(row["idees"] for row in rows) == sorted(texts)


async def test_the_file_is_streamed_in_pieces(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 30, submitted=0)
    chunks = [chunk async for chunk in csv_chunks(_source(db, consultation), batch=7)]
    assert len(chunks) == 5  # 4 full batches of 7 rows, then the last 2
    assert b"".join(chunks) == await export_csv(_source(db, consultation))
    assert chunks[0].startswith(codecs.BOM_UTF8 + "Participant (pseudonyme);1. À quelle".encode())
    assert not any(chunk.startswith(codecs.BOM_UTF8) for chunk in chunks[1:]), "one BOM, at the start"


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
    data = json.loads(await export_json(_source(db, consultation)))
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
    assert await export_json(_source(db, consultation)) == await export_json(_source(db, consultation))


async def test_what_the_csv_held_in_comment_lines_is_in_the_json_with_its_column_ids(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 8, submitted=0)
    data = json.loads(await export_json(_source(db, consultation, licence="ODbL 1.0")))
    header = _table(await export_csv(_source(db, consultation)))[0]
    assert [column["label"] for column in data["columns"]] == header, "the CSV's header, label by label"
    assert [column["id"] for column in data["columns"]] == [RESPONDENT, *QUESTION_IDS]
    assert data["language"] == "fr" and data["csv"] == {"separator": ";", "decimal": ","}
    assert data["licence"] == "ODbL 1.0" and "Publié sous la licence : ODbL 1.0." in data["readme"]
    assert (
        data["readme"][0]
        == "Réaménagement de la place du marché : les réponses, une ligne par participation."
    )
    assert why_withheld(5, translator("fr")) in data["readme"], "the small-group rule"
    assert data["definition"]["opens_at"] == "2026-12-01T08:00:00Z" and data["submissions"] == 8


async def test_json_of_an_empty_consultation_validates(db: Database) -> None:
    consultation = await _consultation(db)
    data = json.loads(await export_json(_source(db, consultation, "en")))
    validate(data, RESULTS_SCHEMA)
    assert data["submissions"] == 0
    assert any("“10. Any idea or comment for the new square?” is empty" in note for note in data["readme"])


async def test_a_non_finite_figure_never_reaches_the_json_file(db: Database) -> None:
    consultation = await _consultation(db)
    await submit_answers(db, consultation, [{"age": 30}, {"age": float("inf")}])  # bypassing validation
    with pytest.raises(ValueError, match="JSON compliant"):
        await export_json(_source(db, consultation, min_group=1))  # figures shown


# --- the files sent -----------------------------------------------------------------------------------------


async def test_each_file_is_named_and_says_what_it_is_for_in_the_readers_language(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 10, submitted=0)
    files = [await export_file(_source(db, consultation), name, EN) for name in FORMATS]
    assert [(f.filename, f.media_type) for f in files] == [
        ("place-du-marche.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("place-du-marche-rapport.html", "text/html"),
        ("place-du-marche.csv", "text/csv"),
        ("place-du-marche-results.json", "application/json"),
    ]
    assert (
        "print for the town council" in files[1].alt_text
        and "Redesigning the market square" in files[1].alt_text
    )
    assert "open-data portal" in files[2].alt_text and "spreadsheet" in files[0].alt_text
    assert json.loads(files[3].data)["submissions"] == 10
    assert b"Participant (pseudonyme)" in files[2].data, "the file itself is in the consultation's language"
