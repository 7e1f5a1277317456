"""/start: the welcome, and the door deep links open (`/start poll` starts the guided poll)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.commands.results import RESULTS_LINK
from bot.context import Context
from bot.formatting import b, doc, p


async def handle(ctx: Context, args: str) -> None:
    payload = args.strip()
    if ctx.chat.is_private and payload in DEEP_LINKS:
        await DEEP_LINKS[payload](ctx)
        return
    if ctx.chat.is_private and payload.startswith("c_"):
        from bot.commands.consultations import consult

        await consult(ctx, payload[2:])
        return
    if ctx.chat.is_private and payload.startswith(RESULTS_LINK):  # results asked for in a group
        from bot.commands import results

        await results.handle(ctx, payload.removeprefix(RESULTS_LINK))
        return
    t = ctx.t
    ctx.say(
        doc(
            p(b(t._("Hello {name}!", name=ctx.event.sender.display_name[:64]))),
            p(
                t._(
                    "I help your town hall and your neighbors ask questions and listen to the answers: "
                    "polls in one tap, consultations, public meetings."
                )
            ),
            p(t._("Send /help to see the commands. Your data: /mydata. Language: /lang en or /lang fr.")),
        )
    )


async def _guided_poll(ctx: Context) -> None:
    from bot.commands import poll

    if not await ctx.engine.is_organizer(ctx):  # a deep link is no way around the organizer check
        ctx.say(ctx.t._("Sorry, only organizers can use /{name}.", name="poll"))
        return
    await poll.handle(ctx, "")


async def _mydata(ctx: Context) -> None:
    from bot.commands import mydata

    await mydata.handle(ctx, "")


async def _forget(ctx: Context) -> None:
    from bot.commands import forget

    await forget.handle(ctx, "")


# Where an invitation's deep link (`/start <payload>`) leads, once the private chat is open.
DEEP_LINKS: dict[str, Callable[[Context], Awaitable[None]]] = {
    "poll": _guided_poll,
    "mydata": _mydata,
    "forget": _forget,
}


async def cancel(ctx: Context, args: str) -> None:
    from storage.state import clear_conversation, load_conversation

    sender = ctx.event.sender
    if await load_conversation(ctx.engine.db, sender.platform, sender.user_id) is None:
        ctx.say(ctx.t._("There is nothing to cancel."))
        return
    await clear_conversation(ctx.engine.db, sender.platform, sender.user_id)
    ctx.say(ctx.t._("Cancelled. Nothing was published."))
