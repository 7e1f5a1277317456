"""/consultations: organizers see every consultation of their communities, with its state and its number of
submissions; a resident sees, in private, those open to them, with their deadline, where they stand, and a
button to answer each (`cg.<consultation>`, the same start as /consult)."""

from __future__ import annotations

from bot import authority
from bot.consultations import flow
from bot.consultations.service import State
from bot.context import Context
from bot.dates import format_when
from bot.formatting import Piece, b, code, doc, i, p, ul
from bot.replies import Button
from storage import consultations as store
from storage.erasure import participation_pseudonym
from storage.tables import Consultation

LIST_LINK = "consultations"  # `/start consultations`: a resident's list, asked for in a group
BUTTON = "cg"
LABEL_TITLE = 40  # characters of the title on a button


async def list_all(ctx: Context, args: str) -> None:
    if await authority.is_organizer(ctx):
        await _for_organizers(ctx)
    elif not ctx.chat.is_private:  # where they stand is nobody else's business
        ctx.invite_to_private(
            ctx.t._(
                "The consultations open to you are listed in a private chat, each with a button to answer."
            ),
            LIST_LINK,
        )
    else:
        await _for_residents(ctx)


async def _for_organizers(ctx: Context) -> None:
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
    consultations = ctx.engine.consultations
    items: list[list[Piece]] = [
        [code(row.slug), " — ", consultations.definition_of(row).title.get(t.language), " — ",
         names[consultations.state(row)], " — ", t.n_("{count} submission", "{count} submissions", count)]
        for row, count in rows
    ]  # fmt: skip
    ctx.say(doc(p(b(t._("Consultations"))), ul(*items)))


async def _for_residents(ctx: Context) -> None:
    """The open consultations launched in the resident's communities, and any they started or answered."""
    t = ctx.t
    engine = ctx.engine
    readers = await authority.reader_scope(ctx)
    items: list[list[Piece]] = []
    keyboard: list[tuple[Button, ...]] = []
    for row, launches in await store.open_launched(engine.db):
        if engine.consultations.state(row) is not State.OPEN:
            continue
        ours = any(readers.covers_chat(launch.platform, launch.chat_id) for launch in launches)
        involved, status, button = await _where_they_stand(ctx, row)
        if not (ours or involved):
            continue  # another community's consultation, which they never started
        when = format_when(row.closes_at, tz=row.timezone, language=t.language, now=engine.clock.now())
        title = engine.consultations.definition_of(row).title.get(t.language)
        items.append([b(title), " — ", t._("until {when}", when=when), " — ", status])
        if button is not None:
            keyboard.append((button,))
    if not items:
        ctx.say(
            t._(
                "No consultation is open to you right now. When your community launches one, its invitation "
                "has a button to take part."
            )
        )
        return
    ctx.say(
        doc(p(b(t._("Consultations open to you"))), ul(*items), p(i(t._("Tap a button to answer.")))),
        tuple(keyboard),
    )


async def _where_they_stand(ctx: Context, row: Consultation) -> tuple[bool, str, Button | None]:
    """Whether the resident started or answered this consultation, said in words, and the button that takes
    them on from there."""
    t = ctx.t
    engine = ctx.engine
    sender = ctx.event.sender
    cid = row.id or 0
    title = engine.consultations.definition_of(row).title.get(t.language)
    short = title if len(title) <= LABEL_TITLE else title[: LABEL_TITLE - 1] + "…"
    if await store.load_draft(engine.db, cid, sender.platform, sender.user_id) is not None:
        return (
            True,
            t._("answers in progress"),
            ctx.button(t._("Continue: {title}", title=short), BUTTON, cid),
        )
    erased_as = participation_pseudonym(engine.erasure_key, cid, ctx.identity)
    if await store.has_participated(engine.db, cid, sender.platform, sender.user_id, erased_as=erased_as):
        if row.anonymous:
            return True, t._("you took part (the button under your confirmation changes your answers)"), None
        return True, t._("you took part"), ctx.button(t._("Change: {title}", title=short), BUTTON, cid)
    return False, t._("not answered yet"), ctx.button(t._("Answer: {title}", title=short), BUTTON, cid)


async def on_button(ctx: Context, fields: list[str]) -> None:
    """`cg.<consultation>`: answer (or continue, or change) from the list, as /consult does."""
    t = ctx.t
    if len(fields) != 1 or not fields[0].isdigit() or not ctx.chat.is_private:
        ctx.notice(t._("This button is not valid (any more)."), alert=True)
        return
    loaded = await ctx.engine.consultations.get(int(fields[0]))
    if loaded is None:
        ctx.notice(t._("This consultation no longer exists."), alert=True)
        return
    await flow.start(ctx, loaded)


async def from_link(ctx: Context, _rest: str) -> None:
    """`/start consultations`: the list asked for in a group, in private."""
    await list_all(ctx, "")
