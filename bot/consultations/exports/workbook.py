"""The consultation as an XLSX workbook (openpyxl), for the town hall's own spreadsheet work.

Sheets: "Answers" (the CSV's columns and rows, with real numbers, a frozen header and filters), then one
sheet per question with the figures behind its chart (figure_tables.py: the small-group rule applied as in
the results), then "About" (the facts of the consultation, how to read the answers, the small-group rules,
the licence). Everything is in the consultation's language. The workbook is written in openpyxl's
write-only mode, row after row, so the answers sheet does not hold every cell object in memory.

A text starting with "=" is stored as a text, never as a formula (openpyxl would write it as one), and the
control characters XLSX cannot hold are dropped.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.consultations.exports.about import facts, reading_notes, small_group_rules
from bot.consultations.exports.columns import BATCH, answer_rows, columns, emptied_columns, question_label
from bot.consultations.exports.figure_tables import Figure, figure_table
from bot.consultations.exports.source import ExportSource
from bot.consultations.figures import figures_withheld, summary, why_withheld
from bot.consultations.questions import Question
from storage.consultation_results import QuestionResult, Results

MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NAME_LENGTH: Final = 31  # Excel's limit
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
BOLD: Final = Font(bold=True)


# Sheets are typed `Worksheet`: write-only ones have the same column_dimensions, freeze_panes, auto_filter
# and append (their stubs leave the first and third out).


def sheet_name(text: str) -> str:
    """A sheet name Excel accepts: no [ ] : * ? / \\, no ' at either end, at most 31 characters."""
    name = " ".join(_NOT_IN_SHEET_NAMES.sub(" ", text).split())
    if len(name) > SHEET_NAME_LENGTH:
        name = name[: SHEET_NAME_LENGTH - 1].rstrip() + "…"
    return name.strip("'")


def _cell(sheet: Worksheet, value: Figure, *, bold: bool = False, share: bool = False) -> object:
    """A value as a cell: texts stay texts (never formulas), shares show as percentages."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not (bold or value.startswith("=")):
            return value
    elif not (bold or share):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if bold:
        cell.font = BOLD
    if share:
        cell.number_format = "0%"
    return cell


def _widths(sheet: Worksheet, widths: Iterable[float]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _notes(question: Question, result: QuestionResult, source: ExportSource) -> list[str]:
    """What the sheet says under the summary: why figures are withheld, how a ranking is scored, or
    whether free texts are in the exported answers."""
    t = source.t
    if result.fewer_than is not None and figures_withheld(result):
        return [why_withheld(result.fewer_than, t)]
    note = question.chart_note(t)
    if note is not None:
        return [note]
    return [] if question.charted else question.figure_lines(result, t)


def _question_sheet(
    workbook: Workbook, number: int, question: Question, result: QuestionResult, source: ExportSource
) -> None:
    t = source.t
    sheet: Worksheet = workbook.create_sheet(sheet_name(question_label(number, question, t)))
    table = figure_table(question, result, t)
    _widths(sheet, [42, *([20] * (len(table.headers) - 1))])
    sheet.append([_cell(sheet, question_label(number, question, t), bold=True)])
    sheet.append([summary(result, t)])
    for note in _notes(question, result, source):
        sheet.append([_cell(sheet, note)])
    sheet.append([])
    sheet.append([_cell(sheet, header, bold=True) for header in table.headers])
    for row in table.rows:
        sheet.append([_cell(sheet, value, share=n in table.shares) for n, value in enumerate(row)])


def _about_sheet(workbook: Workbook, source: ExportSource, results: Results, emptied: dict[str, int]) -> None:
    t = source.t
    sheet: Worksheet = workbook.create_sheet(sheet_name(t._("About")))
    _widths(sheet, [30, 100])
    for what, value in facts(source, results):
        sheet.append([_cell(sheet, what, bold=True), _cell(sheet, value)])
    sheet.append([])
    sheet.append([_cell(sheet, t._("How to read the answers"), bold=True)])
    for note in [*reading_notes(source, emptied), *small_group_rules(source.min_group, t)]:
        sheet.append([_cell(sheet, note)])


async def export_xlsx(source: ExportSource, *, batch: int = BATCH) -> bytes:
    """The workbook's bytes: answers, figures and facts read from one snapshot of the database."""
    t = source.t
    workbook = Workbook(write_only=True)
    async with source.db.read() as session:
        conn = await session.connection()
        results = await source.results(conn)
        emptied = await emptied_columns(conn, source)
        sheet: Worksheet = workbook.create_sheet(sheet_name(t._("Answers")))
        header = columns(source)
        sheet.freeze_panes = "B2"
        _widths(sheet, [24, *([30] * (len(header) - 1))])
        sheet.append([_cell(sheet, column.label, bold=True) for column in header])
        rows = 1
        async for submission_id, values in answer_rows(conn, source, emptied, batch=batch):
            sheet.append([submission_id, *(_cell(sheet, value) for value in values)])
            rows += 1
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{rows}"
    for number, question in enumerate(source.definition.questions, start=1):
        _question_sheet(workbook, number, question, results.question(question.id), source)
    _about_sheet(workbook, source, results, emptied)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
