"""Results in chat and on the shell: the text with every figure, a chart per question, the open-data files."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.consultations.charts import consultation_charts
from bot.consultations.export import export_attachments, export_csv, export_json, results_as_text
from bot.consultations.results import consultation_results, render_results
from bot.consultations.service import Loaded
from bot.events import ChatRef
from bot.formatting import b, doc, p
from bot.i18n import Translator
from bot.replies import Reply, Send

if TYPE_CHECKING:
    from bot.engine import Engine


async def results_replies(
    engine: Engine, loaded: Loaded, chat: ChatRef, t: Translator, *, closing: bool
) -> list[Reply]:
    """The results message, then each chart as an image whose text alternative carries its figures."""
    results = await consultation_results(engine.db, loaded.id, loaded.definition)
    body = render_results(loaded.definition, results, t)
    if closing:
        body = doc(p(b(t._("The consultation is closed. Thank you to everyone who took part!")))) + body
    replies: list[Reply] = [Send(to=chat, body=body)]
    charts = await asyncio.to_thread(consultation_charts, loaded.definition, results, t)  # ~40 ms each
    replies.extend(Send(to=chat, body=doc(p(chart.alt_text)), attachment=chart) for chart in charts)
    return replies


async def export_replies(engine: Engine, loaded: Loaded, chat: ChatRef, t: Translator) -> list[Reply]:
    files = await export_attachments(engine.db, loaded.row, loaded.definition, t)
    return [Send(to=chat, body=doc(p(file.alt_text)), attachment=file) for file in files]


async def results_files(
    engine: Engine, loaded: Loaded, format: str, t: Translator
) -> list[tuple[str, bytes]]:
    """What `civicbot results ID --format text|csv|json|png` writes: (file name, content) pairs."""
    slug = loaded.row.slug
    if format == "png":
        results = await consultation_results(engine.db, loaded.id, loaded.definition)
        return [(chart.filename, chart.data) for chart in consultation_charts(loaded.definition, results, t)]
    if format == "text":
        text = await results_as_text(engine.db, loaded.row, loaded.definition, language=t.language)
        return [(f"{slug}.txt", text.encode() + b"\n")]
    if format == "csv":
        return [(f"{slug}.csv", await export_csv(engine.db, loaded.row, loaded.definition, t=t))]
    return [(f"{slug}-results.json", await export_json(engine.db, loaded.row, loaded.definition, t=t))]
