"""/moderation, in private: the proposals waiting in the organizer's communities, oldest first, one panel
each — approve (the card is posted), reject with a reason from a short list or typed, or ask the author for
changes (typed). The author is told in private through the outbox; every button checks again that the
proposal is one this organizer may moderate and that nobody decided it in the meantime."""

from __future__ import annotations

from typing import Any

from bot import authority
from bot.context import Context
from bot.formatting import b, doc, i, p
from bot.guided import ask_text, save_step, show_panel
from bot.i18n import Translator, translator
from bot.proposals import notices, service
from bot.proposals.card import author_line
from bot.proposals.spec import MAX_REASON, ProposalError, check_reason
from storage import proposals as store
from storage.state import clear_conversation
from storage.tables import Proposal

FLOW = "proposal-moderation"


def reasons(t: Translator) -> dict[str, str]:
    """The usual reasons for not publishing, by their button code."""
    return {
        "s": t._("It is outside what the town can act on."),
        "d": t._("A similar proposal already exists."),
        "r": t._("It goes against the community's rules."),
    }


async def _waiting(ctx: Context) -> list[Proposal]:
    scope = await authority.organizer_scope(ctx)
    return await store.waiting(ctx.engine.db, None if scope.everywhere else scope.ids)


async def handle(ctx: Context, args: str) -> None:
    if not ctx.chat.is_private:
        ctx.invite_to_private(ctx.t._("Proposals are moderated in a private chat with me."), "moderation")
        return
    await show(ctx, 0)


async def show(ctx: Context, index: int) -> None:
    """The waiting proposal at `index` (the first when past the end), or that none is waiting."""
    t = ctx.t
    waiting = await _waiting(ctx)
    if not waiting:
        show_panel(ctx, doc(p(t._("No proposal is waiting for moderation."))), ())
        return
    index = index if 0 <= index < len(waiting) else 0
    proposal = waiting[index]
    view = await store.view(ctx.engine.db, proposal.id or 0)
    assert view is not None
    pid = proposal.id or 0
    rows: list[tuple[Any, ...]] = [
        (ctx.button(t._("Approve and publish"), "pr", "m", "a", pid),),
        (
            ctx.button(t._("Reject"), "pr", "m", "r", pid),
            ctx.button(t._("Ask for changes"), "pr", "m", "e", pid),
        ),
    ]
    if len(waiting) > 1:
        rows.append((ctx.button(t._("Next"), "pr", "m", "n", index + 1),))
    body = doc(
        p(b(t._("Moderation: {position} of {count}", position=index + 1, count=len(waiting)))),
        p(t._("In {community} · {author}", community=view.community_title, author=author_line(view, t))),
        p(b(proposal.title)),
        p(proposal.description),
    )
    show_panel(ctx, body, tuple(rows))


async def _moderated(ctx: Context, proposal_id: int) -> Proposal | None:
    """The proposal a button is about, if it still waits and this organizer may moderate it."""
    proposal = await store.get(ctx.engine.db, proposal_id)
    if proposal is None or not await service.may_manage(ctx, proposal):
        ctx.notice(ctx.t._("You cannot moderate this proposal."), alert=True)
        return None
    if proposal.status != store.PENDING:
        ctx.notice(ctx.t._("This proposal was already moderated."), alert=True)
        await show(ctx, 0)
        return None
    return proposal


async def decide(ctx: Context, proposal: Proposal, status: str, text: str = "") -> None:
    t = ctx.t
    decision = store.Decision((store.PENDING,), status, text)
    decided = await service.decide(ctx, proposal.id or 0, decision, notices.moderated(ctx.engine))
    if decided is None:
        ctx.notice(t._("This proposal was already moderated."), alert=True)
    elif status == store.OPEN:
        ctx.notice(t._("Approved and published."))
    elif status == store.REJECTED:
        ctx.notice(t._("Rejected: its author is told why."))
    else:
        ctx.notice(t._("Sent back to its author."))


async def on_button(ctx: Context, fields: list[str]) -> None:
    """`a` approve, `r` the reasons, `c` a reason from the list, `w` a typed reason, `e` ask for changes,
    `n` the next proposal; each with the proposal's number (`n` with a position)."""
    t = ctx.t
    action, rest = (fields[0], fields[1:]) if fields else ("", [])
    if action == "n" and len(rest) == 1 and rest[0].isdigit():
        await show(ctx, int(rest[0]))
        return
    if not rest or not rest[0].isdigit() or len(rest) > 2:
        ctx.notice(t._("This button is not valid (any more)."), alert=True)
        return
    proposal = await _moderated(ctx, int(rest[0]))
    if proposal is None:
        return
    pid = proposal.id or 0
    if action == "a":
        await decide(ctx, proposal, store.OPEN)
        await show(ctx, 0)
    elif action == "r":
        choices = [(ctx.button(text, "pr", "m", "c", pid, code),) for code, text in reasons(t).items()]
        choices.append((ctx.button(t._("Another reason (write it)"), "pr", "m", "w", pid),))
        choices.append((ctx.button(t._("Back"), "pr", "m", "n", 0),))
        show_panel(ctx, doc(p(b(t._("Why is it not published?"))), p(b(proposal.title))), tuple(choices))
    elif action == "c" and len(rest) == 2 and rest[1] in reasons(t):
        await decide(ctx, proposal, store.REJECTED, reasons(translator(proposal.language))[rest[1]])
        await show(ctx, 0)
    elif action in ("w", "e"):
        await _ask_text(ctx, proposal, store.REJECTED if action == "w" else store.CHANGES)
    else:
        ctx.notice(t._("This button is not valid (any more)."), alert=True)


async def _ask_text(ctx: Context, proposal: Proposal, status: str) -> None:
    t = ctx.t
    await save_step(ctx, FLOW, {"id": proposal.id, "status": status})
    prompt = (
        t._("Why is “{title}” not published? Its author reads your answer.", title=proposal.title)
        if status == store.REJECTED
        else t._("What should the author change in “{title}”?", title=proposal.title)
    )
    ask_text(
        ctx,
        prompt,
        t._("Reason") if status == store.REJECTED else t._("Changes"),
        action=ctx.engine.signer.sign("pr", "q"),
        max_length=MAX_REASON,
        hint=t._("/cancel stops without deciding."),
    )


async def on_text(ctx: Context, state: dict[str, Any], text: str) -> None:
    """The typed reason, or the changes asked: the decision is taken now."""
    t = ctx.t
    try:
        reason = check_reason(text, t)
    except ProposalError as error:
        ctx.say(doc(p(str(error)), p(i(t._("Please send your answer again.")))))
        return
    sender = ctx.event.sender
    await clear_conversation(ctx.engine.db, sender.platform, sender.user_id)
    status = state.get("status")
    proposal = await store.get(ctx.engine.db, int(state.get("id") or 0))
    if (
        status not in (store.REJECTED, store.CHANGES)
        or proposal is None
        or not await service.may_manage(ctx, proposal)
    ):
        ctx.say(t._("You cannot moderate this proposal."))
        return
    decided = await service.decide(
        ctx, proposal.id or 0, store.Decision((store.PENDING,), status, reason), notices.moderated(ctx.engine)
    )
    if decided is None:
        ctx.say(t._("This proposal was already moderated."))
    elif status == store.REJECTED:
        ctx.say(t._("Rejected: its author is told why."))
    else:
        ctx.say(t._("Sent back to its author, with what to change."))
    await show(ctx, 0)
