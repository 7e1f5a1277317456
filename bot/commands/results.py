"""/results: a poll's tally or a consultation's results, where everyone may see them, or to organizers only.

Results a community may see (an ordinary poll, a closed consultation with `results_public`) are posted in
the chat, at most once an hour per poll or consultation in a community (`bot/reposts.py`). Results kept
from the community (a consultation before its close or without `results_public`, a poll with
`--private-results`) go to an organizer in private, and only a short line is said in the group.

A consultation's filtered views and cross-tabulations (`/results ID --where Q=A`, `/results ID --cross Q1
Q2`, bot/consultations/views.py) are for its organizers only, and always go to their private chat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot import authority
from bot.consultations import views
from bot.consultations.commands import find
from bot.consultations.publishing import record_access, results_replies
from bot.consultations.service import State
from bot.consultations.views import ViewError, ViewRequest
from bot.context import Context
from bot.dates import format_time, format_when
from bot.formatting import Rich, b, doc, i, p
from bot.inbound import ChatRef
from bot.replies import Reply, Send

RESULTS_LINK = "r_"  # `/start r_<argument>` in private: the invitation's way back to these results
RESULTS_TRACK = "results:"  # a tracked posting of results: the engine learns its message (bot/reposts.py)


def names_a_consultation(args: str) -> bool:
    """A consultation's id rather than a poll's number (« 12 », « #12 », « n° 12 ») or nothing (the latest
    poll of the chat)."""
    argument = args.strip()
    return bool(argument) and not argument.lstrip("#").isdigit() and not argument.startswith("n°")


async def handle(ctx: Context, args: str) -> None:
    try:
        target, request = views.split(args, ctx.t)
    except ViewError as error:
        ctx.say(error.message)
        return
    if request.asked:
        await consultation_view(ctx, target, request)
        return
    if names_a_consultation(args):
        await consultation_results(ctx, args.strip())
        return
    await poll_results(ctx, args)


async def poll_results(ctx: Context, args: str) -> None:
    """Everyone sees an ordinary poll's tally (a hidden one after its close); a poll with private results
    shows it only to its organizers, in private."""
    t = ctx.t
    polls = ctx.engine.polls
    poll = await polls.resolve(ctx, args)
    if poll is None:
        return
    state = t._("closed") if not poll.is_open else t._("open")
    heading = p(b(t._("Results of poll no. {id} ({state})", id=poll.id, state=state)))

    async def message() -> Rich:
        lines = await polls.results(poll, t)
        if lines is None:
            return doc(heading, p(poll.question), p(i(t._("Results are hidden until the poll closes."))))
        return doc(heading, p(poll.question), p("\n".join(lines)))

    if poll.private_results:
        if not await authority.may_manage(ctx, poll.community_id, poll.created_by):
            ctx.say(t._("The results of this poll go only to its organizers."))
            return

        async def privately(chat: ChatRef) -> list[Reply]:
            return [Send(to=chat, body=await message())]

        await to_organizer(ctx, f"{RESULTS_LINK}{poll.id}", privately)
        return
    subject = f"poll:{poll.id}"
    if not posted_lately(ctx, subject):
        ctx.say(await message(), track=f"{RESULTS_TRACK}{subject}")


async def consultation_results(ctx: Context, slug: str) -> None:
    """Everyone sees a closed consultation's results when it says `results_public`; otherwise only
    organizers, in private, and a read before the close is audited."""
    t = ctx.t
    engine = ctx.engine
    loaded = await find(ctx, slug)
    if loaded is None:
        return
    if engine.consultations.state(loaded.row) is State.CLOSED and loaded.row.results_public:
        subject = f"consultation:{loaded.id}"
        if not posted_lately(ctx, subject):
            first, *rest = await results_replies(engine, loaded, ctx.chat, t, closing=False)
            tracked = replace(first, track=f"{RESULTS_TRACK}{subject}") if isinstance(first, Send) else first
            ctx.replies.extend([tracked, *rest])
        return
    if not await authority.may_manage(ctx, loaded.row.community_id, loaded.row.created_by):
        if loaded.row.results_public:  # public at the close: say when
            when = format_when(
                loaded.row.closes_at, tz=loaded.row.timezone, language=t.language, now=engine.clock.now()
            )
            ctx.say(
                t._("The results of this consultation will be published at its close, {when}.", when=when)
            )
        else:
            ctx.say(t._("The results of this consultation are not public."))
        return

    async def privately(chat: ChatRef) -> list[Reply]:
        await record_access(engine, loaded, actor=ctx.identity)
        return await results_replies(engine, loaded, chat, t, closing=False, private=True)

    await to_organizer(ctx, f"{RESULTS_LINK}{loaded.row.slug}", privately)


async def consultation_view(ctx: Context, slug: str, request: ViewRequest) -> None:
    """A filtered view or a cross-tabulation, for the consultation's organizers, in private; a read before
    the close is audited as any read of its results."""
    t = ctx.t
    engine = ctx.engine
    if not slug or slug.lstrip("#").removeprefix("n°").isdigit():
        ctx.say(
            t._("Only a consultation's results can be filtered or crossed: /results ID --where or --cross.")
        )
        return
    loaded = await engine.consultations.find(slug)
    if loaded is None:
        ctx.say(t._("There is no consultation “{slug}”. /consultations lists them.", slug=slug[:40]))
        return
    if not await authority.may_manage(ctx, loaded.row.community_id, loaded.row.created_by):
        ctx.say(t._("Filtered views and cross-tabulations of a consultation are for its organizers."))
        return
    try:
        view = views.check(loaded.definition, request, t)
    except ViewError as error:
        ctx.say(error.message)
        return

    async def privately(chat: ChatRef) -> list[Reply]:
        return [Send(to=chat, body=await views.read_view(engine, loaded, view, t, actor=ctx.identity))]

    await to_organizer(
        ctx, views.link(loaded.row.slug, view) or f"{RESULTS_LINK}{loaded.row.slug}", privately
    )


async def from_view_link(ctx: Context, payload: str) -> None:
    """`/start v_<request>`: the invitation of a view asked for in a group, opened in private."""
    request = views.from_link(payload)
    if request is None or "--" not in request:
        ctx.say(ctx.t._("This link does not work any more: ask again with /results."))
        return
    await handle(ctx, request)


async def to_organizer(
    ctx: Context, payload: str, replies: Callable[[ChatRef], Awaitable[list[Reply]]]
) -> None:
    """Results the chat must not see: in private as they are; asked in a group, sent to the organizer's
    private chat with one short line in the group, or, when the bot may not write there first, an
    invitation whose button opens the private chat and shows them there (`/start r_…`)."""
    t = ctx.t
    if ctx.chat.is_private:
        ctx.replies.extend(await replies(ctx.chat))
    elif await ctx.can_write_privately():
        ctx.say(t._("These results go only to organizers: I sent them to you in a private chat."))
        ctx.replies.extend(await replies(ctx.private_chat))
    else:
        ctx.invite_to_private(
            t._("These results go only to organizers: open the private chat to see them."), payload
        )


def posted_lately(ctx: Context, subject: str) -> bool:
    """In a community, whether these results were posted there less than an hour ago: then say when, in
    one line, instead of posting them again (and record a posting otherwise). Private chats: never."""
    if ctx.chat.is_private:
        return False
    engine = ctx.engine
    now = engine.clock.now()
    earlier = engine.reposts.earlier(ctx.chat.key, subject, now)
    if earlier is None:
        engine.reposts.record(ctx.chat.key, subject, now)
        return False
    at, message = earlier
    when = format_time(at, tz=engine.community_timezone(ctx.chat.key), language=ctx.t.language)
    text = ctx.t._("These results were posted here at {time}, just above.", time=when)
    ctx.replies.append(Send(to=ctx.chat, body=doc(text), reply_to=message))
    return True
