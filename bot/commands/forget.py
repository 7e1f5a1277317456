"""/forget: erase or anonymize everything that names the resident, in one transaction (what becomes of each
kind of row: storage.personal_data, and the README's "Personal data"). Afterwards only what they do next is
stored again."""

from __future__ import annotations

import json

from bot.commands.mydata import account
from bot.context import Context
from bot.events import MessageRef
from bot.formatting import b, doc, p
from bot.outbox.codec import reply_from_json
from bot.replies import Edit, Refresh, Send
from storage import personal_data


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
    erased = await erase(ctx)
    ctx.notice(t._("Your data is erased."))
    lines = [
        t.n_(
            "Done: your profile is erased and {count} vote in open polls was withdrawn.",
            "Done: your profile is erased and {count} votes in open polls were withdrawn.",
            erased.withdrawn,
        )
    ]
    if erased.answers_withdrawn:
        lines.append(
            t.n_(
                "Your answers to {count} open consultation were withdrawn.",
                "Your answers to {count} open consultations were withdrawn.",
                erased.answers_withdrawn,
            )
        )
    lines.append(t._("Nothing about you is stored any more, until you use civicbot again."))
    ctx.say(doc(*(p(line) for line in lines)))


async def erase(ctx: Context) -> personal_data.Erased:
    """Erase the sender's data, then show others what changed: poll cards without their vote or name,
    event counts without their answer, posted results announcements without their name."""
    engine = ctx.engine
    erased = await personal_data.erase(
        engine.db,
        account(ctx),
        key=engine.erasure_key,
        announcements=engine.polls.announcements,
        also=[hooks.erase for hooks in engine.registry.personal_data],  # the features' own data
    )
    engine.forget_cached(ctx.identity)
    for poll_id in erased.created_polls:
        engine.polls.forget(poll_id)  # its cached author
    ctx.replies.extend(Refresh(key=f"poll:{poll_id}") for poll_id in erased.polls)
    ctx.replies.extend(Refresh(key=f"meeting:{meeting_id}") for meeting_id in erased.meetings)
    for row in erased.rewritten:
        announcement = reply_from_json(json.loads(row.payload))
        if isinstance(announcement, Send) and row.message_id is not None:
            target = MessageRef(announcement.to, row.message_id)
            ctx.replies.append(Edit(target=target, body=announcement.body, buttons=announcement.buttons))
    return erased
