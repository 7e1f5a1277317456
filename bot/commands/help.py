"""/help: the commands this person may use, in their language."""

from __future__ import annotations

from bot.context import Context
from bot.formatting import Block, Piece, b, code, doc, p, ul


async def handle(ctx: Context, args: str) -> None:
    t = ctx.t
    organizer = await ctx.engine.is_organizer(ctx)
    items: list[list[Piece]] = []
    for spec in ctx.engine.registry.commands():
        if spec.organizer and not organizer:
            continue
        usage = f"/{spec.name_in(t.language)}" + (f" {t._(spec.arguments)}" if spec.arguments else "")
        items.append([code(usage), " — ", t._(spec.summary)])
    blocks: list[Block] = [p(b(t._("What I can do"))), ul(*items)]
    if organizer:
        blocks.append(p(t._("Example: /poll Which day for the street party? | Saturday | Sunday")))
    else:
        blocks.append(
            p(t._("To vote in a poll, tap an option under it. Tap it again to withdraw your vote."))
        )
    ctx.say(doc(*blocks))
