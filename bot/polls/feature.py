"""Micro-polls: /poll, /poll_edit and /poll_delete, the vote buttons, the guided poll, poll closings and the
live card (`/close` of a poll is bot/polls/close.py, reached through the shared /close of bot/commands)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.authority import Role, Target
from bot.context import Context
from bot.feature import N_, Card, CommandSpec, Feature, Jobs, Parameter
from bot.inbound import MessageRef
from bot.polls import commands as poll
from bot.polls import delete, edit, guided, personal_data
from bot.polls.spec import MAX_OPTION, MAX_OPTIONS, form_arguments
from storage import polls as poll_store

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.replies import Reply


async def _vote(ctx: Context, fields: list[str]) -> None:
    """`v.<poll>.<option>`, and `.<version>` on the cards of a corrected poll (bot/polls/card.py)."""
    if len(fields) not in (2, 3) or not all(f.isdigit() and len(f) <= 12 for f in fields):
        ctx.notice(ctx.t._("This button is not valid (any more)."), alert=True)
        return
    version = int(fields[2]) if len(fields) == 3 else 1
    await ctx.engine.polls.vote(ctx, int(fields[0]), int(fields[1]), version)


async def _guided_poll(ctx: Context, _rest: str) -> None:
    if not await ctx.engine.is_organizer(ctx):  # a deep link is no way around the organizer check
        ctx.say(ctx.t._("Sorry, only organizers can use /{name}.", name=POLL.name_in(ctx.t.language)))
        return
    await poll.handle(ctx, "")


async def _deadlines(engine: Engine) -> Mapping[str, datetime]:
    return {f"poll-close:{poll_id}": at for poll_id, at in await poll_store.open_deadlines(engine.db)}


async def _close_due(engine: Engine) -> Sequence[Reply]:
    return await engine.polls.close_due()


async def _delivered(engine: Engine, poll_id: str, ref: MessageRef) -> None:
    await engine.polls.record_copy(int(poll_id), ref)


async def _card(engine: Engine, poll_id: str) -> Sequence[Reply]:
    return await engine.polls.card_edits(int(poll_id))


# /poll as a form (Discord's slash command): its settings as switches, its deadline as text; `form_arguments`
# writes it as the line `parse_poll_command` reads
FORM = (
    Parameter("question", N_("The question, or the whole poll: Question? | Option 1 | Option 2")),
    *(Parameter(f"option{n}", f"Option {n}", max_length=MAX_OPTION) for n in range(1, MAX_OPTIONS + 1)),
    Parameter(
        "closes",
        N_("When it closes: tomorrow 6pm, thursday 7pm, 2026-12-05 18:30…"),
        max_length=100,
        french="cloture",
    ),
    Parameter("multi", N_("Several choices per resident"), switch=True, french="plusieurs"),
    Parameter("public", N_("Show the voters' names under each option"), switch=True),
    Parameter("hidden", N_("Show the results only once the poll is closed"), switch=True, french="caches"),
    Parameter(
        "private_results",
        N_("Send the results only to the organizers, in private"),
        switch=True,
        french="resultats_prives",
    ),
)
# a poll's number as text: the engine explains a wrong one itself
NUMBER = Parameter(
    "number", N_("Poll number (the latest poll of this channel when empty)"), max_length=20, french="numero"
)
GIVEN_NUMBER = Parameter("number", N_("Poll number"), max_length=20, french="numero")


def edit_arguments(values: Mapping[str, Any]) -> str:
    """/poll_edit's form (its number, then /poll's form) as the line `edit.handle` reads."""
    return f"{(values.get('number') or '').strip()} {form_arguments(values)}".strip()


POLL = CommandSpec(
    "poll",
    N_("Create a poll"),
    poll.handle,
    role=Role.ORGANIZER,
    aliases=("sondage",),
    arguments=N_(
        "[--multi] [--public] [--hidden] [--private-results] [--closes WHEN] Question? | Option 1 | Option 2"
    ),
    form=FORM,
    from_form=form_arguments,
)

FEATURE = Feature(
    name="polls",
    commands=(
        POLL,  # (/close, shared with consultations, is declared in bot/commands/feature.py)
        CommandSpec(
            edit.COMMAND,
            N_("Correct a poll before its first vote"),
            edit.handle,
            role=Role.ORGANIZER,
            aliases=("modifier_sondage",),
            arguments=N_("number [settings] Question? | Option 1 | Option 2"),
            targets=(Target.POLL,),
            form=(GIVEN_NUMBER, *FORM),
            from_form=edit_arguments,
        ),
        CommandSpec(
            "poll_delete",
            N_("Delete a poll"),
            delete.handle,
            role=Role.ORGANIZER,
            aliases=("supprimer_sondage",),
            arguments=N_("number"),
            targets=(Target.POLL,),
            form=(GIVEN_NUMBER,),
        ),
    ),
    buttons={"v": _vote, "g": guided.on_button, delete.BUTTON: delete.on_button},
    flows={guided.FLOW: guided.on_text},
    deep_links={"poll": _guided_poll},
    jobs=Jobs(prefixes=("poll-close:",), wanted=_deadlines, run_due=_close_due),
    cards={"poll": Card(delivered=_delivered, refresh=_card)},
    personal_data=personal_data.PERSONAL_DATA,
)
