"""How results are worded, whatever the question's type: bars, figures, and the small-group notes.

The question types (bot/consultations/questions/) draw their bars and lines with these; the results message
(bot/consultations/results.py) and the charts (bot/consultations/charts.py) put them together. Numbers are
formatted by Babel for the reader's language (« 1 234 », « 3,4 », « 61 % »).
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import format_decimal, format_percent

from bot.i18n import Translator
from storage.consultation_results import MIN_GROUP, Kind, QuestionResult


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a chart and one line of the message: a label, the value drawn, and its figures as text
    ("1 234" and "61 %", or "35 points" and no share). "—" stands for a withheld figure."""

    label: str
    value: float
    count: str
    share: str | None = None

    @property
    def figures(self) -> str:
        return self.count if self.share is None else f"{self.count} ({self.share})"


def fewer_than_text(minimum: int, t: Translator) -> str:
    """What stands in for a withheld figure."""
    return t.n_("fewer than {minimum} answer", "fewer than {minimum} answers", minimum, minimum=minimum)


def why_withheld(minimum: int, t: Translator) -> str:
    return t.n_(
        "Figures resting on fewer than {minimum} answer are withheld so that nobody's answer can be "
        "recognized.",
        "Figures resting on fewer than {minimum} answers are withheld so that nobody's answer can be "
        "recognized.",
        minimum,
        minimum=minimum,
    )


def figures_withheld(result: QuestionResult) -> bool:
    """The question's figures (not only its free texts) were withheld by the small-group rule."""
    return result.fewer_than is not None and (result.kind is not Kind.TEXT or result.respondents is None)


def format_number(value: float, language: str) -> str:
    """« 1 234 », « 3,4 » (at most two decimals): what a resident reads, never a float's repr."""
    return format_decimal(value, format="#,##0.##", locale=language)


def format_share(share: float, language: str) -> str:
    """« 61 % » in French, "61%" in English."""
    return format_percent(share, locale=language)


def counted(label: str, count: int | None, result: QuestionResult, language: str) -> Bar:
    """A bar of a count, with its share of the question's respondents."""
    if count is None:
        return Bar(label, 0, "—")
    share = format_share(result.share(count) or 0.0, language)
    return Bar(label, count, format_number(count, language), share)


def summary(result: QuestionResult, t: Translator) -> str:
    """ "412 answers · mean 3.4 · median 3", or "fewer than 5 answers"."""
    if result.fewer_than is not None and figures_withheld(result):
        return fewer_than_text(result.fewer_than, t)
    if result.respondents is None:
        return t._("figures withheld")
    lang = t.language
    parts = [
        t.n_(
            "{number} answer",
            "{number} answers",
            result.respondents,
            number=format_number(result.respondents, lang),
        )
    ]
    if result.mean is not None and result.median is not None:
        parts.append(
            t._(
                "mean {mean} · median {median}",
                mean=format_number(result.mean, lang),
                median=format_number(result.median, lang),
            )
        )
    return " · ".join(parts)


def bar_lines(bars: list[Bar], t: Translator) -> list[str]:
    """One line per bar: "label: count (share)"."""
    return [
        t._("{label}: {count} ({share})", label=bar.label, count=bar.count, share=bar.share)
        if bar.share is not None
        else t._("{label}: {count}", label=bar.label, count=bar.count)
        for bar in bars
    ]


def free_text_line(result: QuestionResult, t: Translator) -> str:
    if figures_withheld(result):
        return fewer_than_text(result.fewer_than or 0, t)
    count = result.respondents or 0
    number = format_number(count, t.language)
    if result.texts_exported:
        return t.n_(
            "{number} free-text answer (available in the export)",
            "{number} free-text answers (available in the export)",
            count,
            number=number,
        )
    return t.n_(
        "{number} free-text answer (left out of the export until {minimum} residents have answered)",
        "{number} free-text answers (left out of the export until {minimum} residents have answered)",
        count,
        number=number,
        minimum=result.fewer_than or MIN_GROUP,
    )
