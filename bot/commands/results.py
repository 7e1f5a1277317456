"""/results: the current tally of a poll, as text, for anyone (hidden results only after closing)."""

from __future__ import annotations

from bot import authority
from bot.context import Context
from bot.formatting import b, doc, i, p


async def handle(ctx: Context, args: str) -> None:
    t = ctx.t
    argument = args.strip()
    if argument and not argument.lstrip("#").isdigit() and not argument.startswith("n°"):
        await consultation_results(ctx, argument)
        return
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


async def consultation_results(ctx: Context, slug: str) -> None:
    """Organizers see results any time; everyone after the close when the consultation says so."""
    from bot.consultations.publishing import results_replies
    from bot.consultations.service import State

    t = ctx.t
    engine = ctx.engine
    loaded = await engine.consultations.find(slug)
    if loaded is None:
        ctx.say(t._("There is no consultation “{slug}”. /consultations lists them.", slug=slug[:40]))
        return
    closed = engine.consultations.state(loaded.row) is State.CLOSED
    organizer = await authority.may_manage(ctx, loaded.row.community_id, loaded.row.created_by)
    if not organizer and not (closed and loaded.row.results_public):
        ctx.say(t._("The results of this consultation are not public."))
        return
    ctx.replies.extend(await results_replies(engine, loaded, ctx.chat, t, closing=False))
