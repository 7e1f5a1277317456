"""The answers as a CSV file that a double-click opens right in a spreadsheet of the consultation's language.

UTF-8 with a byte order mark (without it, Excel reads UTF-8 as Windows-1252: "rÃ©ponse"); in French, ";"
between columns and a decimal comma ("12,5"), what a French spreadsheet expects (with "," it puts a whole
row in one column); in English, "," and a decimal point. One header row of labels, then one row per
submission (see columns.py for the cells); no comment line, so every row has as many cells as the header.
Everything about the file (notes, small-group rule, licence, column ids) is in the JSON export.

A text cell starting with = + - @ (or a tab or carriage return) gets a leading "'" so that no spreadsheet
runs it as a formula: a resident's "=HYPERLINK(…)", or an option "- de 18 ans". Numbers are left as they
are, negative ones included.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Final

from bot.consultations.exports.about import separators
from bot.consultations.exports.columns import BATCH, Value, answer_rows, columns, emptied_columns
from bot.consultations.exports.source import ExportSource

BOM: Final = "\ufeff"
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPE: Final = "text/csv"


def number_text(value: float, decimal: str) -> str:
    """3.0 → "3", 12.5 → "12,5" (French) or "12.5": what the spreadsheet reads back as that number."""
    text = str(int(value)) if value.is_integer() else repr(value)
    return text.replace(".", decimal)


def safe_text(text: str) -> str:
    """A text no spreadsheet runs as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_text(value: Value, decimal: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return number_text(value, decimal)
    return safe_text(value)


async def csv_chunks(source: ExportSource, *, batch: int = BATCH) -> AsyncIterator[bytes]:
    """The CSV file, in UTF-8 pieces of about `batch` rows, read from one snapshot of the database."""
    separator, decimal = separators(source.t.language)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator)
    buffer.write(BOM)
    writer.writerow([safe_text(column.label) for column in columns(source)])
    async with source.db.read() as session:
        conn = await session.connection()
        emptied = await emptied_columns(conn, source)
        rows = 0
        async for submission_id, values in answer_rows(conn, source, emptied, batch=batch):
            writer.writerow([submission_id, *(cell_text(value, decimal) for value in values)])
            rows += 1
            if rows % batch == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")


async def export_csv(source: ExportSource) -> bytes:
    """The whole CSV file (to attach it to a message); `csv_chunks` streams it to a file instead."""
    return b"".join([chunk async for chunk in csv_chunks(source)])
