"""/proposal N (`/proposition`): a proposal and its whole dated history; /proposals [status] [date]
(`/propositions`): a community's published proposals by supports (or newest first), ten a page, with the
answers overdue flagged for its organizers.

A resident reads the proposals of the communities they belong to (bot/authority.py's reader scope), and
their own wherever they stand; a proposal not published is shown to its author and organizers only. Anything
else answers exactly as a number that does not exist."""

from __future__ import annotations

from typing import Any

from bot import authority
from bot.context import Context
from bot.dates import format_day
from bot.formatting import b, doc, i, p, ul
from bot.guided import show_panel
from bot.i18n import Translator
from bot.inbound import ButtonPress
from bot.proposals import notices, service
from bot.proposals.statuses import WORDS, answer_named, label
from bot.replies import Keyboard
from storage import proposal_supports as support_store
from storage import proposals as store
from storage import residents as resident_store
from storage.tables import Proposal, ProposalStep

PAGE = 10
FILTERS = ("all", store.OPEN, *WORDS)  # what a list shows, by its position in a page button
ORDERS = (store.BY_SUPPORTS, store.BY_DATE)


def step_line(step: ProposalStep, t: Translator, zone: str) -> str:
    when = format_day(step.at, tz=zone, language=t.language)
    names = {store.PENDING: t._("submitted"), store.OPEN: t._("published")}
    what = names.get(step.status) or label(step.status, t)
    return f"{when} — " + (t._("{what}: {text}", what=what, text=step.text) if step.text else what)


async def _readable(ctx: Context, proposal: Proposal) -> bool:
    """Its author and organizers see it wherever it stands; once published, whoever belongs to its
    community, supports or follows it."""
    resident_id = await ctx.engine.resident_id(ctx.event)
    if proposal.author_id == resident_id or await service.may_manage(ctx, proposal):
        return True
    if proposal.status not in store.PUBLISHED:
        return False
    if (await authority.reader_scope(ctx)).covers(proposal.community_id):
        return True
    return await support_store.involved(ctx.engine.db, proposal.id or 0, resident_id)


async def proposal(ctx: Context, args: str) -> None:
    t = ctx.t
    number = args.strip().lstrip("#").removeprefix("n°").strip()
    if not number.isdigit() or len(number) > 12:
        ctx.say(t._("Give a proposal number, for example /proposal 3. All of them: /proposals."))
        return
    found = await store.get(ctx.engine.db, int(number))
    if found is None or not await _readable(ctx, found):
        ctx.say(t._("There is no proposal no. {id}.", id=number))
        return
    async with ctx.engine.db.read() as session:
        card = await notices.card_of(ctx.engine, session, found.id or 0)
        zone = await notices.zone_of(ctx.engine, session, found)
    assert card is not None
    steps = await store.history(ctx.engine.db, found.id or 0)
    ctx.say(card[0] + doc(p(b(t._("History"))), ul(*(step_line(s, t, zone) for s in steps))))


# -- the list ------------------------------------------------------------------------------------------------


async def proposals(ctx: Context, args: str) -> None:
    t = ctx.t
    words = args.strip().lower()
    order = store.BY_SUPPORTS
    for word in ("date", "recent", "récentes", "recentes", "récent"):
        if words.endswith(word):
            order, words = store.BY_DATE, words.removesuffix(word).strip()
    shown = (
        "all"
        if not words
        else store.OPEN
        if words in ("open", "ouvertes", "ouverte")
        else answer_named(words)
    )
    if shown is None:
        ctx.say(
            t._(
                "“{word}” is not a status. Write for example /proposals, /proposals accepted or "
                "/proposals date.",
                word=args.strip()[:40],
            )
        )
        return
    await show_page(ctx, 0, FILTERS.index(shown), ORDERS.index(order))


async def _communities(ctx: Context) -> list[int] | None:
    """Whose proposals this person lists: in a community, its own; in private, those they belong to or
    administer (every one for a global admin); None when they have none."""
    engine = ctx.engine
    if not ctx.chat.is_private:
        here = await resident_store.find_community(engine.db, ctx.chat.platform, ctx.chat.chat_id)
        return [here.id] if here is not None and here.id is not None else None
    managed = await authority.organizer_scope(ctx)
    if managed.everywhere:
        return [c.id for c in await resident_store.all_communities(engine.db) if c.id is not None] or None
    readers = await authority.reader_scope(ctx)
    return sorted(readers.ids | managed.ids) or None


async def show_page(ctx: Context, page: int, shown: int, order: int) -> None:
    t = ctx.t
    communities = await _communities(ctx)
    if communities is None:
        ctx.say(t._("I do not know your community yet: send /proposals in its group."))
        return
    statuses = store.PUBLISHED if FILTERS[shown] == "all" else (FILTERS[shown],)
    rows, total = await store.listed(
        ctx.engine.db, communities, statuses, order=ORDERS[order], offset=page * PAGE, limit=PAGE
    )
    if not rows:
        ctx.say(t._("No proposal to list here yet. Send /propose to write the first one."))
        return
    managed = await authority.organizer_scope(ctx)
    lines = [_line(ctx, found, count, managed.covers(found.community_id)) for found, count in rows]
    title = (
        t._("Proposals, by supports")
        if ORDERS[order] == store.BY_SUPPORTS
        else t._("Proposals, newest first")
    )
    body = doc(
        p(b(title)),
        ul(*lines),
        p(
            i(
                t._(
                    "Page {page} of {pages} · details: /proposal NUMBER",
                    page=page + 1,
                    pages=-(-total // PAGE),
                )
            )
        ),
    )
    keyboard = _pages(ctx, page, total, shown, order)
    if isinstance(ctx.event, ButtonPress):
        show_panel(ctx, body, keyboard)
    else:
        ctx.say(body, keyboard)


def _line(ctx: Context, found: Proposal, count: int, organizer: bool) -> list[Any]:
    t = ctx.t
    line: list[Any] = [
        t._("no. {id}", id=found.id),
        f" — {found.title} — ",
        t.n_("{count} support", "{count} supports", count),
        f" — {label(found.status, t)}",
    ]
    due = found.answer_due_at
    if organizer and found.status == store.OPEN and due is not None:
        when = format_day(due, tz=ctx.engine.settings.timezone, language=t.language)
        late = due <= ctx.engine.clock.now()
        line.append(" ")
        line.append(
            b(t._("⚠ answer overdue since {date}", date=when))
            if late
            else t._("(answer due by {date})", date=when)
        )
    return line


def _pages(ctx: Context, page: int, total: int, shown: int, order: int) -> Keyboard:
    t = ctx.t
    buttons = []
    if page > 0:
        buttons.append(ctx.button(t._("Previous page"), "pr", "l", page - 1, shown, order))
    if (page + 1) * PAGE < total:
        buttons.append(ctx.button(t._("Next page"), "pr", "l", page + 1, shown, order))
    return (tuple(buttons),) if buttons else ()


async def on_button(ctx: Context, fields: list[str]) -> None:
    """`pr.l.<page>.<filter>.<order>`: another page of the list."""
    if len(fields) != 3 or not all(f.isdigit() and len(f) < 6 for f in fields):
        ctx.notice(ctx.t._("This button is not valid (any more)."), alert=True)
        return
    page, shown, order = (int(f) for f in fields)
    if shown >= len(FILTERS) or order >= len(ORDERS):
        ctx.notice(ctx.t._("This button is not valid (any more)."), alert=True)
        return
    await show_page(ctx, page, shown, order)
