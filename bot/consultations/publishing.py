"""Results in chat and on the shell: the text with every figure, a chart per question, the export files.

Every figure goes through the small-group rule with the threshold of the settings (`CIVICBOT_MIN_GROUP`).
Reading the results of a consultation that is not closed yet, and every export, is audited
(`record_access`) before anything is read. Export files are in the consultation's language: the one its
community chose, else the default language (`export_source`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.consultations.charts import consultation_charts
from bot.consultations.exports.files import FORMATS, export_file
from bot.consultations.exports.source import ExportSource
from bot.consultations.loaded import Loaded, State
from bot.consultations.results import consultation_results, format_number, render_results
from bot.formatting import Rich, b, doc, i, p
from bot.i18n import Translator, translator
from bot.inbound import ChatRef
from bot.replies import Reply, Send
from storage import audit
from storage import consultations as store

if TYPE_CHECKING:
    from bot.engine import Engine


async def results_replies(
    engine: Engine, loaded: Loaded, chat: ChatRef, t: Translator, *, closing: bool, private: bool = False
) -> list[Reply]:
    """The results message, then each chart as an image whose text alternative carries its figures.
    `private`: results its communities do not see, sent to an organizer, who is told so."""
    min_group = engine.settings.min_group
    results = await consultation_results(engine.db, loaded.id, loaded.definition, min_group=min_group)
    body = render_results(loaded.definition, results, t)
    waiting = 0 if closing else await store.waiting_count(engine.db, loaded.id)
    if waiting:  # an open anonymous consultation: the latest submissions wait for a batch
        body += doc(
            p(
                i(
                    t.n_(
                        "{number} recent answer will be counted at the close (answers are mixed in batches "
                        "to protect anonymity).",
                        "{number} recent answers will be counted at the close (answers are mixed in batches "
                        "to protect anonymity).",
                        waiting,
                        number=format_number(waiting, t.language),
                    )
                )
            )
        )
    if private:
        body = doc(p(i(t._("These results are not public: only the organizers receive them.")))) + body
    if closing:
        body = doc(p(b(t._("The consultation is closed. Thank you to everyone who took part!")))) + body
    replies: list[Reply] = [Send(to=chat, body=body)]
    charts = await asyncio.to_thread(consultation_charts, loaded.definition, results, t)  # ~40 ms each
    replies.extend(Send(to=chat, body=doc(p(chart.alt_text)), attachment=chart) for chart in charts)
    return replies


def closed_notice(loaded: Loaded, submissions: int, t: Translator) -> Rich:
    """All that the communities learn at the close of a consultation whose results are not public."""
    return doc(
        p(
            b(
                t.n_(
                    "The consultation “{title}” is closed; {number} resident took part.",
                    "The consultation “{title}” is closed; {number} residents took part.",
                    submissions,
                    title=loaded.definition.title.get(t.language),
                    number=format_number(submissions, t.language),
                )
            )
        ),
        p(t._("Thank you to everyone who took part!")),
    )


async def export_source(engine: Engine, loaded: Loaded) -> ExportSource:
    """What the exports of `loaded` are made from, in the consultation's language with the settings' rules."""
    language = await store.owner_language(engine.db, loaded.row) or engine.settings.default_language
    return ExportSource(
        engine.db,
        loaded.row,
        loaded.definition,
        translator(language),
        engine.settings.min_group,
        engine.settings.data_licence,
    )


async def export_replies(engine: Engine, loaded: Loaded, chat: ChatRef, t: Translator) -> list[Reply]:
    """Every export file, one message each saying what it is for (in `t`, the organizer's language)."""
    source = await export_source(engine, loaded)
    files = [await export_file(source, name, t) for name in FORMATS]
    return [Send(to=chat, body=doc(p(file.alt_text)), attachment=file) for file in files]


async def record_access(engine: Engine, loaded: Loaded, *, actor: str, export: str | None = None) -> None:
    """Audit an export (`export` names its files), or a read of results before the close; a read of a
    closed consultation's results is not recorded."""
    if export is None and engine.consultations.state(loaded.row) is State.CLOSED:
        return
    await audit.log(
        engine.db,
        at=engine.clock.now(),
        actor=actor,
        action="consultation.export" if export is not None else "consultation.results.read",
        object_type="consultation",
        object_id=loaded.id,
        detail=f"{loaded.row.slug}: {export}" if export is not None else loaded.row.slug,
    )


async def results_files(
    engine: Engine, loaded: Loaded, format: str, *, actor: str
) -> list[tuple[str, bytes]]:
    """What `civicbot results ID --format text|csv|xlsx|html|json|png` writes: (file name, content) pairs,
    in the consultation's language; the access is audited under `actor` like the chat's /results and
    /export."""
    source = await export_source(engine, loaded)
    await record_access(engine, loaded, actor=actor, export=format if format in FORMATS else None)
    if format in FORMATS:
        file = await export_file(source, format, source.t)
        return [(file.filename, file.data)]
    results = await consultation_results(engine.db, loaded.id, loaded.definition, min_group=source.min_group)
    if format == "png":
        charts = await asyncio.to_thread(consultation_charts, loaded.definition, results, source.t)
        return [(chart.filename, chart.data) for chart in charts]
    text = render_results(loaded.definition, results, source.t).plain
    return [(f"{loaded.row.slug}.txt", text.encode() + b"\n")]
