"""/mydata: everything civicbot stores about the caller, shown to them in private."""

from __future__ import annotations

import json

from bot.context import Context
from bot.formatting import b, doc, i, p, ul
from storage import audit
from storage import consultations as consultation_store
from storage import meetings as meeting_store
from storage import polls as poll_store
from storage import residents as resident_store
from storage.ballots import choices_of, public_choices_of, voter_key
from storage.state import load_conversation


async def handle(ctx: Context, args: str) -> None:
    t = ctx.t
    if not ctx.chat.is_private:
        ctx.invite_to_private(t._("Your data is shown only in a private chat with me."), "mydata")
        return
    engine = ctx.engine
    sender = ctx.event.sender
    blocks = [p(b(t._("What civicbot stores about you")))]
    resident = await resident_store.find_resident(engine.db, sender.platform, sender.user_id)
    if resident is None or resident.id is None:
        blocks.append(p(t._("No profile.")))
    else:
        profile = [
            t._("Name: {name}", name=resident.display_name),
            t._("Account: {identity}", identity=ctx.identity),
            t._("Language: {language}", language=resident.language or t._("not chosen")),
            t._("First contact: {date}", date=resident.created_at.date().isoformat()),
        ]
        blocks.append(p(b(t._("Profile"))))
        blocks.append(ul(*profile))
        communities = await resident_store.communities_administered(engine.db, resident.id)
        if communities:
            blocks.append(p(b(t._("Communities where your platform reported you as an administrator"))))
            blocks.append(ul(*(c.title or c.chat_id for c in communities)))
    votes: list[str] = []
    for poll_id, key in (await poll_store.open_anonymous_keys(engine.db)).items():
        chosen = await choices_of(engine.db, poll_id, voter_key(key, ctx.identity))
        if chosen:
            votes.append(await _describe(ctx, poll_id, chosen, t._("anonymous, open")))
    if resident is not None and resident.id is not None:
        for poll_id, chosen in (await public_choices_of(engine.db, resident.id)).items():
            votes.append(await _describe(ctx, poll_id, chosen, t._("public")))
    blocks.append(p(b(t._("Your votes"))))
    blocks.append(ul(*votes) if votes else p(t._("No votes.")))
    if resident is not None and resident.id is not None:
        created = await poll_store.polls_created_by(engine.db, resident.id)
        if created:
            blocks.append(p(b(t._("Polls you created"))))
            blocks.append(ul(*(f"n° {pid} — {question}" for pid, question in created)))
    answers = await meeting_store.rsvps_of(engine.db, sender.platform, sender.user_id)
    if answers:
        names = {"yes": t._("I'm coming"), "maybe": t._("Maybe"), "no": t._("Not coming")}
        blocks.append(p(b(t._("Your answers to events"))))
        blocks.append(ul(*(f"{meeting.title} → {names.get(answer, answer)}" for meeting, answer in answers)))
    drafts = await consultation_store.drafts_of(engine.db, sender.platform, sender.user_id)
    if drafts:
        blocks.append(p(b(t._("Consultations you started answering"))))
        items = []
        for draft in drafts:
            loaded = await engine.consultations.get(draft.consultation_id)
            if loaded is not None:
                given = len(json.loads(draft.answers))
                progress = t.n_("{count} answer given", "{count} answers given", given)
                items.append(f"{loaded.row.title} — {progress}")
        blocks.append(ul(*items))
    actions = await audit.entries(engine.db, actor=ctx.identity)
    if actions:
        blocks.append(p(b(t._("Your organizer actions in the audit log"))))
        blocks.append(
            ul(
                *(
                    f"{a.at:%Y-%m-%d %H:%M} UTC — {a.action} {a.object_type} {a.object_id}"
                    for a in actions[-20:]
                )
            )
        )
    if await load_conversation(engine.db, sender.platform, sender.user_id):
        blocks.append(p(t._("A step-by-step flow in progress (send /cancel to drop it).")))
    blocks.append(
        p(
            i(
                t._(
                    "Votes in closed anonymous polls are no longer linked to you, not even for us: they are "
                    "not listed here. /forget erases your data."
                )
            )
        )
    )
    ctx.say(doc(*blocks))


async def _describe(ctx: Context, poll_id: int, chosen: list[int], kind: str) -> str:
    poll = await ctx.engine.polls.info(poll_id)
    if poll is None:
        return f"n° {poll_id}"
    labels = ", ".join(poll.options[n] for n in chosen if n < len(poll.options))
    return f"n° {poll.id} — {poll.question} → {labels} ({kind})"
