"""One PNG chart per choice, yes/no, scale and ranking question, made to be read on a phone.

Each chart is a column of horizontal bars: the label on its own line above its bar (long option texts wrap
instead of being cut), the figures at the end of the bar in large type, the question as a wrapped title and
the number of answers (with mean and median for a scale) under it. Figures are formatted for the reader's
language (« 1 234 », « 61 % »), and every one of them is also in the attachment's text alternative. A scale
answered by fewer than k residents is drawn without bars: "fewer than 5 answers" and why.

The drawing uses matplotlib's Agg canvas directly, with no pyplot and no axes: no global state, so charts may
be drawn from a worker thread, and a chart costs a few tens of milliseconds. The PNG is deterministic
(same figures → same bytes): no date or software version is written in its metadata, and text is never
parsed as math (a "$" in an option stays a "$").
"""

from __future__ import annotations

import io
import re
import textwrap
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bot.consultations.model import ConsultationDefinition
from bot.consultations.questions import Question
from bot.consultations.results import (
    Bar,
    bars,
    chart_alt_text,
    figures_withheld,
    summary,
    why_withheld,
)
from bot.i18n import Translator
from bot.replies import Attachment
from storage.consultation_results import QuestionResult, Results

WIDTH = 9.0  # inches; × DPI = 1080 pixels, a phone screen's width
DPI = 120
MARGIN = 0.45
VALUE_ROOM = 2.6  # inches kept right of the longest bar for its figures
TITLE_SIZE, SUBTITLE_SIZE, LABEL_SIZE, VALUE_SIZE, NOTE_SIZE = 21, 16, 17, 17, 13
TITLE_WRAP, LABEL_WRAP, NOTE_WRAP = 44, 58, 80
BAR_HEIGHT = 0.42
INK, MUTED, BAR_COLOUR, TRACK_COLOUR = "#1a1a1a", "#555555", "#2a62c9", "#e6e9ef"
PNG_METADATA = {"Software": None}  # matplotlib writes its version otherwise; nothing else is time-dependent


@dataclass(frozen=True, slots=True)
class _Text:
    y: float  # inches from the top, baseline-independent: texts are anchored at their top
    x: float
    text: str
    size: int
    colour: str
    bold: bool = False
    anchor: str = "top"


def _line_height(size: int) -> float:
    return size * 1.32 / 72


# spaces a line must not break at: between a number and what it counts ("23 h", "19 h 00", "5 km", "12 %"),
# cut apart they read as two numbers or a lone unit; and French typography's spaces before ? ! : ; » and
# after «, which would leave a mark alone at the start of a line
_UNBREAKABLE = re.compile(
    r"(?<=\d) (?=(?:h|min|s|€|%|°|km|m|kg|ans?|\d{2})(?!\w))"
    r"|(?<=\d h) (?=\d{2}(?!\w))"
    r"|(?<=\S) (?=[?!:;»](?!\w))"
    r"|(?<=«) "
)


def wrapped_lines(text: str, width: int, max_lines: int) -> list[str]:
    """`text` in lines of at most `width` characters (at most `max_lines`, the last shortened with …)."""
    glued = _UNBREAKABLE.sub("\u00a0", text)  # textwrap breaks at ASCII spaces only
    lines = [line.replace("\u00a0", " ") for line in textwrap.wrap(glued, width)] or [""]
    if len(lines) > max_lines:
        lines = [
            *lines[: max_lines - 1],
            textwrap.shorten(" ".join(lines[max_lines - 1 :]), width, placeholder=" …"),
        ]
    return lines


def render_png(title: str, subtitle: str, chart_bars: list[Bar], note: str | None = None) -> bytes:
    """Draw the bars under a title and a subtitle; returns the PNG bytes (deterministic)."""
    texts: list[_Text] = []
    rectangles: list[tuple[float, float, float, str]] = []  # top (inches from top), x, width, colour
    y = MARGIN
    for line in wrapped_lines(title, TITLE_WRAP, 8):
        texts.append(_Text(y, MARGIN, line, TITLE_SIZE, INK, bold=True))
        y += _line_height(TITLE_SIZE)
    y += 0.08
    texts.append(_Text(y, MARGIN, subtitle, SUBTITLE_SIZE, MUTED))
    y += _line_height(SUBTITLE_SIZE) + 0.3
    longest = max((bar.value for bar in chart_bars), default=0) or 1
    room = WIDTH - 2 * MARGIN - VALUE_ROOM
    for bar in chart_bars:
        for line in wrapped_lines(bar.label, LABEL_WRAP, 2):
            texts.append(_Text(y, MARGIN, line, LABEL_SIZE, INK))
            y += _line_height(LABEL_SIZE)
        y += 0.04
        length = room * bar.value / longest
        rectangles.append((y, MARGIN, room, TRACK_COLOUR))
        if length > 0:
            rectangles.append((y, MARGIN, length, BAR_COLOUR))
        texts.append(
            _Text(y + BAR_HEIGHT / 2, MARGIN + room + 0.15, bar.figures, VALUE_SIZE, INK, True, "center")
        )
        y += BAR_HEIGHT + 0.28
    if note:
        y += 0.05
        for line in wrapped_lines(note, NOTE_WRAP, 3):
            texts.append(_Text(y, MARGIN, line, NOTE_SIZE, MUTED))
            y += _line_height(NOTE_SIZE)
    height = y + MARGIN - 0.2

    figure = Figure(figsize=(WIDTH, height), dpi=DPI, facecolor="white")
    canvas = FigureCanvasAgg(figure)
    inches = figure.dpi_scale_trans
    for top, x, width, colour in rectangles:
        patch = Rectangle(
            (x, height - top - BAR_HEIGHT), width, BAR_HEIGHT, transform=inches, color=colour, lw=0
        )
        figure.add_artist(patch)
    for text in texts:
        figure.text(
            text.x,
            height - text.y,
            text.text,
            transform=inches,
            fontsize=text.size,
            color=text.colour,
            fontweight="bold" if text.bold else "normal",
            va=text.anchor,
            ha="left",
            parse_math=False,
        )
    buffer = io.BytesIO()
    canvas.print_png(buffer, metadata=PNG_METADATA)  # type: ignore[no-untyped-call]  # (matplotlib: unannotated)
    return buffer.getvalue()


def question_chart(
    question: Question, result: QuestionResult, t: Translator, *, number: int | None = None
) -> Attachment | None:
    """The chart of one question, or None for a question drawn as text only (number, free text) or left
    out of a filtered view."""
    if not question.charted or result.withheld:
        return None
    title = question.text.get(t.language)
    if number is not None:
        title = f"{number}. {title}"
    if result.fewer_than is not None and figures_withheld(result):
        note: str | None = why_withheld(result.fewer_than, t)  # drawn instead of the bars
    else:
        note = question.chart_note(t)
    png = render_png(title, summary(question, result, t), bars(question, result, t), note)
    prefix = f"{number:02d}-" if number is not None else ""
    return Attachment(f"{prefix}{question.id}.png", png, "image/png", chart_alt_text(question, result, t))


def consultation_charts(
    definition: ConsultationDefinition, results: Results, t: Translator
) -> list[Attachment]:
    """Every chart of the results, in question order (none for a withheld filtered view)."""
    if results.withheld:
        return []
    charts = []
    for number, question in enumerate(definition.questions, start=1):
        chart = question_chart(question, results.question(question.id), t, number=number)
        if chart is not None:
            charts.append(chart)
    return charts
