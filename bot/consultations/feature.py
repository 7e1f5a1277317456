"""Consultations: import (a YAML file sent in private), launch, private guided answering, receipts,
openings and closings, export."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.authority import Role, Target
from bot.consultations import commands as consultations
from bot.consultations import flow, personal_data
from bot.consultations.importing import import_upload
from bot.context import Context
from bot.feature import N_, CommandSpec, Feature, Jobs
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


FEATURE = Feature(
    name="consultations",
    commands=(
        CommandSpec(
            "consultations", N_("List the consultations"), consultations.list_all, role=Role.ORGANIZER
        ),
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
            "export",
            N_("Export a consultation's results as open data"),
            consultations.export,
            role=Role.ORGANIZER,
            aliases=("exporter",),
            arguments=N_("id"),
            targets=(Target.CONSULTATION,),
        ),
    ),
    buttons={"c": flow.on_button, "ce": flow.on_receipt},
    flows={flow.FLOW: flow.on_text},
    deep_links={"c_": _take_part},
    jobs=Jobs(prefixes=("consultation-close:", "consultation-open:"), wanted=_deadlines, run_due=_due),
    upload=import_upload,
    personal_data=personal_data.PERSONAL_DATA,
)
