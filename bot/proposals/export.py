"""Proposals as open data: CSV (one row per proposal) and JSON (each with its dated history), for
`civicbot proposals export` and `/export_proposals`.

What is published only: proposals never approved are not open data, and neither is what the moderation said
to an author before publishing. Supports are a count: who supported is never exported. An author's name is
there only where they chose to show it (and were not forgotten since). Every export is audited before the
data is read, as the consultations' are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import authority
from bot.context import Context
from bot.formatting import doc, p
from bot.replies import Attachment, Send
from storage import audit
from storage import proposals as store
from storage.database import Database
from storage.tables import ProposalStep

FORMATS = ("csv", "json")
COLUMNS = (
    "number",
    "community",
    "title",
    "description",
    "author",
    "status",
    "published_at",
    "supports",
    "threshold_reached_at",
    "answer_due_at",
    "answered_at",
    "answer",
)


@dataclass(frozen=True, slots=True)
class Exported:
    view: store.ProposalView
    steps: Sequence[ProposalStep]  # its public history: publication and official answers

    @property
    def answer(self) -> ProposalStep | None:
        answers = [s for s in self.steps if s.status in store.ANSWERS]
        return answers[-1] if answers else None


def _when(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None


async def gather(
    db: Database, community_ids: Sequence[int] | None, *, actor: str, now: datetime
) -> list[Exported]:
    """The published proposals of these communities (None: all), oldest first; the export audited first."""
    async with db.write() as session:
        audit.record(
            session,
            at=now,
            actor=actor,
            action="proposals.export",
            object_type="community",
            object_id="all" if community_ids is None else ",".join(map(str, community_ids))[:64],
        )
    found = await store.published(db, community_ids)
    exported = []
    for proposal_id in found:
        view = await store.view(db, proposal_id)
        if view is not None:
            steps = [s for s in await store.history(db, proposal_id) if s.status in store.PUBLISHED]
            exported.append(Exported(view, steps))
    return exported


def _row(item: Exported) -> dict[str, Any]:
    proposal = item.view.proposal
    answer = item.answer
    return {
        "number": item.view.id,
        "community": item.view.community_title,
        "title": proposal.title,
        "description": proposal.description,
        "author": item.view.author_name,
        "status": proposal.status,
        "published_at": _when(proposal.published_at),
        "supports": item.view.supports,
        "threshold_reached_at": _when(proposal.threshold_reached_at),
        "answer_due_at": _when(proposal.answer_due_at),
        "answered_at": _when(answer.at) if answer is not None else None,
        "answer": answer.text if answer is not None else None,
    }


def as_csv(items: Sequence[Exported]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for item in items:
        writer.writerow({key: "" if value is None else value for key, value in _row(item).items()})
    return buffer.getvalue().encode("utf-8")


def as_json(items: Sequence[Exported]) -> bytes:
    data = [
        {
            **_row(item),
            "history": [{"at": s.at.isoformat(), "status": s.status, "text": s.text} for s in item.steps],
        }
        for item in items
    ]
    return json.dumps({"proposals": data}, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def encoded(items: Sequence[Exported], format: str) -> bytes:
    return as_csv(items) if format == "csv" else as_json(items)


# -- /export_proposals ---------------------------------------------------------------------------------------


async def handle(ctx: Context, args: str) -> None:
    """The proposals of the organizer's communities, as CSV and JSON files in their private chat."""
    t = ctx.t
    if not ctx.chat.is_private:
        ctx.invite_to_private(t._("Open data files are sent in a private chat with me."), "export_proposals")
        return
    scope = await authority.organizer_scope(ctx)
    items = await gather(
        ctx.engine.db,
        None if scope.everywhere else sorted(scope.ids),
        actor=ctx.identity,
        now=ctx.engine.clock.now(),
    )
    alt = t.n_(
        "{count} proposal: title, description, status, supports and history; never who supported.",
        "{count} proposals: title, description, status, supports and history; never who supported.",
        len(items),
    )
    for format, media_type in (("csv", "text/csv"), ("json", "application/json")):
        attachment = Attachment(f"proposals.{format}", encoded(items, format), media_type, alt)
        ctx.replies.append(Send(to=ctx.private_chat, body=doc(p(alt)), attachment=attachment))
