"""/poll_delete N: an organizer deletes a poll, after one tap on a confirmation button.

Its ballots are erased and its key destroyed, and every card of it is edited to say it was deleted, with no
button left (storage/poll_changes.py says what is kept, and why: a tombstone with its number and where its
cards are). A vote button pressed afterwards, `/results N` and `/close N` say it was deleted.

The confirmation is a capability: its buttons are signed for the organizer whose command passed the
authority check (bot/authority.py), for CONFIRM_WINDOW. A tap cannot be checked the way a command is — a
platform does not say, for a tap, whether the person administers the group (Telegram's taps carry nothing of
the kind) — so the tap is accepted from that organizer alone, and only for a few minutes.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.context import Context
from bot.formatting import Rich, b, doc, i, p
from bot.i18n import translator
from bot.inbound import ButtonPress, MessageRef
from bot.outbox.codec import reply_from_json, reply_to_json
from bot.polls.card import deleted_notice
from bot.polls.edit import poll_number
from bot.replies import Edit, Keyboard, Reply, Send
from storage import poll_changes
from storage import polls as poll_store
from storage import residents as resident_store
from storage.poll_changes import Deleted
from storage.tables import OutboxMessage

BUTTON = "pd"  # pd.<poll>.<resident who asked>.<minute asked>.<y|n>
CONFIRM_WINDOW = timedelta(minutes=10)


def _minute(ctx: Context) -> int:
    return int(ctx.engine.clock.now().timestamp() // 60)


async def handle(ctx: Context, args: str) -> None:
    t = ctx.t
    engine = ctx.engine
    number = args.strip()
    if not poll_number(number):
        ctx.say(t._("Give the number of the poll to delete, for example /poll_delete 3."))
        return
    poll = await engine.polls.resolve(ctx, number)
    if poll is None:
        return
    voters = (await poll_store.tally(engine.db, poll)).voters
    asked = (poll.id, await engine.resident_id(ctx.event), _minute(ctx))
    buttons: Keyboard = (
        (
            ctx.button(t._("Delete poll no. {id}", id=poll.id), BUTTON, *asked, "y"),
            ctx.button(t._("Keep it"), BUTTON, *asked, "n"),
        ),
    )
    ctx.say(
        doc(
            p(b(t._("Delete poll no. {id}?", id=poll.id)), " ", poll.question),
            p(
                t.n_(
                    "{count} resident has voted: their vote is erased for good.",
                    "{count} residents have voted: their votes are erased for good.",
                    voters,
                )
                if voters
                else t._("Nobody has voted yet.")
            ),
            p(i(t._("Its cards will say that its organizers deleted it. This cannot be undone."))),
        ),
        buttons,
    )


async def on_button(ctx: Context, fields: list[str]) -> None:
    """`pd.<poll>.<resident>.<minute>.<y|n>`: the answer to the confirmation."""
    t = ctx.t
    if len(fields) != 4 or not all(f.isdigit() for f in fields[:3]) or fields[3] not in ("y", "n"):
        ctx.notice(t._("This button is not valid (any more)."), alert=True)
        return
    poll_id, asker, minute = (int(f) for f in fields[:3])
    sender = ctx.event.sender
    resident = await resident_store.find_resident(ctx.engine.db, sender.platform, sender.user_id)
    if resident is None or resident.id != asker:
        ctx.notice(t._("Only the organizer who asked can answer this."), alert=True)
        return
    if fields[3] == "n":
        ctx.notice(t._("Kept."))
        _answer(ctx, doc(t._("Poll no. {id} is kept.", id=poll_id)))
        return
    if _minute(ctx) - minute > CONFIRM_WINDOW.total_seconds() // 60:
        ctx.notice(
            t._("This confirmation has expired: send /poll_delete {id} again.", id=poll_id), alert=True
        )
        return
    outcome = await delete(ctx, poll_id)
    if isinstance(outcome, Deleted):
        ctx.notice(t._("Deleted."))
        _answer(ctx, doc(t._("Poll no. {id} is deleted.", id=poll_id)))
    else:
        ctx.notice(t._("Poll no. {id} no longer exists: its organizers deleted it.", id=poll_id), alert=True)
        _answer(ctx, doc(t._("Poll no. {id} no longer exists: its organizers deleted it.", id=poll_id)))


def _answer(ctx: Context, body: Rich) -> None:
    """The confirmation becomes what was decided, without its buttons."""
    event = ctx.event
    if isinstance(event, ButtonPress) and event.message is not None:
        ctx.replies.append(Edit(target=event.message, body=body))


async def delete(ctx: Context, poll_id: int) -> Deleted | poll_changes.Refusal:
    """Delete the poll; its cards, and the closing announcements it posted, say so where they are."""
    engine = ctx.engine
    poll = await poll_store.get_poll(engine.db, poll_id)
    t = translator(poll.language if poll is not None else engine.settings.default_language)

    def tombstone(row: OutboxMessage) -> dict[str, Any]:
        announcement = reply_from_json(json.loads(row.payload))
        assert isinstance(announcement, Send)  # (a poll's announcements are messages)
        return reply_to_json(Send(to=announcement.to, body=deleted_notice(poll_id, t)))

    outcome = await poll_changes.delete_poll(
        engine.db, poll_id, tombstone=tombstone, actor=ctx.identity, now=engine.clock.now()
    )
    engine.polls.forget(poll_id)
    if not isinstance(outcome, Deleted):
        return outcome
    engine.schedule_changed()  # its closing and its reminders are no more
    edits: list[Reply] = list(await engine.polls.card_edits(poll_id))
    for row in outcome.rewritten:
        announcement = reply_from_json(json.loads(row.payload))
        if isinstance(announcement, Send) and row.message_id is not None:
            edits.append(Edit(target=MessageRef(announcement.to, row.message_id), body=announcement.body))
    ctx.replies.extend(edits)
    return outcome
