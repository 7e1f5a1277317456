"""/consultations, /launch, /consult and /export: consultations for organizers and residents."""

from __future__ import annotations

from bot import authority
from bot.consultations import flow
from bot.consultations.exports.files import FORMATS
from bot.consultations.publishing import export_replies, record_access
from bot.consultations.service import Loaded, State
from bot.context import Context
from bot.formatting import Piece, b, code, doc, p, ul
from storage import consultations as store


async def _find(ctx: Context, args: str, *, usage: str) -> Loaded | None:
    slug = args.strip().split(" ", 1)[0]
    if not slug:
        ctx.say(ctx.t._("Give the consultation's id, for example {usage}.", usage=usage))
        return None
    loaded = await ctx.engine.consultations.find(slug)
    if loaded is None:
        ctx.say(ctx.t._("There is no consultation “{slug}”. /consultations lists them.", slug=slug[:40]))
    return loaded


async def list_all(ctx: Context, args: str) -> None:
    t = ctx.t
    scope = await authority.organizer_scope(ctx)
    rows = [
        (row, count)
        for row, count in await store.all_consultations(ctx.engine.db)
        if scope.covers(row.community_id, row.created_by)
    ]
    if not rows:
        ctx.say(
            t._("No consultation yet. Send me a consultation file (.yaml) in a private chat to import one.")
        )
        return
    names = {
        State.DRAFT: t._("consultation not open yet"),
        State.OPEN: t._("consultation open"),
        State.CLOSED: t._("consultation closed"),
    }
    items: list[list[Piece]] = [
        [code(row.slug), " — ", row.title, " — ", names[ctx.engine.consultations.state(row)], " — ",
         t.n_("{count} submission", "{count} submissions", count)]
        for row, count in rows
    ]  # fmt: skip
    ctx.say(doc(p(b(t._("Consultations"))), ul(*items)))


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
