"""/forget: erase or anonymize everything that names the resident, in one transaction (what becomes of each
kind of row: each feature's personal-data hook and its storage part, and the README's "Personal data").
Afterwards only what they do next is stored again."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands.mydata import account
from bot.context import Context
from bot.feature import Erasure
from bot.formatting import b, doc, p
from bot.inbound import ChatRef
from bot.replies import Forgotten, Refresh
from storage import personal_data
from storage.erasure import Account


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
                    "Your profile and settings, your answers to events, your answers in progress and the "
                    "messages waiting for you are deleted. Your votes in open polls and your answers to "
                    "open named consultations are withdrawn. Your votes in closed polls and your answers "
                    "to closed consultations stay in the results, linked to nobody."
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
    erasures = await erase(ctx)
    ctx.notice(t._("Your data is erased."))
    lines = [t._("Done: your profile is erased.")]
    lines.extend(line for erasure in erasures for line in erasure.told)
    lines.append(t._("Nothing about you is stored any more, until you use civicbot again."))
    ctx.say(doc(*(p(line) for line in lines)))
    sender = ctx.event.sender
    ctx.replies.append(Forgotten(to=ChatRef.private(sender.platform, sender.user_id)))


async def erase(ctx: Context) -> list[Erasure]:
    """Erase the sender's data, each feature its own (its personal-data hook, bot/feature.py) in one
    transaction, then show others what changed: poll cards without their vote or name, event counts without
    their answer, posted results announcements without their name."""
    who = account(ctx)
    hooks = ctx.engine.registry.personal_data

    async def erase_all(session: AsyncSession) -> tuple[list[Erasure], list[str]]:
        erasures = [erasure for h in hooks if (erasure := await h.erase(ctx, session, who)) is not None]
        return erasures, [key for erasure in erasures for key in erasure.keys]

    erasures = await personal_data.forgetting(ctx.engine.db, erase_all)
    for erasure in erasures:
        if erasure.then is not None:
            erasure.then()
    ctx.replies.extend(Refresh(key=key) for erasure in erasures for key in erasure.refresh)
    ctx.replies.extend(edit for erasure in erasures for edit in erasure.edits)
    return erasures


async def erase_resident(ctx: Context, session: AsyncSession, who: Account) -> Erasure:
    """The resident's own rows (last: the features before find the resident's id)."""
    await personal_data.erase_resident(session, who, ctx.engine.erasure_key)
    identity = who.identity

    def forget_cached() -> None:
        ctx.engine.forget_cached(identity)

    return Erasure(then=forget_cached)
