"""Open-data exports of a consultation: the answers as CSV, the definition and every aggregate as JSON.

**CSV** — one row per submission, in submission-id order, streamed from SQL (`csv_chunks`), so 100,000
submissions never sit in memory. Columns: `respondent`, then one per question, headed by the question id,
in the definition's order. `respondent` is the submission's id: a random pseudonym drawn when the resident
submitted, the same for all their answers in this consultation and unrelated to anything else (another
consultation, a platform account, a time). Submissions carry no timestamp, so neither does the file. A
cell holds an option id (single choice; `yes`/`no`), the ids chosen joined with "; " (multiple choice, in
the definition's order), the ids ranked best first joined with " > " (ranking), a number with a dot for
decimals (scale, number), the text as written (free text; one starting with = + - @ gets a leading "'" so
that no spreadsheet runs it as a formula), or nothing when the question was not answered
(skipped, or not asked because of an earlier answer). The small-group rule (k = `CIVICBOT_MIN_GROUP`, 5
by default; see storage/consultation_results.py) empties a column: free texts while fewer than k
residents answered the question (so few texts could betray their authors), and a scale or number column
answered by 1 to k − 1 residents (one age among two is that person's age). Lines starting with "#"
before the header say all this, and why a column is empty; `csv_chunks(..., notes=False)` leaves them out
for tools that do not skip comments.

**JSON** — `results_document` returns the dict below and `export_json` its UTF-8 bytes; `RESULTS_SCHEMA` is
the same description as a JSON Schema (draft 2020-12). Version 2 added `withheld` to scale and number
questions and lets a withheld scale's `distribution` be null::

    {
      "format": "civicbot.consultation-results/2",
      "definition": {...},              # bot.consultations.model.definition_to_json, unchanged
      "closed_at": "2026-12-20T17:00:00Z" | null,
      "submissions": 1234,              # residents who took part
      "min_group": 5,                   # small-group threshold k (CIVICBOT_MIN_GROUP)
      "readme": ["…", …],               # the notes of the CSV, in the export's language
      "questions": [                    # one per question, in the definition's order
        {"id": "q", "type": "single_choice" | "multiple_choice" | "yes_no",
         "respondents": 1200, "counts": {"<option id>": 640, …}},
        {"id": "q", "type": "ranking", "respondents": 1100,
         "counts": {"<option id>": 900, …},          # residents who ranked it
         "ranks": {"<option id>": [410, 300, 190], …},  # residents per place, first place first
         "borda": {"<option id>": 3020, …},            # Borda score: n − r + 1 points per place r
         "borda_order": ["<option id>", …]},           # highest score first, ties in definition order
        {"id": "q", "type": "scale", "respondents": 1150, "distribution": {"1": 80, …, "5": 300} | null,
         "mean": 3.42 | null, "median": 3.0 | null, "withheld": false},
        {"id": "q", "type": "number", "respondents": 900, "mean": 41.7 | null, "median": 40.0 | null,
         "withheld": false},        # true: fewer than min_group answers, so distribution, mean, median null
        {"id": "q", "type": "free_text", "respondents": 310,   # = how many free-text answers
         "texts_exported": true}                        # in the CSV (at least min_group answers)
      ]
    }

Every key of a question is present for its type. Counts are whole numbers; figures follow the definitions
in storage/consultation_results.py (respondents, median, Borda score). A figure withheld by the
small-group rule is null, the question says `"withheld": true`, and `readme` says why.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any, Final

from bot.consultations.model import ConsultationDefinition, definition_to_json
from bot.consultations.questions import QUESTION_TYPES
from bot.consultations.questions.base import CHOICES_SEPARATOR
from bot.consultations.questions.free_text import FORMULA_STARTS
from bot.consultations.questions.ranking import RANKING_SEPARATOR
from bot.consultations.results import render_results, shapes_of
from bot.i18n import Translator, translator
from bot.replies import Attachment
from storage.consultation_results import (
    MIN_GROUP,
    NUMERIC_KINDS,
    Cell,
    Kind,
    QuestionResult,
    QuestionShape,
    Results,
    protect,
    respondents_per_question,
    results_in,
    submission_rows,
)
from storage.database import Database
from storage.tables import Consultation

RESULTS_FORMAT: Final = "civicbot.consultation-results/2"
RESPONDENT: Final = "respondent"
BATCH: Final = 2000
__all__ = ["CHOICES_SEPARATOR", "FORMULA_STARTS", "RANKING_SEPARATOR"]


# --- CSV --------------------------------------------------------------------------------------------------


def _number_text(value: float) -> str:
    """3.0 → "3", 12.5 → "12.5": machine-readable, the way a spreadsheet reads it back."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _cell_text(shape: QuestionShape, value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float | int):
        return _number_text(value)
    return QUESTION_TYPES[shape.type].cell_text(value)


