"""The printable report: one self-contained HTML page of the results, for the town council.

It opens in any browser and prints cleanly (A4, each question on a page of its own, charts never cut):
the title, the facts of the consultation, the small-group rules, then each question with its chart (the
PNG of charts.py, embedded as base64) followed by its text alternative, which carries every figure the
chart shows. Numbers and free texts, drawn as text in the chat, are text here too. Nothing is loaded from
elsewhere (no link to a stylesheet, a font or an image), so the file reads the same offline, attached to
an e-mail or years later; every text of the consultation is escaped.
"""

from __future__ import annotations

import asyncio
import base64
from html import escape
from typing import Final

from bot.consultations.charts import question_chart
from bot.consultations.exports.about import facts, small_group_rules
from bot.consultations.exports.columns import question_label
from bot.consultations.exports.source import ExportSource
from bot.consultations.figures import figures_withheld, summary, why_withheld
from bot.consultations.questions import Question
from bot.replies import Attachment
from storage.consultation_results import QuestionResult, Results

MEDIA_TYPE: Final = "text/html"
STYLE: Final = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: system-ui, "Segoe UI", Arial, sans-serif; color: #1a1a1a; line-height: 1.45;
       max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.25rem; break-after: avoid; page-break-after: avoid; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dt { font-weight: bold; }
dd { margin: 0; }
.rules { border-left: 4px solid #2a62c9; padding: 0.2rem 1rem; background: #f3f6fb; }
section.question { break-before: page; page-break-before: always; }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { margin-top: 0.5rem; color: #333; }
footer { margin-top: 2rem; color: #555; font-size: 0.9rem; }
@media print { body { max-width: none; margin: 0; padding: 0; } .rules { background: none; } }
"""


def _p(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _chart(chart: Attachment) -> str:
    """The chart, then its text alternative printed under it (a screen reader reads it once, as the image's
    alternative: the caption is hidden from it)."""
    data = base64.b64encode(chart.data).decode("ascii")
    alt = escape(chart.alt_text)
    return (
        f'<figure><img src="data:{chart.media_type};base64,{data}" alt="{alt}">'
        f'<figcaption aria-hidden="true">{alt}</figcaption></figure>'
    )


def question_section(
    number: int, question: Question, result: QuestionResult, source: ExportSource, chart: Attachment | None
) -> str:
    t = source.t
    parts = [f"<h2>{escape(question_label(number, question, t))}</h2>"]
    if chart is not None:
        parts.append(_chart(chart))
    else:
        lines = question.figure_lines(result, t) or [summary(result, t)]
        parts.append("<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>")
        if result.fewer_than is not None and figures_withheld(result):
            parts.append(_p(why_withheld(result.fewer_than, t)))
    return '<section class="question">' + "".join(parts) + "</section>"


def render_report(source: ExportSource, results: Results, charts: dict[str, Attachment]) -> str:
    """The page, from the figures and the charts of the questions that have one (by question id)."""
    t = source.t
    title = t._("Results: {title}", title=source.title)
    facts_list = "".join(
        f"<dt>{escape(what)}</dt><dd>{escape(value)}</dd>" for what, value in facts(source, results)
    )
    rules = "".join(_p(rule) for rule in small_group_rules(source.min_group, t))
    sections = "".join(
        question_section(number, question, results.question(question.id), source, charts.get(question.id))
        for number, question in enumerate(source.definition.questions, start=1)
    )
    heading = t._("Protecting small groups")
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(t.language)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<header><h1>{escape(title)}</h1><dl>{facts_list}</dl>"
        f'<div class="rules"><h2>{escape(heading)}</h2>{rules}'
        f"{_p(t._('Percentages are of the residents who answered each question.'))}</div></header>\n"
        f"{sections}\n"
        f"<footer>{_p(t._('Published under the licence: {licence}.', licence=source.licence))}</footer>\n"
        "</body>\n</html>\n"
    )


def charts_of(source: ExportSource, results: Results) -> dict[str, Attachment]:
    """The chart of each question drawn as one (~40 ms each), by question id."""
    found = {}
    for number, question in enumerate(source.definition.questions, start=1):
        chart = question_chart(question, results.question(question.id), source.t, number=number)
        if chart is not None:
            found[question.id] = chart
    return found


async def export_report(source: ExportSource) -> bytes:
    async with source.db.read() as session:
        results = await source.results(await session.connection())
    charts = await asyncio.to_thread(charts_of, source, results)
    return render_report(source, results, charts).encode("utf-8")
