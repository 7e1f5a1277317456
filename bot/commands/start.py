"""/start: the welcome, and the door deep links open (`/start poll` starts the guided poll; the features
declare their links)."""

from __future__ import annotations

from bot.context import Context
from bot.formatting import b, doc, p
from storage.state import clear_conversation, load_conversation


async def handle(ctx: Context, args: str) -> None:
    payload = args.strip()
    link = ctx.engine.registry.deep_link(payload) if payload else None
    if link is not None and not ctx.chat.is_private:  # (a door to the private chat, typed in a group)
        ctx.invite_to_private(ctx.t._("This continues in a private chat with me."), payload)
        return
    if link is not None:  # declared by the features (bot/feature.py)
        handler, rest = link
        await handler(ctx, rest)
        return
    t = ctx.t
    ctx.say(
        doc(
            p(b(t._("Hello {name}!", name=ctx.event.sender.display_name[:64]))),
            p(
                t._(
                    "I help your town hall and your neighbors ask questions and listen to the answers: "
                    "polls in one tap, consultations, events."
                )
            ),
            p(t._("Send /help to see the commands. Your data: /mydata. Language: /lang en or /lang fr.")),
        )
    )


async def cancel(ctx: Context, args: str) -> None:
    sender = ctx.event.sender
    if await load_conversation(ctx.engine.db, sender.platform, sender.user_id) is None:
        ctx.say(ctx.t._("There is nothing to cancel."))
        return
    await clear_conversation(ctx.engine.db, sender.platform, sender.user_id)
    ctx.say(ctx.t._("Cancelled. Nothing was published."))
