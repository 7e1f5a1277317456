"""What polls store about a person, in /mydata and /forget (bot/feature.py `PersonalData`): their votes,
the closing announcements of public polls that list their name, the polls they created."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import Context
from bot.feature import Erasure, PersonalData, Place, Shown
from bot.inbound import MessageRef
from bot.outbox.codec import reply_from_json
from bot.outbox.summary import state, summary
from bot.replies import Edit, Reply, Send
from storage import polls_personal_data
from storage.erasure import Account


async def shown(ctx: Context, account: Account) -> Sequence[Shown]:
    t = ctx.t
    async with ctx.engine.db.read() as session:
        data = await polls_personal_data.gather(ctx.engine.db, session, account)
    votes = [
        await _describe(ctx, poll_id, chosen, t._("anonymous, open"))
        for poll_id, chosen in sorted(data.anonymous_votes.items())
    ]
    votes.extend(
        [
            await _describe(ctx, poll_id, chosen, t._("public"))
            for poll_id, chosen in sorted(data.public_votes.items())
        ]
    )
    return (
        Shown(Place.VOTES, t._("Your votes"), votes),
        Shown(
            Place.ANNOUNCEMENTS,
            t._("Announcements that list your name"),
            [f"{summary(row)} ({state(t, row)})" for row in data.naming],
        ),
        Shown(
            Place.CREATED,
            t._("What you created"),
            [t._("Poll no. {id}: {title}", id=str(pid), title=question) for pid, question in data.created],
        ),
    )


async def erase(ctx: Context, session: AsyncSession, account: Account) -> Erasure:
    """Votes in open polls withdrawn, in closed ones linked to nobody; announcements rewritten without their
    name (edited where they were posted); created polls without author."""
    engine = ctx.engine
    erased = await polls_personal_data.erase(engine.db, session, account, engine.polls.announcements)
    edits: list[Reply] = []
    for row in erased.rewritten:
        announcement = reply_from_json(json.loads(row.payload))
        if isinstance(announcement, Send) and row.message_id is not None:
            target = MessageRef(announcement.to, row.message_id)
            edits.append(Edit(target=target, body=announcement.body, buttons=announcement.buttons))

    def forget_authors() -> None:
        for poll_id in erased.created:
            engine.polls.forget(poll_id)  # its cached author

    told = [  # (nothing to say when no vote was withdrawn: "0 votes were withdrawn" reads as a fault)
        ctx.t.n_(
            "{count} vote in open polls was withdrawn.",
            "{count} votes in open polls were withdrawn.",
            erased.withdrawn,
        )
    ]
    return Erasure(
        refresh=[f"poll:{poll_id}" for poll_id in erased.polls],
        edits=edits,
        told=told if erased.withdrawn else [],
        then=forget_authors,
    )


async def _describe(ctx: Context, poll_id: int, chosen: list[int], kind: str) -> str:
    poll = await ctx.engine.polls.info(poll_id)
    if poll is None:
        return f"n° {poll_id}"
    labels = ", ".join(poll.options[n] for n in chosen if n < len(poll.options))
    return f"n° {poll.id} — {poll.question} → {labels} ({kind})"


PERSONAL_DATA = PersonalData(shown=shown, erase=erase)