def csv_notes(
    definition: ConsultationDefinition,
    withheld: dict[str, int],
    t: Translator,
    *,
    min_group: int = MIN_GROUP,
) -> list[str]:
    """What the file is, how to read its cells, and why a column is empty (`withheld`: question id → how
    many answered it)."""
    notes = [
        t._("{title}: the answers, one row per submission.", title=definition.title.get(t.language)),
        t._(
            "“{column}” is a random pseudonym of each submission; it names nobody and differs from one "
            "consultation to another. Submissions carry no date or time.",
            column=RESPONDENT,
        ),
        t._(
            "An empty cell is a question not answered: skipped, or not asked because of an earlier answer. "
            "Several choices are separated by “{choices}”; a ranking lists option ids best first, separated "
            "by “{ranking}”.",
            choices=CHOICES_SEPARATOR.strip(),
            ranking=RANKING_SEPARATOR.strip(),
        ),
    ]
    for question_id, count in withheld.items():
        note = type(definition.question(question_id)).withheld_note(question_id, count, min_group, t)
        notes.append(note)
    return notes


def withheld_columns(shapes: tuple[QuestionShape, ...], answered: dict[str, int], min_group: int) -> set[str]:
    """The columns the small-group rule (`protect`, the same as for the figures) empties, from how many
    residents answered each free-text, scale and number question."""
    counted = [QuestionResult(s.id, s.type, answered[s.id]) for s in shapes if s.id in answered]
    return {result.id for result in counted if protect(result, min_group).fewer_than is not None}


async def csv_chunks(
    db: Database,
    consultation: Consultation,
    definition: ConsultationDefinition,
    *,
    t: Translator | None = None,
    notes: bool = True,
    batch: int = BATCH,
    min_group: int = MIN_GROUP,
) -> AsyncIterator[bytes]:
    """The CSV file, in UTF-8 pieces of about `batch` rows, read from one snapshot of the database."""
    assert consultation.id is not None
    t = t or translator("fr")
    shapes = shapes_of(definition)
    async with db.read() as session:
        conn = await session.connection()
        counted = [s.id for s in shapes if s.kind is Kind.TEXT or s.kind in NUMERIC_KINDS]
        answered = await respondents_per_question(conn, consultation.id, counted)
        empty = withheld_columns(shapes, answered, min_group)
        texts = {s.id for s in shapes if s.kind is Kind.TEXT and s.id not in empty}
        blank = [shape.id in empty for shape in shapes]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if notes:
            withheld = {s.id: answered[s.id] for s in shapes if s.id in empty}
            for note in csv_notes(definition, withheld, t, min_group=min_group):
                buffer.write(f"# {note}\r\n")
        writer.writerow([RESPONDENT, *(shape.id for shape in shapes)])
        rows = 0
        async for submission_id, cells in submission_rows(
            conn, consultation.id, shapes, with_text=texts, batch=batch
        ):
            kept = [None if hide else cell for hide, cell in zip(blank, cells, strict=True)]
            writer.writerow([submission_id, *map(_cell_text, shapes, kept)])
            rows += 1
            if rows % batch == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")


async def export_csv(
    db: Database,
    consultation: Consultation,
    definition: ConsultationDefinition,
    *,
    t: Translator | None = None,
    min_group: int = MIN_GROUP,
) -> bytes:
    """The whole CSV file (to attach it to a message); `csv_chunks` streams it to a file instead."""
    chunks = csv_chunks(db, consultation, definition, t=t, min_group=min_group)
    return b"".join([chunk async for chunk in chunks])


# --- JSON -------------------------------------------------------------------------------------------------


def question_json(result: QuestionResult) -> dict[str, Any]:
    """One question's aggregates, keyed as RESULTS_SCHEMA says (a full, unfiltered view: only the small-group
    rule withholds anything)."""
    return QUESTION_TYPES[result.type].results_json(result)


