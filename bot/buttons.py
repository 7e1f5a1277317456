"""Which code answers which button: the first field of a verified action id names it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.commands import forget, lang, meetings
from bot.consultations import flow
from bot.context import Context
from bot.polls import guided


async def _vote(ctx: Context, fields: list[str]) -> None:
    if len(fields) != 2 or not all(f.isdigit() for f in fields):
        ctx.notice(ctx.t._("This button is not valid (any more)."), alert=True)
        return
    await ctx.engine.polls.vote(ctx, int(fields[0]), int(fields[1]))


BUTTONS: dict[str, Callable[[Context, list[str]], Awaitable[None]]] = {
    "v": _vote,
    "g": guided.on_button,
    "l": lang.on_button,
    "x": forget.on_button,
    "c": flow.on_button,
    "ce": flow.on_receipt,
    "m": meetings.on_button,
}
