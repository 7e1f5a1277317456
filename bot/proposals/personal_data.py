"""What proposals store about a person, in /mydata and /forget (bot/feature.py `PersonalData`): the
proposals they wrote, those they support and follow. /forget withdraws supports and follows and keeps their
proposals without their name: the text stays in the community's debate, nothing links it to them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import Context
from bot.feature import Erasure, PersonalData, Place, Shown
from bot.i18n import Translator
from bot.proposals.statuses import label
from storage import proposals_personal_data
from storage.erasure import Account
from storage.tables import Proposal


def _line(proposal: Proposal, t: Translator) -> str:
    return t._(
        "Proposal no. {id}: {title} ({status})",
        id=proposal.id,
        title=proposal.title,
        status=label(proposal.status, t),
    )


async def shown(ctx: Context, account: Account) -> Sequence[Shown]:
    t = ctx.t
    async with ctx.engine.db.read() as session:
        data = await proposals_personal_data.gather(session, account)
    return (
        Shown(Place.CREATED, t._("What you created"), [_line(p, t) for p in data.written]),
        Shown(Place.OTHER, t._("Proposals you support"), [_line(p, t) for p in data.supported]),
        Shown(Place.OTHER, t._("Proposals you follow"), [_line(p, t) for p in data.followed]),
    )


async def erase(ctx: Context, session: AsyncSession, account: Account) -> Erasure:
    """Supports and follows withdrawn (the cards' counts refreshed), their proposals without their name."""
    t = ctx.t
    erased = await proposals_personal_data.erase(session, account)
    told = []
    if erased.supports or erased.follows:
        told.append(t._("Your supports and follows of proposals are withdrawn."))
    if erased.written:
        told.append(t._("Your proposals stay, without your name."))
    return Erasure(refresh=[f"proposal:{i}" for i in erased.changed], told=told)


PERSONAL_DATA = PersonalData(shown=shown, erase=erase)
