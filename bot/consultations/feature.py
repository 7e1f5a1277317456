"""Consultations: import (a YAML file sent in private), launch, private guided answering, receipts,
openings and closings (at the deadline, early, or later when extended), the lists, export."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.authority import Role, Target
from bot.consultations import commands as consultations
from bot.consultations import flow, lifecycle, listing, personal_data
from bot.consultations.importing import import_upload
from bot.consultations.service import CARD
from bot.context import Context
from bot.feature import N_, Card, CommandSpec, Feature, Jobs
from bot.inbound import MessageRef
from storage import consultations as consultation_store

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.replies import Reply


async def _take_part(ctx: Context, consultation_id: str) -> None:
    """The invitation's "Take part" deep link (`/start c_<id>`)."""
    await consultations.consult(ctx, consultation_id)


async def _deadlines(engine: Engine) -> Mapping[str, datetime]:
    wanted: dict[str, datetime] = {}
    for consultation_id, opens_at, closes_at in await consultation_store.open_consultation_deadlines(
        engine.db
    ):
        wanted[f"consultation-close:{consultation_id}"] = closes_at
        if opens_at is not None:
            wanted[f"consultation-open:{consultation_id}"] = opens_at
    return wanted


async def _due(engine: Engine) -> Sequence[Reply]:
    return await engine.consultations.due()


async def _card_delivered(engine: Engine, consultation_id: str, ref: MessageRef) -> None:
    await consultation_store.record_card(
        engine.db, int(consultation_id), ref.chat.platform, ref.chat.chat_id, ref.message_id
    )


async def _card(engine: Engine, consultation_id: str) -> Sequence[Reply]:
    return await engine.consultations.card_edits(int(consultation_id))


FEATURE = Feature(
    name="consultations",
    commands=(
        CommandSpec("consultations", N_("The consultations, and how to answer them"), listing.list_all),
        CommandSpec(
            "launch",
            N_("Invite a community to a consultation"),
            consultations.launch,
            role=Role.ORGANIZER,
            aliases=("lancer",),
            arguments=N_("id"),
            targets=(Target.CONSULTATION,),
        ),
        CommandSpec(
            "consult",
            N_("Answer a consultation"),
            consultations.consult,
            aliases=("participer",),
            arguments=N_("id"),
        ),
        CommandSpec(
            "extend",
            N_("Move a consultation's closing date later"),
            lifecycle.extend,
            role=Role.ORGANIZER,
            aliases=("prolonger",),
            arguments=N_("id WHEN"),
            targets=(Target.CONSULTATION,),
        ),
        CommandSpec(
            "export",
            N_("Export a consultation's results as open data"),
            consultations.export,
            role=Role.ORGANIZER,
            aliases=("exporter",),
            arguments=N_("id"),
            targets=(Target.CONSULTATION,),
        ),
    ),
    buttons={"c": flow.on_button, "ce": flow.on_receipt, listing.BUTTON: listing.on_button},
    flows={flow.FLOW: flow.on_text},
    deep_links={"c_": _take_part, listing.LIST_LINK: listing.from_link},
    jobs=Jobs(prefixes=("consultation-close:", "consultation-open:"), wanted=_deadlines, run_due=_due),
    cards={CARD: Card(delivered=_card_delivered, refresh=_card)},
    upload=import_upload,
    personal_data=personal_data.PERSONAL_DATA,
)
