"""What events store about a person, in /mydata and /forget (bot/feature.py `PersonalData`): their answers
to events, the events they created."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import Context
from bot.feature import Erasure, PersonalData, Place, Shown
from storage import events_personal_data
from storage.erasure import Account


async def shown(ctx: Context, account: Account) -> Sequence[Shown]:
    t = ctx.t
    async with ctx.engine.db.read() as session:
        data = await events_personal_data.gather(session, account)
    names = {"yes": t._("I'm coming"), "maybe": t._("Maybe"), "no": t._("Not coming")}
    return (
        Shown(
            Place.EVENTS,
            t._("Your answers to events"),
            [f"{event.title} → {names.get(answer, answer)}" for event, answer in data.rsvps],
        ),
        Shown(
            Place.CREATED,
            t._("What you created"),
            [t._("Event no. {id}: {title}", id=str(mid), title=title) for mid, title in data.created],
        ),
    )


async def erase(ctx: Context, session: AsyncSession, account: Account) -> Erasure:
    """Their answers to events deleted (the events' counts refreshed), created events without author."""
    events = await events_personal_data.erase(session, account)
    return Erasure(refresh=[f"event:{event_id}" for event_id in events])


PERSONAL_DATA = PersonalData(shown=shown, erase=erase)
