"""Residents' proposals: /propose, the moderation queue, the card with its supports, the threshold and the
official answers, the organizers' reminders of answers owed, and what /mydata and /forget do with them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.authority import Role
from bot.context import Context
from bot.feature import N_, Card, CommandSpec, Feature, Jobs
from bot.proposals import (
    answers,
    configure,
    export,
    guided,
    listing,
    moderation,
    personal_data,
    reminders,
    service,
)

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.replies import Reply


async def propose(ctx: Context, args: str) -> None:
    if ctx.chat.is_private:
        await guided.begin(ctx)
    else:  # (writing it here is what makes this community the resident's)
        ctx.invite_to_private(
            ctx.t._("Write your proposal in a private chat with me: it takes a minute."), "propose"
        )


async def _propose_link(ctx: Context, _rest: str) -> None:
    await guided.begin(ctx)


async def _moderation_link(ctx: Context, _rest: str) -> None:
    if not await ctx.engine.is_organizer(ctx):  # a deep link is no way around the organizer check
        ctx.say(ctx.t._("Sorry, only organizers can use /{name}.", name="moderation"))
        return
    await moderation.show(ctx, 0)


async def _export_link(ctx: Context, _rest: str) -> None:
    if not await ctx.engine.is_organizer(ctx):  # a deep link is no way around the organizer check
        ctx.say(ctx.t._("Sorry, only organizers can use /{name}.", name=EXPORT.name_in(ctx.t.language)))
        return
    await export.handle(ctx, "")


async def on_button(ctx: Context, fields: list[str]) -> None:
    """`pr.s.<id>` supports, `pr.f.<id>` follows, `pr.e.<id>` edits a proposal sent back; `pr.g.…` is the
    /propose flow's, `pr.m.…` the moderation's, `pr.w.…` /answer's, `pr.l.…` the list's pages."""
    kind, rest = (fields[0], fields[1:]) if fields else ("", [])
    panels = {
        "g": guided.on_button,
        "m": moderation.on_button,
        "w": answers.on_button,
        "l": listing.on_button,
    }
    if kind in panels:
        await panels[kind](ctx, rest)
    elif kind in ("s", "f", "e") and len(rest) == 1 and rest[0].isdigit():
        action = {"s": service.support, "f": service.follow, "e": guided.begin_edit}[kind]
        await action(ctx, int(rest[0]))
    else:
        ctx.notice(ctx.t._("This button is not valid (any more)."), alert=True)


async def _card(engine: Engine, proposal_id: str) -> Sequence[Reply]:
    return await service.card_edits(engine, int(proposal_id))


async def _reminders(engine: Engine) -> Mapping[str, datetime]:
    return await reminders.jobs(engine)


async def _remind(engine: Engine) -> Sequence[Reply]:
    await reminders.run_due(engine)  # (reminders go through the outbox: nothing to deliver here)
    return []


EXPORT = CommandSpec(
    "export_proposals",
    N_("The proposals as open data files (CSV and JSON)"),
    export.handle,
    role=Role.ORGANIZER,
    aliases=("exporter_propositions",),
)

FEATURE = Feature(
    name="proposals",
    commands=(
        CommandSpec("propose", N_("Propose an idea for your community"), propose, aliases=("proposer",)),
        CommandSpec(
            "proposals",
            N_("The community's proposals, by supports or by date"),
            listing.proposals,
            aliases=("propositions",),
            arguments=N_("[status] [date]"),
        ),
        CommandSpec(
            "proposal",
            N_("A proposal and its history"),
            listing.proposal,
            aliases=("proposition",),
            arguments=N_("number"),
        ),
        CommandSpec(
            "answer",
            N_("Give a proposal its official answer"),
            answers.handle,
            role=Role.ORGANIZER,
            aliases=("repondre",),
            arguments=N_("number [status | text]"),
        ),
        CommandSpec(
            "moderation",
            N_("The proposals waiting for moderation"),
            moderation.handle,
            role=Role.ORGANIZER,
        ),
        EXPORT,
        CommandSpec(
            "proposals_settings",
            N_("How this community takes proposals"),
            configure.handle,
            role=Role.ORGANIZER,
            aliases=("reglages_propositions",),
            arguments=N_("[on|off] [threshold N] [delay DAYS] [moderation on|off]"),
        ),
    ),
    buttons={"pr": on_button},
    flows={guided.FLOW: guided.on_text, moderation.FLOW: moderation.on_text, answers.FLOW: answers.on_text},
    deep_links={"propose": _propose_link, "moderation": _moderation_link, "export_proposals": _export_link},
    jobs=Jobs(prefixes=("proposal-reminder:",), wanted=_reminders, run_due=_remind),
    cards={"proposal": Card(refresh=_card)},
    personal_data=personal_data.PERSONAL_DATA,
)
