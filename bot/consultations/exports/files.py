"""The export formats as files: name, media type, what each is for (the caption an organizer reads), and
whether it is binary (the command line writes those only to a file)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from bot.consultations.exports import answers_csv, open_data, report, workbook
from bot.consultations.exports.source import ExportSource
from bot.i18n import Translator
from bot.replies import Attachment


@dataclass(frozen=True, slots=True)
class Format:
    build: Callable[[ExportSource], Awaitable[bytes]]
    media_type: str
    binary: bool
    filename: Callable[[ExportSource], str]
    caption: Callable[[str, Translator], str]  # (title, reader's translator) → what the file is for


FORMATS: Final[dict[str, Format]] = {
    "xlsx": Format(
        workbook.export_xlsx,
        workbook.MEDIA_TYPE,
        True,
        lambda source: f"{source.definition.id}.xlsx",
        lambda title, t: t._(
            "“{title}” as a spreadsheet (Excel, LibreOffice): the answers, a sheet of figures per question "
            "and a sheet about the consultation.",
            title=title,
        ),
    ),
    "html": Format(
        report.export_report,
        report.MEDIA_TYPE,
        False,
        lambda source: source.t._("{id}-report.html", id=source.definition.id),
        lambda title, t: t._(
            "The report of “{title}” to print for the town council: every question with its chart. Open it "
            "in a web browser, then print it.",
            title=title,
        ),
    ),
    "csv": Format(
        answers_csv.export_csv,
        answers_csv.MEDIA_TYPE,
        False,
        lambda source: f"{source.definition.id}.csv",
        lambda title, t: t._(
            "The answers to “{title}”, one row per submission (CSV): for a spreadsheet or an open-data "
            "portal.",
            title=title,
        ),
    ),
    "json": Format(
        open_data.export_json,
        open_data.MEDIA_TYPE,
        False,
        lambda source: f"{source.definition.id}-results.json",
        lambda title, t: t._(
            "The questions and results of “{title}”, and what the CSV's columns are (JSON, open data for "
            "programs).",
            title=title,
        ),
    ),
}
"""Every export format, in the order the chat sends them (the spreadsheet a town hall opens first)."""


async def export_file(source: ExportSource, name: str, reader: Translator) -> Attachment:
    """One export as an attachment; its caption speaks `reader`'s language, the file the consultation's."""
    found = FORMATS[name]
    title = source.definition.title.get(reader.language)
    return Attachment(
        found.filename(source), await found.build(source), found.media_type, found.caption(title, reader)
    )