def document(
    definition: ConsultationDefinition, consultation: Consultation, results: Results, t: Translator
) -> dict[str, Any]:
    """The JSON export as data (see the module docstring for its shape)."""
    withheld = {q.id: q.respondents or 0 for q in results.questions if q.fewer_than is not None}
    closed = consultation.closed_at
    return {
        "format": RESULTS_FORMAT,
        "definition": definition_to_json(definition),
        "closed_at": None if closed is None else closed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "submissions": results.submissions,
        "min_group": results.min_group,
        "readme": csv_notes(definition, withheld, t, min_group=results.min_group),
        "questions": [question_json(result) for result in results.questions],
    }


async def results_document(
    db: Database,
    consultation: Consultation,
    definition: ConsultationDefinition,
    *,
    t: Translator | None = None,
    min_group: int = MIN_GROUP,
) -> dict[str, Any]:
    assert consultation.id is not None
    async with db.read() as session:
        connection = await session.connection()
        results = await results_in(connection, consultation.id, shapes_of(definition), min_group=min_group)
    return document(definition, consultation, results, t or translator("fr"))


async def export_json(
    db: Database,
    consultation: Consultation,
    definition: ConsultationDefinition,
    *,
    t: Translator | None = None,
    min_group: int = MIN_GROUP,
) -> bytes:
    data = await results_document(db, consultation, definition, t=t, min_group=min_group)
    # allow_nan=False: NaN and Infinity are not JSON; answers are bounded so no figure can be either, and
    # should a stored value still be (an older version's), the export fails rather than write a broken file
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False).encode("utf-8") + b"\n"


async def export_attachments(
    db: Database,
    consultation: Consultation,
    definition: ConsultationDefinition,
    t: Translator,
    *,
    min_group: int = MIN_GROUP,
) -> list[Attachment]:
    """The two open-data files, ready to send to an organizer."""
    title = definition.title.get(t.language)
    slug = definition.id
    return [
        Attachment(
            f"{slug}.csv",
            await export_csv(db, consultation, definition, t=t, min_group=min_group),
            "text/csv",
            t._("The answers to “{title}”, one row per submission (CSV).", title=title),
        ),
        Attachment(
            f"{slug}-results.json",
            await export_json(db, consultation, definition, t=t, min_group=min_group),
            "application/json",
            t._("The questions and results of “{title}” (JSON).", title=title),
        ),
    ]


async def results_as_text(
    db: Database,
    consultation: Consultation,
    definition: ConsultationDefinition,
    *,
    language: str = "fr",
    min_group: int = MIN_GROUP,
) -> str:
    """The results message as plain text, for the command line."""
    assert consultation.id is not None
    async with db.read() as session:
        connection = await session.connection()
        results = await results_in(connection, consultation.id, shapes_of(definition), min_group=min_group)
    return render_results(definition, results, translator(language)).plain


# --- the JSON shape, as a JSON Schema ---------------------------------------------------------------------


def _question_schema(types: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    props = {
        "id": {"type": "string"},
        "type": {"enum": types},
        "respondents": {"type": "integer", "minimum": 0},
        **properties,
    }
    return {"type": "object", "required": list(props), "properties": props, "additionalProperties": False}


def question_schemas() -> list[dict[str, Any]]:
    """One schema per shape of question in the export: the types whose aggregates have the same keys
    share one (single, multiple choice and yes/no)."""
    grouped: list[tuple[dict[str, Any], list[str]]] = []
    for name, question_type in QUESTION_TYPES.items():
        properties = question_type.results_schema()
        same = next((types for found, types in grouped if found == properties), None)
        if same is None:
            grouped.append((properties, [name]))
        else:
            same.append(name)
    return [_question_schema(types, properties) for properties, types in grouped]


RESULTS_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "civicbot consultation results",
    "type": "object",
    "required": ["format", "definition", "closed_at", "submissions", "min_group", "readme", "questions"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": RESULTS_FORMAT},
        "definition": {"type": "object", "required": ["format", "id", "questions"]},
        "closed_at": {"type": ["string", "null"]},
        "submissions": {"type": "integer", "minimum": 0},
        "min_group": {"type": "integer", "minimum": 1},
        "readme": {"type": "array", "items": {"type": "string"}},
        "questions": {
            "type": "array",
            "items": {
                "oneOf": question_schemas(),
            },
        },
    },
}
