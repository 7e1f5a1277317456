"""Typed text outside commands: it continues the resident's guided flow, if they are in one."""

from __future__ import annotations

from bot.context import Context
from bot.inbound import TextMessage, TypedAnswer
from storage.state import load_conversation


async def continue_conversation(ctx: Context) -> None:
    event = ctx.event
    assert isinstance(event, (TextMessage, TypedAnswer))
    if not ctx.chat.is_private and not isinstance(event, TypedAnswer):
        return  # plain chatter in a community is none of the bot's business
    sender = event.sender
    saved = await load_conversation(ctx.engine.db, sender.platform, sender.user_id)
    if saved is None:
        if ctx.chat.is_private:
            ctx.say(ctx.t._("Send /help to see what I can do."))
        return
    flow, state = saved
    handler = ctx.engine.registry.flows.get(flow)
    if handler is not None:  # (a flow of a feature no longer installed is left alone)
        await handler(ctx, state, event.text)
