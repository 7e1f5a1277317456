"""The answers as a table in words, shared by the CSV and the workbook: one column per question, headed by
its number and text, and cells that hold labels and numbers, never option ids.

`respondent` is the submission's id: a random pseudonym drawn when the resident submitted, the same for
all their answers in this consultation and unrelated to anything else (another consultation, a platform
account, a time). Submissions carry no timestamp, so neither does any file. A cell is the label of the
option chosen (single choice, "Oui"/"Non"), the labels chosen joined with "; " (multiple choice, in the
definition's order), the labels ranked best first joined with " > " (ranking), a number (scale, number),
the text as written (free text), or empty when the question was not answered (skipped, or not asked
because of an earlier answer). The small-group rule (`protect`, the same as for the figures) empties a
column: free texts while fewer than k residents answered the question (so few texts could betray their
authors), and a scale or number answered by 1 to k − 1 residents (one age among two is that person's).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.consultations.exports.source import ExportSource
from bot.consultations.questions import Question
from bot.i18n import Translator
from storage.consultation_results import (
    NUMERIC_KINDS,
    Cell,
    Kind,
    QuestionResult,
    protect,
    respondents_per_question,
    submission_rows,
)

RESPONDENT: Final = "respondent"
BATCH: Final = 2000

Value = str | float | None
"""A cell in words: a label or a text, a number, or None (not answered, or emptied by the rule)."""


@dataclass(frozen=True, slots=True)
class Column:
    id: str  # the question id (`respondent` for the pseudonym), as the JSON's `columns` pairs them
    label: str  # what the header says, in the consultation's language


def columns(source: ExportSource) -> list[Column]:
    """The header: the pseudonym, then "1. Question text" for each question, in the definition's order."""
    t = source.t
    return [
        Column(RESPONDENT, t._("Respondent (pseudonym)")),
        *(
            Column(question.id, question_label(number, question, t))
            for number, question in enumerate(source.definition.questions, start=1)
        ),
    ]


def question_label(number: int, question: Question, t: Translator) -> str:
    return f"{number}. {question.text.get(t.language)}"


@dataclass(frozen=True, slots=True)
class Cells:
    """How one question's stored cells read in words: its option labels, looked up once per export rather
    than once per cell (a 100,000-row export reads a million cells)."""

    question: Question
    labels: dict[str, str]

    @classmethod
    def of(cls, question: Question, t: Translator) -> Cells:
        return cls(question, {option: question.option_label(option, t) for option in question.option_ids})

    def value(self, cell: Cell) -> Value:
        """A stored cell in words: option ids become their labels, in the order stored."""
        if cell is None or isinstance(cell, float | int):
            return None if cell is None else float(cell)
        if isinstance(cell, str):
            return self.labels.get(cell, cell)
        return type(self.question).cell_text(tuple(self.labels.get(option, option) for option in cell))


async def emptied_columns(conn: AsyncConnection, source: ExportSource) -> dict[str, int]:
    """The columns the small-group rule empties (question id → how many residents answered it), from how
    many answered each free-text, scale and number question."""
    counted = [s for s in source.shapes if s.kind is Kind.TEXT or s.kind in NUMERIC_KINDS]
    answered = await respondents_per_question(conn, source.id, [s.id for s in counted])
    results = [protect(QuestionResult(s.id, s.type, answered[s.id]), source.min_group) for s in counted]
    return {r.id: answered[r.id] for r in results if r.fewer_than is not None}


async def answer_rows(
    conn: AsyncConnection, source: ExportSource, emptied: dict[str, int], *, batch: int = BATCH
) -> AsyncIterator[tuple[str, list[Value]]]:
    """(pseudonym, cells in words) per submission, in id order, streamed `batch` rows at a time from SQL,
    so 100,000 submissions never sit in memory."""
    shapes = source.shapes
    texts = {s.id for s in shapes if s.kind is Kind.TEXT and s.id not in emptied}
    readers = [None if q.id in emptied else Cells.of(q, source.t) for q in source.definition.questions]
    async for submission_id, cells in submission_rows(conn, source.id, shapes, with_text=texts, batch=batch):
        yield (
            submission_id,
            [
                None if reader is None else reader.value(cell)
                for reader, cell in zip(readers, cells, strict=True)
            ],
        )
