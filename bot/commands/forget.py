"""/forget: erase a resident. Profile and settings deleted, votes in open polls withdrawn, votes in closed
polls kept in the counts but linked to nobody."""

from __future__ import annotations

from bot.context import Context
from bot.formatting import b, doc, p
from bot.replies import Refresh
from storage import consultations as consultation_store
from storage import meetings as meeting_store
from storage import polls as poll_store
from storage import residents as resident_store
from storage.ballots import public_choices_of, public_voter, unlink_resident, voter_key, withdraw_voter
from storage.state import clear_conversation


async def handle(ctx: Context, args: str) -> None:
    t = ctx.t
    if not ctx.chat.is_private:
        ctx.invite_to_private(t._("To erase your data, talk to me in a private chat."), "forget")
        return
    ctx.say(
        doc(
            p(b(t._("Erase everything civicbot stores about you?"))),
            p(
                t._(
                    "Your profile and settings are deleted and your votes in open polls are withdrawn. "
                    "Your votes in closed polls stay in the counts, linked to nobody."
                )
            ),
        ),
        ((ctx.button(t._("Yes, erase my data"), "x", "yes"), ctx.button(t._("No"), "x", "no")),),
    )


async def on_button(ctx: Context, fields: list[str]) -> None:
    t = ctx.t
    if fields != ["yes"]:
        ctx.notice(t._("Nothing was erased."))
        return
    withdrawn = await erase(ctx)
    ctx.notice(t._("Your data is erased."))
    ctx.say(
        t.n_(
            "Done: your profile is erased and {count} vote in open polls was withdrawn.",
            "Done: your profile is erased and {count} votes in open polls were withdrawn.",
            withdrawn,
        )
    )


async def erase(ctx: Context) -> int:
    engine = ctx.engine
    sender = ctx.event.sender
    affected: set[int] = set()
    withdrawn = 0
    for poll_id, key in (await poll_store.open_anonymous_keys(engine.db)).items():
        count = await withdraw_voter(engine.db, poll_id, voter_key(key, ctx.identity))
        if count:
            affected.add(poll_id)
            withdrawn += 1
    resident = await resident_store.find_resident(engine.db, sender.platform, sender.user_id)
    if resident is not None and resident.id is not None:
        closed: list[int] = []
        for poll_id in await public_choices_of(engine.db, resident.id):
            poll = await poll_store.get_poll(engine.db, poll_id)
            if poll is not None and poll.is_open:
                await withdraw_voter(engine.db, poll_id, public_voter(resident.id))
                affected.add(poll_id)
                withdrawn += 1
            else:
                closed.append(poll_id)
        await unlink_resident(engine.db, resident.id, closed)
        await resident_store.delete_resident(engine.db, resident.id)
    await clear_conversation(engine.db, sender.platform, sender.user_id)
    for draft in await consultation_store.drafts_of(engine.db, sender.platform, sender.user_id):
        await consultation_store.delete_draft(
            engine.db, draft.consultation_id, sender.platform, sender.user_id
        )
    meetings = await meeting_store.forget_rsvps(engine.db, sender.platform, sender.user_id)
    engine.forget_cached(ctx.identity)
    ctx.replies.extend(Refresh(key=f"poll:{poll_id}") for poll_id in sorted(affected))
    ctx.replies.extend(Refresh(key=f"meeting:{meeting_id}") for meeting_id in meetings)
    return withdrawn
