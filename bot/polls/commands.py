"""/poll: in a community, one line posts a poll there; in private, a guided flow asks step by step."""

from __future__ import annotations

from bot.context import Context
from bot.polls import guided
from bot.polls.spec import PollSpecError, parse_poll_command


async def handle(ctx: Context, args: str) -> None:
    engine = ctx.engine
    t = ctx.t
    if not args.strip():
        if ctx.chat.is_private:
            await guided.begin(ctx)
        else:
            ctx.invite_to_private(t._("Let's prepare your poll step by step in a private chat."), "poll")
        return
    timezone = engine.community_timezone(ctx.chat.key)
    try:
        spec = parse_poll_command(args, now=engine.clock.now(), timezone=timezone, t=t)
    except PollSpecError as error:
        ctx.say(str(error))
        return
    if ctx.chat.is_private:
        await guided.choose_communities(ctx, spec)
        return
    await engine.polls.create(ctx, spec, [ctx.chat])
