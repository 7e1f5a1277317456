"""/close: an organizer closes a poll now; its cards show the final results and votes stop."""

from __future__ import annotations

from bot.context import Context


async def handle(ctx: Context, args: str) -> None:
    t = ctx.t
    polls = ctx.engine.polls
    poll = await polls.resolve(ctx, args)
    if poll is None:
        return
    if not poll.is_open:
        ctx.say(t._("Poll no. {id} is already closed.", id=poll.id))
        return
    closed, replies = await polls.close(poll.id, actor=ctx.identity)
    ctx.replies.extend(replies)
    if ctx.chat.is_private or not poll.posted_in(ctx.chat.platform, ctx.chat.chat_id):
        ctx.say(
            t._("Poll no. {id} is closed.", id=poll.id)
            if closed
            else t._("Poll no. {id} is already closed.", id=poll.id)
        )
