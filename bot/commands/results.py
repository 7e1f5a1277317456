"""/results: the current tally of a poll, as text, for anyone (hidden results only after closing)."""

from __future__ import annotations

from bot.context import Context
from bot.formatting import b, doc, i, p


async def handle(ctx: Context, args: str) -> None:
    t = ctx.t
    poll = await ctx.engine.polls.resolve(ctx, args)
    if poll is None:
        return
    lines = await ctx.engine.polls.results(poll, t)
    state = t._("closed") if not poll.is_open else t._("open")
    heading = p(b(t._("Results of poll no. {id} ({state})", id=poll.id, state=state)))
    if lines is None:
        ctx.say(doc(heading, p(poll.question), p(i(t._("Results are hidden until the poll closes.")))))
        return
    ctx.say(doc(heading, p(poll.question), p("\n".join(lines))))
