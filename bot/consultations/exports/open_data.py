"""The JSON export: the definition, every figure, and everything about the files, for programs.

`results_document` returns the dict below and `export_json` its UTF-8 bytes; `RESULTS_SCHEMA` is the same
description as a JSON Schema (draft 2020-12). Version 2 added `withheld` to scale and number questions and
let a withheld scale's `distribution` be null; version 3 added `language`, `licence`, `csv` and `columns`
(the CSV and the workbook hold labels: `columns` pairs each header with its id) and words `readme` for
the labelled files::

    {
      "format": "civicbot.consultation-results/3",
      "definition": {...},              # bot.consultations.model.definition_to_json, unchanged
      "language": "fr",                 # of the labels, notes and number formats of every file
      "closed_at": "2026-12-20T17:00:00Z" | null,
      "submissions": 1234,              # residents who took part
      "min_group": 5,                   # small-group threshold k (CIVICBOT_MIN_GROUP)
      "licence": "Licence Ouverte / Open Licence 2.0 (Etalab)",   # CIVICBOT_DATA_LICENCE
      "csv": {"separator": ";", "decimal": ","},
      "columns": [{"id": "respondent", "label": "Participant (pseudonyme)"},
                  {"id": "<question id>", "label": "1. <question text>"}, …],
      "readme": ["…", …],               # how to read the answers, the small-group rules, in `language`
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

import json
from datetime import UTC
from typing import Any, Final

from bot.consultations.exports.about import reading_notes, separators, small_group_rules
from bot.consultations.exports.columns import columns, emptied_columns
from bot.consultations.exports.source import ExportSource
from bot.consultations.model import definition_to_json
from bot.consultations.questions import QUESTION_TYPES
from bot.i18n import LANGUAGES
from storage.consultation_results import QuestionResult, Results

RESULTS_FORMAT: Final = "civicbot.consultation-results/3"
MEDIA_TYPE: Final = "application/json"


def question_json(result: QuestionResult) -> dict[str, Any]:
    """One question's aggregates, keyed as RESULTS_SCHEMA says (a full, unfiltered view: only the small-group
    rule withholds anything)."""
    return QUESTION_TYPES[result.type].results_json(result)


def readme(source: ExportSource, emptied: dict[str, int]) -> list[str]:
    """How to read the answers, why a column is empty, the small-group rules and the licence."""
    t = source.t
    return [
        *reading_notes(source, emptied),
        *small_group_rules(source.min_group, t),
        t._("Published under the licence: {licence}.", licence=source.licence),
    ]


def document(source: ExportSource, results: Results, emptied: dict[str, int]) -> dict[str, Any]:
    """The JSON export as data (see the module docstring for its shape); `emptied` is what
    columns.emptied_columns found in the same snapshot."""
    closed = source.consultation.closed_at
    separator, decimal = separators(source.t.language)
    return {
        "format": RESULTS_FORMAT,
        "definition": definition_to_json(source.definition),
        "language": source.t.language,
        "closed_at": None if closed is None else closed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "submissions": results.submissions,
        "min_group": results.min_group,
        "licence": source.licence,
        "csv": {"separator": separator, "decimal": decimal},
        "columns": [{"id": column.id, "label": column.label} for column in columns(source)],
        "readme": readme(source, emptied),
        "questions": [question_json(result) for result in results.questions],
    }


async def results_document(source: ExportSource) -> dict[str, Any]:
    async with source.db.read() as session:
        conn = await session.connection()
        results = await source.results(conn)
        emptied = await emptied_columns(conn, source)
    return document(source, results, emptied)


async def export_json(source: ExportSource) -> bytes:
    data = await results_document(source)
    # allow_nan=False: NaN and Infinity are not JSON; answers are bounded so no figure can be either, and
    # should a stored value still be (an older version's), the export fails rather than write a broken file
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False).encode("utf-8") + b"\n"


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
    "required": [
        "format",
        "definition",
        "language",
        "closed_at",
        "submissions",
        "min_group",
        "licence",
        "csv",
        "columns",
        "readme",
        "questions",
    ],
    "additionalProperties": False,
    "properties": {
        "format": {"const": RESULTS_FORMAT},
        "definition": {"type": "object", "required": ["format", "id", "questions"]},
        "language": {"enum": list(LANGUAGES)},
        "closed_at": {"type": ["string", "null"]},
        "submissions": {"type": "integer", "minimum": 0},
        "min_group": {"type": "integer", "minimum": 1},
        "licence": {"type": "string"},
        "csv": {
            "type": "object",
            "required": ["separator", "decimal"],
            "additionalProperties": False,
            "properties": {"separator": {"enum": [",", ";"]}, "decimal": {"enum": [".", ","]}},
        },
        "columns": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "label"],
                "additionalProperties": False,
                "properties": {"id": {"type": "string"}, "label": {"type": "string"}},
            },
        },
        "readme": {"type": "array", "items": {"type": "string"}},
        "questions": {
            "type": "array",
            "items": {
                "oneOf": question_schemas(),
            },
        },
    },
}
