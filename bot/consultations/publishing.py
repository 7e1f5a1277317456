"""Results in chat and on the shell: the text with every figure, a chart per question, the open-data files.

Every figure goes through the small-group rule with the threshold of the settings (`CIVICBOT_MIN_GROUP`).
Reading the results of a consultation that is not closed yet, and every export, is audited
(`record_access`) before anything is read.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.consultations.charts import consultation_charts
from bot.consultations.export import export_attachments, export_csv, export_json, results_as_text
from bot.consultations.loaded import Loaded, State
from bot.consultations.results import consultation_results, format_number, render_results
from bot.formatting import Rich, b, doc, i, p
from bot.i18n import Translator
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


async def export_replies(engine: Engine, loaded: Loaded, chat: ChatRef, t: Translator) -> list[Reply]:
    min_group = engine.settings.min_group
    files = await export_attachments(engine.db, loaded.row, loaded.definition, t, min_group=min_group)
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
    engine: Engine, loaded: Loaded, format: str, t: Translator, *, actor: str
) -> list[tuple[str, bytes]]:
    """What `civicbot results ID --format text|csv|json|png` writes: (file name, content) pairs; the
    access is audited under `actor` like the chat's /results and /export."""
    slug = loaded.row.slug
    db, min_group = engine.db, engine.settings.min_group
    await record_access(engine, loaded, actor=actor, export=format if format in ("csv", "json") else None)
    if format == "png":
        results = await consultation_results(db, loaded.id, loaded.definition, min_group=min_group)
        return [(chart.filename, chart.data) for chart in consultation_charts(loaded.definition, results, t)]
    if format == "text":
        text = await results_as_text(
            db, loaded.row, loaded.definition, language=t.language, min_group=min_group
        )
        return [(f"{slug}.txt", text.encode() + b"\n")]
    if format == "csv":
        return [
            (f"{slug}.csv", await export_csv(db, loaded.row, loaded.definition, t=t, min_group=min_group))
        ]
    data = await export_json(db, loaded.row, loaded.definition, t=t, min_group=min_group)
    return [(f"{slug}-results.json", data)]
