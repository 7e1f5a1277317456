"""/launch, /consult and /export: consultations for organizers and residents."""

from __future__ import annotations

from bot.consultations import flow
from bot.consultations.exports.files import FORMATS
from bot.consultations.publishing import export_replies, record_access
from bot.consultations.service import Loaded, State
from bot.context import Context


async def _find(ctx: Context, args: str, *, usage: str) -> Loaded | None:
    slug = args.strip().split(" ", 1)[0]
    if not slug:
        ctx.say(ctx.t._("Give the consultation's id, for example {usage}.", usage=usage))
        return None
    return await find(ctx, slug)


async def find(ctx: Context, slug: str) -> Loaded | None:
    """The consultation with this id, or None once the person is told there is none."""
    loaded = await ctx.engine.consultations.find(slug)
    if loaded is None:
        ctx.say(ctx.t._("There is no consultation “{slug}”. /consultations lists them.", slug=slug[:40]))
    return loaded


async def launch(ctx: Context, args: str) -> None:
    t = ctx.t
    if ctx.chat.is_private:
        ctx.say(t._("Use /launch in the community where residents should take part."))
        return
    loaded = await _find(ctx, args, usage="/launch place-du-marche")
    if loaded is None:
        return
    if ctx.engine.consultations.state(loaded.row) is State.CLOSED:
        ctx.say(t._("This consultation is closed; thank you for your interest."))
        return
    await ctx.engine.consultations.launch(ctx, loaded)


async def consult(ctx: Context, args: str) -> None:
    t = ctx.t
    loaded = await _find(ctx, args, usage="/consult place-du-marche")
    if loaded is None:
        return
    if not ctx.chat.is_private:
        ctx.replies.append(ctx.engine.consultations.invite(loaded, ctx.chat, t))
        return
    await flow.start(ctx, loaded)


async def export(ctx: Context, args: str) -> None:
    t = ctx.t
    if not ctx.chat.is_private:
        ctx.invite_to_private(t._("Exports are sent in a private chat."), "start")
        return
    loaded = await _find(ctx, args, usage="/export place-du-marche")
    if loaded is None:
        return

    await record_access(ctx.engine, loaded, actor=ctx.identity, export=", ".join(FORMATS))
    ctx.replies.extend(await export_replies(ctx.engine, loaded, ctx.private_chat, t))
