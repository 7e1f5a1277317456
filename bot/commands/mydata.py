"""/mydata: everything civicbot stores that names the caller, shown to them in private."""

from __future__ import annotations

import json
from collections.abc import Iterable

from bot.context import Context
from bot.formatting import Block, Piece, b, doc, i, p, ul
from bot.i18n import Translator
from bot.outbox.codec import reply_from_json
from storage import personal_data
from storage.outbox import DROPPED, FAILED, SENT
from storage.tables import OutboxMessage

SUMMARY_LENGTH = 80  # of a message's first line


def account(ctx: Context) -> personal_data.Account:
    sender = ctx.event.sender
    return personal_data.Account(sender.platform, sender.user_id, ctx.private_chat.key)


async def handle(ctx: Context, args: str) -> None:
    t = ctx.t
    if not ctx.chat.is_private:
        ctx.invite_to_private(t._("Your data is shown only in a private chat with me."), "mydata")
        return
    data = await personal_data.gather(ctx.engine.db, account(ctx))
    theirs = [  # what other features store, as they show it (bot/feature.py)
        block for hooks in ctx.engine.registry.personal_data for block in await hooks.shown(ctx, account(ctx))
    ]
    blocks: list[Block] = [p(b(t._("What civicbot stores about you")))]
    if data.empty and not theirs:
        blocks.append(p(t._("Nothing is stored about you.")))
    else:
        blocks.extend(_profile(ctx, data))
        blocks.extend(await _participation(ctx, data))
        blocks.extend(_messages(t, data))
        blocks.extend(_organizing(t, data))
        blocks.extend(theirs)
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


def _section(title: str, items: Iterable[Iterable[Piece] | Piece]) -> list[Block]:
    listed = list(items)
    return [p(b(title)), ul(*listed)] if listed else []


def _profile(ctx: Context, data: personal_data.PersonalData) -> list[Block]:
    t = ctx.t
    blocks: list[Block] = []
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
            t._("First contact: {date}", date=resident.created_at.date().isoformat()),
        ]
        blocks.extend(_section(t._("Profile"), profile))
    blocks.extend(
        _section(
            t._("Communities where your platform reported you as an administrator"),
            (c.title or c.chat_id for c in data.administers),
        )
    )
    blocks.extend(
        _section(t._("Communities where you have written"), (c.title or c.chat_id for c in data.member_of))
    )
    return blocks


async def _participation(ctx: Context, data: personal_data.PersonalData) -> list[Block]:
    t = ctx.t
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
    blocks = _section(t._("Your votes"), votes)
    blocks.extend(
        _section(
            t._("Consultations you took part in"),
            (
                f"{part.consultation.title} — "
                + (
                    t._(
                        "named: your answers are linked to you (/consult {id} shows them)",
                        id=part.consultation.slug,
                    )
                    if part.named
                    else t._("anonymous: only that you took part is stored, not your answers")
                )
                for part in data.took_part
            ),
        )
    )
    blocks.extend(
        _section(
            t._("Consultations you started answering"),
            (
                f"{title} — "
                + t.n_("{count} answer given", "{count} answers given", len(json.loads(draft.answers)))
                for draft, title in data.drafts
            ),
        )
    )
    names = {"yes": t._("I'm coming"), "maybe": t._("Maybe"), "no": t._("Not coming")}
    blocks.extend(
        _section(
            t._("Your answers to events"),
            (f"{meeting.title} → {names.get(answer, answer)}" for meeting, answer in data.rsvps),
        )
    )
    return blocks


def _messages(t: Translator, data: personal_data.PersonalData) -> list[Block]:
    blocks = _section(
        t._("Messages to you in our records (reminders, notifications)"),
        (
            f"{row.created_at:%Y-%m-%d %H:%M} UTC — {_state(t, row)} — {_summary(row)}"
            for row in data.messages
        ),
    )
    blocks.extend(
        _section(
            t._("Announcements that list your name"),
            (f"{_summary(row)} ({_state(t, row)})" for row in data.naming),
        )
    )
    return blocks


def _organizing(t: Translator, data: personal_data.PersonalData) -> list[Block]:
    made = {
        "poll": lambda c: t._("Poll no. {id}: {title}", id=c.ref, title=c.title),
        "consultation": lambda c: t._("Consultation {id}: {title}", id=c.ref, title=c.title),
        "meeting": lambda c: t._("Event no. {id}: {title}", id=c.ref, title=c.title),
    }
    blocks = _section(t._("What you created"), (made[c.kind](c) for c in data.created))
    title = t._("Your organizer actions in the audit log")
    if data.audit_total > len(data.audit):
        title += " " + t._("(the latest {shown} of {count})", shown=len(data.audit), count=data.audit_total)
    blocks.extend(
        _section(
            title,
            (f"{a.at:%Y-%m-%d %H:%M} UTC — {a.action} {a.object_type} {a.object_id}" for a in data.audit),
        )
    )
    if data.flow:
        blocks.append(p(t._("A step-by-step flow in progress (send /cancel to drop it).")))
    return blocks


def _state(t: Translator, row: OutboxMessage) -> str:
    if row.state == SENT:
        return t._("sent")
    if row.state == FAILED:
        return t._("not delivered")
    if row.state == DROPPED:
        return t._("not sent")
    return t._("waiting to be sent")


def _summary(row: OutboxMessage) -> str:
    """The first line of a message, as the resident would see it."""
    try:
        reply = reply_from_json(json.loads(row.payload))
    except (ValueError, KeyError, TypeError):
        return ""
    body = getattr(reply, "body", None)
    first = body.plain.strip().split("\n", 1)[0] if body is not None else ""
    return first if len(first) <= SUMMARY_LENGTH else first[: SUMMARY_LENGTH - 1] + "…"


async def _describe(ctx: Context, poll_id: int, chosen: list[int], kind: str) -> str:
    poll = await ctx.engine.polls.info(poll_id)
    if poll is None:
        return f"n° {poll_id}"
    labels = ", ".join(poll.options[n] for n in chosen if n < len(poll.options))
    return f"n° {poll.id} — {poll.question} → {labels} ({kind})"
