"""/close: one command closes a poll or a consultation, told apart by the argument's shape as /results does
(a number, or nothing for the latest poll of this chat: a poll; anything else: a consultation's id)."""

from __future__ import annotations

from bot.commands.results import names_a_consultation
from bot.consultations import lifecycle
from bot.context import Context
from bot.polls import close as poll_close


async def handle(ctx: Context, args: str) -> None:
    if names_a_consultation(args):
        await lifecycle.close(ctx, args)
        return
    await poll_close.handle(ctx, args)
