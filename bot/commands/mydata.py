"""/mydata: everything civicbot stores that names the caller, shown to them in private: each feature shows
what it stores (its personal-data hooks, bot/feature.py), in the order of `Place`; this feature shows the
resident's own rows (profile, communities, messages to them, organizer actions, a flow in progress)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.context import Context
from bot.dates import format_day, format_when
from bot.feature import N_, Place, Shown
from bot.formatting import Block, Piece, b, doc, i, p, ul
from bot.outbox.summary import state, summary
from storage import personal_data
from storage.erasure import Account

# how /mydata words the organizer actions of the audit log (one it does not know reads as stored)
ACTIONS = {
    "poll.create": N_("created poll no. {id}"),
    "poll.close": N_("closed poll no. {id}"),
    "event.create": N_("announced event no. {id}"),
    "event.edit": N_("changed event no. {id}"),
    "event.cancel": N_("cancelled event no. {id}"),
    "consultation.import": N_("imported the consultation {id}"),
    "consultation.launch": N_("launched a consultation (no. {id})"),
    "consultation.close": N_("closed a consultation (no. {id})"),
    "consultation.results.read": N_("read the results of a consultation before its close (no. {id})"),
    "consultation.export": N_("exported the results of a consultation (no. {id})"),
    "community.update": N_("changed the settings of a community (no. {id})"),
}


def account(ctx: Context) -> Account:
    sender = ctx.event.sender
    return Account(sender.platform, sender.user_id, ctx.private_chat.key)


async def handle(ctx: Context, args: str) -> None:
    t = ctx.t
    if not ctx.chat.is_private:
        ctx.invite_to_private(t._("Your data is shown only in a private chat with me."), "mydata")
        return
    who = account(ctx)
    parts = [part for hooks in ctx.engine.registry.personal_data for part in await hooks.shown(ctx, who)]
    listed = _blocks(sorted(parts, key=lambda part: part.place))  # (a stable sort: the features' order)
    blocks: list[Block] = [p(b(t._("What civicbot stores about you")))]
    blocks.extend(listed or [p(t._("Nothing is stored about you."))])
    blocks.append(
        p(
            i(
                t._(
                    "Votes in closed anonymous polls and answers to anonymous consultations are not linked "
                    "to you, not even for us: they cannot be listed here. /forget erases your data."
                )
            )
        )
    )
    ctx.say(doc(*blocks))


def _blocks(parts: Iterable[Shown]) -> list[Block]:
    """The parts as /mydata shows them: adjacent parts under the same heading listed as one."""
    merged: list[tuple[str, list[Iterable[Piece] | Piece], list[Block]]] = []
    for part in parts:
        if merged and part.heading and merged[-1][0] == part.heading and not merged[-1][2]:
            merged[-1][1].extend(part.items)
            merged[-1][2].extend(part.blocks)
        else:
            merged.append((part.heading, list(part.items), list(part.blocks)))
    blocks: list[Block] = []
    for heading, items, paragraphs in merged:
        if items:
            blocks.extend((p(b(heading)), ul(*items)))
        blocks.extend(paragraphs)
    return blocks


async def shown(ctx: Context, who: Account) -> Sequence[Shown]:
    """The resident's own rows."""
    t = ctx.t
    async with ctx.engine.db.read() as session:
        data = await personal_data.gather(session, who)
    parts: list[Shown] = []
    resident = data.resident
    if resident is not None:
        reminders = (
            t._("Private reminders: off") if resident.reminders_muted else t._("Private reminders: on")
        )
        profile = [
            t._("Name: {name}", name=resident.display_name),
            t._("Account: {identity}", identity=ctx.identity),
            t._("Language: {language}", language=resident.language or t._("not chosen")),
            reminders,
            t._(
                "First contact: {date}",
                date=format_day(resident.created_at, tz=ctx.engine.settings.timezone, language=t.language),
            ),
        ]
        parts.append(Shown(Place.PROFILE, t._("Profile"), profile))
    parts.append(
        Shown(
            Place.COMMUNITIES,
            t._("Communities where your platform reported you as an administrator"),
            [c.title or c.chat_id for c in data.administers],
        )
    )
    parts.append(
        Shown(
            Place.COMMUNITIES,
            t._("Communities where you have written"),
            [c.title or c.chat_id for c in data.member_of],
        )
    )
    parts.append(
        Shown(
            Place.MESSAGES,
            t._("Messages to you in our records (reminders, notifications)"),
            [f"{when(ctx, row.created_at)} — {state(t, row)} — {summary(row)}" for row in data.messages],
        )
    )
    title = t._("Your organizer actions in the audit log")
    if data.audit_total > len(data.audit):
        title += " " + t._("(the latest {shown} of {count})", shown=len(data.audit), count=data.audit_total)
    parts.append(
        Shown(
            Place.AUDIT,
            title,
            [
                f"{when(ctx, a.at)} — {action_text(a.action, a.object_type, a.object_id, ctx)}"
                for a in data.audit
            ],
        )
    )
    if data.flow:
        flow = p(t._("A step-by-step flow in progress (send /cancel to drop it)."))
        parts.append(Shown(Place.FLOW, blocks=(flow,)))
    return parts


def when(ctx: Context, instant: datetime) -> str:
    """An instant in words, in the bot's time zone (the year when it is not this one)."""
    engine = ctx.engine
    return format_when(instant, tz=engine.settings.timezone, language=ctx.t.language, now=engine.clock.now())


def action_text(action: str, object_type: str, object_id: str, ctx: Context) -> str:
    wording = ACTIONS.get(action)
    return f"{action} {object_type} {object_id}" if wording is None else ctx.t._(wording, id=object_id)
