"""What every export says about itself, in the consultation's language: the notes on reading the answers,
the small-group rules, and the facts of the consultation (title, dates, participation, licence).

These lived as "#" lines at the top of the CSV, where a spreadsheet read them as rows of answers; they are
now the JSON's `readme`, the workbook's "About" sheet and the report's opening.
"""

from __future__ import annotations

from datetime import datetime

from bot.consultations.exports.columns import RESPONDENT, columns
from bot.consultations.exports.source import ExportSource
from bot.consultations.figures import format_number, why_withheld
from bot.consultations.questions.base import CHOICES_SEPARATOR
from bot.consultations.questions.ranking import RANKING_SEPARATOR
from bot.dates import format_day, format_time
from bot.i18n import Translator
from storage.consultation_results import Results


def small_group_rules(min_group: int, t: Translator) -> list[str]:
    """The rule every figure of the exports went through (storage/consultation_results.py), in words."""
    return [
        why_withheld(min_group, t),
        t.n_(
            "Free-text answers to a question are published once at least {minimum} resident has answered "
            "it; the distribution, mean and median of a scale or number question answered by fewer than "
            "{minimum} resident are withheld.",
            "Free-text answers to a question are published once at least {minimum} residents have answered "
            "it; the distribution, mean and median of a scale or number question answered by fewer than "
            "{minimum} residents are withheld.",
            min_group,
            minimum=min_group,
        ),
        t._("Counts of choices, yes/no answers and rankings are shown whatever their size, as a poll's are."),
    ]


def separators(language: str) -> tuple[str, str]:
    """(column separator, decimal mark) of the CSV: what a spreadsheet set to `language` expects."""
    return (";", ",") if language == "fr" else (",", ".")


def reading_notes(source: ExportSource, emptied: dict[str, int]) -> list[str]:
    """How to read the answers (CSV and workbook), then why a column is empty (`emptied`: question id →
    how many residents answered it)."""
    t = source.t
    header = {column.id: column for column in columns(source)}
    separator, decimal = separators(t.language)
    notes = [
        t._("{title}: the answers, one row per submission.", title=source.title),
        t._(
            "“{column}” is a random pseudonym of each submission; it names nobody and differs from one "
            "consultation to another. Submissions carry no date or time.",
            column=header[RESPONDENT].label,
        ),
        t._(
            "An empty cell is a question not answered: skipped, or not asked because of an earlier answer. "
            "Several choices are separated by “{choices}”; a ranking lists options best first, separated "
            "by “{ranking}”.",
            choices=CHOICES_SEPARATOR.strip(),
            ranking=RANKING_SEPARATOR.strip(),
        ),
        t._(
            "In the CSV file, columns are separated by “{separator}” and decimals written with “{decimal}”.",
            separator=separator,
            decimal=decimal,
        ),
    ]
    for question_id, count in emptied.items():
        question = type(source.definition.question(question_id))
        notes.append(question.withheld_note(header[question_id].label, count, source.min_group, t))
    return notes


def when(instant: datetime, source: ExportSource) -> str:
    """ "20 décembre 2026 à 18 h 00", in the consultation's time zone."""
    zone, language = source.definition.timezone, source.t.language
    return source.t._(
        "{day} at {time}",
        day=format_day(instant, tz=zone, language=language),
        time=format_time(instant, tz=zone, language=language),
    )


def status(source: ExportSource) -> str:
    """Closed, or open and these results provisional."""
    t, closed = source.t, source.consultation.closed_at
    if closed is not None:
        return t._("Closed on {when}.", when=when(closed, source))
    return t._(
        "Not closed yet: provisional results. It closes on {when}.",
        when=when(source.definition.closes_at, source),
    )


def facts(source: ExportSource, results: Results) -> list[tuple[str, str]]:
    """(what, value) pairs about the consultation, for the workbook's "About" sheet and the report."""
    t, definition = source.t, source.definition
    opens = definition.opens_at
    return [
        (t._("Consultation"), source.title),
        (t._("Identifier"), definition.id),
        (t._("Description"), definition.description.get(t.language)),
        (t._("Opened"), t._("when launched") if opens is None else when(opens, source)),
        (t._("Closes"), when(definition.closes_at, source)),
        (t._("Status"), status(source)),
        (t._("Participants"), format_number(results.submissions or 0, t.language)),
        (t._("Small-group threshold (k)"), str(results.min_group)),
        (t._("Licence"), source.licence),
    ]
