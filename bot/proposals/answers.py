"""/answer N (`/repondre`), by the organizers of the proposal's community: an official status — à l'étude,
retenue, non retenue (its reason required), en cours, réalisée — with a text, as one line
(`/answer 3 retenue | Le conseil l'a votée le 12 décembre.`) or, in private, by buttons then the text.
Each answer is a dated step: the card is edited, the community told under the card, and the author,
supporters and followers in private."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.formatting import b, doc, i, p
from bot.guided import ask_text, save_step, show_panel
from bot.proposals import service
from bot.proposals.spec import MAX_REASON, ProposalError, check_reason
from bot.proposals.statuses import WORDS, answer_named, label
from storage import proposals as store
from storage.state import clear_conversation
from storage.tables import Proposal

FLOW = "proposal-answer"
CODES = tuple(WORDS)  # the official statuses, by their position in a button


def usage(ctx: Context) -> str:
    return ctx.t._(
        "Write /answer NUMBER STATUS | TEXT, the status being one of: under study, accepted, not accepted "
        "(with its reason), in progress, done. For example: /answer 3 accepted | Voted on December 12."
    )


def split(words: str) -> tuple[str | None, str]:
    """The status the line starts with and the text after it (`|` between them is optional)."""
    head, bar, tail = words.partition("|")
    if bar:
        return answer_named(head), tail.strip()
    parts = words.split()
    for size in range(min(3, len(parts)), 0, -1):
        status = answer_named(" ".join(parts[:size]))
        if status is not None:
            return status, " ".join(parts[size:])
    return None, words


async def _answerable(ctx: Context, proposal_id: int) -> Proposal | None:
    """The proposal, if this organizer may answer it and it is published (else they are told why)."""
    t = ctx.t
    proposal = await store.get(ctx.engine.db, proposal_id)
    if proposal is None or not await service.may_manage(ctx, proposal):
        ctx.refuse(t._("There is no proposal no. {id} in your communities.", id=proposal_id))
        return None
    if proposal.status not in store.PUBLISHED:
        ctx.refuse(t._("Proposal no. {id} is not published: it cannot be answered.", id=proposal_id))
        return None
    return proposal


async def handle(ctx: Context, args: str) -> None:
    number, _, rest = args.strip().lstrip("#").partition(" ")
    if not number.isdigit() or len(number) > 12:
        ctx.say(usage(ctx))
        return
    proposal = await _answerable(ctx, int(number))
    if proposal is None:
        return
    if not rest.strip():
        if ctx.chat.is_private:
            _choose(ctx, proposal)
        else:
            ctx.say(usage(ctx))
        return
    status, text = split(rest)
    if status is None:
        ctx.say(usage(ctx))
        return
    await _answer(ctx, proposal, status, text)


def _choose(ctx: Context, proposal: Proposal) -> None:
    t = ctx.t
    pid = proposal.id or 0
    rows = tuple((ctx.button(label(status, t), "pr", "w", pid, n),) for n, status in enumerate(CODES))
    show_panel(
        ctx,
        doc(
            p(b(t._("Proposal no. {id}: {title}", id=pid, title=proposal.title))),
            p(t._("Its official status:")),
        ),
        rows,
    )


async def on_button(ctx: Context, fields: list[str]) -> None:
    """`pr.w.<id>.<status>`: the status chosen; the text is asked next."""
    t = ctx.t
    if len(fields) != 2 or not all(f.isdigit() for f in fields) or int(fields[1]) >= len(CODES):
        ctx.notice(t._("This button is not valid (any more)."), alert=True)
        return
    proposal = await _answerable(ctx, int(fields[0]))
    if proposal is None:
        return
    status = CODES[int(fields[1])]
    await save_step(ctx, FLOW, {"id": proposal.id, "status": status})
    hint = t._("Required: residents read why.") if status == store.DECLINED else t._("Send “-” for none.")
    ask_text(
        ctx,
        t._("“{status}”: what do you tell residents?", status=label(status, t)),
        t._("Text"),
        action=ctx.engine.signer.sign("pr", "q"),
        max_length=MAX_REASON,
        hint=hint,
    )


async def on_text(ctx: Context, state: dict[str, Any], text: str) -> None:
    sender = ctx.event.sender
    await clear_conversation(ctx.engine.db, sender.platform, sender.user_id)
    proposal = await _answerable(ctx, int(state.get("id") or 0))
    status = state.get("status")
    if proposal is not None and status in CODES:
        await _answer(ctx, proposal, status, "" if text.strip() == "-" else text)


async def _answer(ctx: Context, proposal: Proposal, status: str, text: str) -> None:
    t = ctx.t
    try:
        text = check_reason(text, t) if text.strip() or status == store.DECLINED else ""
    except ProposalError as error:
        if status == store.DECLINED:
            ctx.say(t._("A proposal not accepted needs its reason, which residents read.") + " " + usage(ctx))
        else:
            ctx.say(str(error))
        return
    decided = await service.answer(ctx, proposal.id or 0, status, text)
    if decided is None:
        ctx.say(t._("Proposal no. {id} is not published: it cannot be answered.", id=proposal.id))
        return
    ctx.say(
        doc(
            p(t._("Proposal no. {id} is now “{status}”.", id=proposal.id, status=label(status, t))),
            p(i(t._("Its card is updated; its author, supporters and followers are told."))),
        )
    )
