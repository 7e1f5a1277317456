"""Proposal behaviour: submitting, moderating and answering (decisions that send messages, through the
outbox in their own transaction), one-tap supports and follows, and the card's live edits.

The card is posted through the outbox once the proposal is published, so a restart between the decision and
the post loses nothing; the dispatcher records the platform's id of the card, which its live edits use
(supports are coalesced into edits the way poll votes are: `Refresh("proposal:<id>")`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import authority
from bot.context import Context
from bot.inbound import MessageRef
from bot.proposals import notices
from bot.proposals.spec import defaults
from bot.proposals.statuses import label
from bot.replies import Edit, Refresh, Reply
from storage import proposal_supports as support_store
from storage import proposals as store
from storage.proposal_supports import Tapped
from storage.tables import Proposal, ProposalStep

if TYPE_CHECKING:
    from bot.engine import Engine


def track_key(proposal_id: int) -> str:
    return f"proposal:{proposal_id}"


async def card_edits(engine: Engine, proposal_id: int) -> list[Reply]:
    message_id = await store.card_message(engine.db, proposal_id)
    if message_id is None:
        return []
    async with engine.db.read() as session:
        card = await notices.card_of(engine, session, proposal_id)
    if card is None:
        return []
    body, buttons, chat = card
    return [Edit(target=MessageRef(chat, message_id), body=body, buttons=buttons)]


def _decided(engine: Engine) -> None:
    engine.outbox_changed()
    engine.schedule_changed()


# -- submitting ---------------------------------------------------------------------------------------------


async def submit(ctx: Context, draft: store.Draft, *, moderated: bool) -> Proposal | None:
    """Store the proposal (None when its author reached the weekly limit): published at once or waiting for
    moderation, the organizers told or the card queued."""
    engine = ctx.engine
    proposal = await store.submit(
        engine.db,
        draft,
        moderated=moderated,
        weekly_limit=engine.settings.proposal_weekly_limit,
        now=engine.clock.now(),
        build=notices.submitted(engine),
    )
    if proposal is not None:
        _decided(engine)
    return proposal


# -- organizers' decisions -----------------------------------------------------------------------------------


async def may_manage(ctx: Context, proposal: Proposal) -> bool:
    """Global admins and administrators of the proposal's community."""
    return await authority.may_manage(ctx, proposal.community_id)


async def decide(
    ctx: Context, proposal_id: int, decision: store.Decision, build: store.Build
) -> tuple[Proposal, ProposalStep] | None:
    """Apply an organizer's decision once; the card, if it has one, is edited at once."""
    engine = ctx.engine
    decided = await store.decide(
        engine.db,
        proposal_id,
        decision,
        actor_id=await engine.resident_id(ctx.event),
        actor=ctx.identity,
        now=engine.clock.now(),
        build=build,
    )
    if decided is not None:
        _decided(engine)
        ctx.replies.append(Refresh(key=track_key(proposal_id)))
    return decided


async def answer(
    ctx: Context, proposal_id: int, status: str, text: str
) -> tuple[Proposal, ProposalStep] | None:
    """An official answer: a dated step, the card edited, the community and everyone concerned told."""
    message_id = await store.card_message(ctx.engine.db, proposal_id)
    decision = store.Decision(store.PUBLISHED, status, text)
    return await decide(ctx, proposal_id, decision, notices.answered(ctx.engine, message_id))


# -- residents' taps -----------------------------------------------------------------------------------------


async def _on_its_card(ctx: Context, proposal_id: int) -> bool:
    """Whether the button was pressed in the proposal's community (else the resident is told why not)."""
    view = await store.view(ctx.engine.db, proposal_id)
    if view is None:
        ctx.notice(ctx.t._("This proposal no longer exists."), alert=True)
        return False
    if (view.platform, view.chat_id) != (ctx.chat.platform, ctx.chat.chat_id):
        ctx.notice(ctx.t._("This proposal belongs to another conversation."), alert=True)
        return False
    return True


def _closed(ctx: Context, tap: support_store.Tap) -> str:
    t = ctx.t
    if tap.outcome is Tapped.GONE:
        return t._("This proposal no longer exists.")
    return t._("This proposal is {status}: it takes no more supports.", status=label(tap.status or "", t))


def supporter(ctx: Context) -> support_store.Supporter:
    sender = ctx.event.sender
    return support_store.Supporter(sender.platform, sender.user_id, sender.display_name)


async def support(ctx: Context, proposal_id: int) -> None:
    t = ctx.t
    engine = ctx.engine
    tap = await support_store.support(
        engine.db,
        proposal_id,
        supporter(ctx),
        chat=(ctx.chat.platform, ctx.chat.chat_id),
        now=engine.clock.now(),
        defaults=defaults(engine.settings),
        reached=notices.reached(engine),
    )
    if tap.outcome is Tapped.ELSEWHERE:
        ctx.notice(t._("This proposal belongs to another conversation."), alert=True)
        return
    if tap.outcome in (Tapped.CLOSED, Tapped.GONE):
        ctx.notice(_closed(ctx, tap), alert=True)
        return
    if tap.reached:
        _decided(engine)
    if tap.outcome is Tapped.WITHDRAWN:
        ctx.notice(t._("Your support is withdrawn."))
    elif tap.outcome is Tapped.KEPT:
        ctx.notice(t._("Your support is recorded (tap again in a moment to withdraw it)."))
    else:
        ctx.notice(t._("Your support is recorded. Tap again to withdraw it."))
    ctx.replies.append(Refresh(key=track_key(proposal_id)))


async def follow(ctx: Context, proposal_id: int) -> None:
    t = ctx.t
    engine = ctx.engine
    if not await _on_its_card(ctx, proposal_id):
        return
    tap = await support_store.follow(
        engine.db, proposal_id, await engine.resident_id(ctx.event), now=engine.clock.now()
    )
    if tap.outcome in (Tapped.CLOSED, Tapped.GONE):
        ctx.notice(_closed(ctx, tap), alert=True)
    elif tap.outcome is Tapped.WITHDRAWN:
        ctx.notice(t._("You no longer follow this proposal."))
    elif await ctx.can_write_privately():
        ctx.notice(t._("You follow this proposal: I will tell you in private of each of its steps."))
    else:
        ctx.notice(
            t._("You follow this proposal. Write to me in private once, so that I can tell you of its steps.")
        )
