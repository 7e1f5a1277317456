"""/propose, in a private chat: the title, the description, the community it is for (when the resident
belongs to several where proposals are open), then whether their name is shown. Each step is saved, so the
flow survives a restart; nothing is stored as a proposal until the last tap, and a refused text (empty, too
long) is asked again with the reason.

The same flow, started from the author's « Edit my proposal » button, rewrites a proposal the organizers
sent back, which then waits for their approval again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.context import Context
from bot.formatting import Rich, b, doc, i, p, ul
from bot.guided import ask_text, cancel, community_label, current_state, save_step, show_panel
from bot.i18n import Translator
from bot.proposals import notices, service
from bot.proposals.similar import alike
from bot.proposals.spec import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    ProposalError,
    check_description,
    check_title,
    defaults,
)
from bot.replies import Refresh
from storage import proposal_supports as support_store
from storage import proposals as store
from storage import residents as resident_store
from storage.proposal_supports import Tapped
from storage.state import clear_conversation
from storage.tables import Community, Proposal

FLOW = "proposal"
WEEK = timedelta(days=7)


async def _save(ctx: Context, state: dict[str, Any]) -> None:
    await save_step(ctx, FLOW, state)


def _ask(ctx: Context, prompt: str, label: str, *, max_length: int, hint: str) -> None:
    ask_text(ctx, prompt, label, action=ctx.engine.signer.sign("pr", "q"), max_length=max_length, hint=hint)


async def open_communities(ctx: Context) -> tuple[list[Community], bool]:
    """The resident's communities where proposals are open, and whether they belong to any at all."""
    engine = ctx.engine
    resident_id = await engine.resident_id(ctx.event)
    joined = await resident_store.communities_joined(engine.db, resident_id)
    rules = defaults(engine.settings)
    open_ones = [c for c in joined if (await store.rules(engine.db, c.id or 0, rules)).enabled]
    return open_ones, bool(joined)


async def _over_the_limit(ctx: Context) -> bool:
    """Tell the resident when they sent their weekly number of proposals already."""
    engine = ctx.engine
    t = ctx.t
    limit = engine.settings.proposal_weekly_limit
    now = engine.clock.now()
    if await store.submitted_since(engine.db, await engine.resident_id(ctx.event), now - WEEK) < limit:
        return False
    ctx.say(
        t.n_(
            "You already sent {count} proposal in the last seven days, the most one resident may send. "
            "Try again in a few days.",
            "You already sent {count} proposals in the last seven days, the most one resident may send. "
            "Try again in a few days.",
            limit,
        )
    )
    return True


async def begin(ctx: Context) -> None:
    t = ctx.t
    communities, known = await open_communities(ctx)
    if not communities:
        ctx.say(
            t._("Proposals are not open in your communities.")
            if known
            else t._(
                "I do not know your community yet: send /propose in its group, then continue here in private."
            )
        )
        return
    if await _over_the_limit(ctx):
        return
    await _save(ctx, {"step": "title"})
    _ask_title(ctx)


def _ask_title(ctx: Context, intro: str = "") -> None:
    t = ctx.t
    _ask(
        ctx,
        intro + t._("Step 1 of 2 — What do you propose? Say it in a few words: this is its title."),
        t._("Title"),
        max_length=MAX_TITLE,
        hint=t._("{limit} characters at most. /cancel stops at any time.", limit=MAX_TITLE),
    )


async def begin_edit(ctx: Context, proposal_id: int) -> None:
    """The author's « Edit my proposal »: write it again, then it waits for the organizers again."""
    t = ctx.t
    proposal = await store.get(ctx.engine.db, proposal_id)
    mine = proposal is not None and proposal.author_id == await ctx.engine.resident_id(ctx.event)
    if proposal is None or not mine or proposal.status != store.CHANGES:
        ctx.notice(t._("This proposal is not waiting for your changes (any more)."), alert=True)
        return
    await _save(ctx, {"step": "title", "edit": proposal_id})
    ctx.say(doc(p(b(t._("Your proposal as it reads now:"))), p(b(proposal.title)), p(proposal.description)))
    _ask_title(ctx)


async def on_text(ctx: Context, state: dict[str, Any], text: str) -> None:
    t = ctx.t
    step = state.get("step")
    try:
        if step == "title":
            state["title"] = check_title(text, t)
            state["step"] = "description"
            await _save(ctx, state)
            _ask(
                ctx,
                t._("Step 2 of 2 — Describe your idea: what, where, and why it would help."),
                t._("Description"),
                max_length=MAX_DESCRIPTION,
                hint=t._("{limit} characters at most.", limit=MAX_DESCRIPTION),
            )
        elif step == "description":
            state["description"] = check_description(text, t)
            await _after_description(ctx, state)
        else:
            ctx.say(t._("Use the buttons above, or /cancel to stop."))
    except ProposalError as error:
        ctx.say(doc(p(str(error)), p(i(t._("Please send your answer again.")))))


async def _after_description(ctx: Context, state: dict[str, Any]) -> None:
    t = ctx.t
    if "edit" in state:
        await clear_conversation(ctx.engine.db, ctx.event.sender.platform, ctx.event.sender.user_id)
        resubmitted = await store.resubmit(
            ctx.engine.db,
            int(state["edit"]),
            author_id=await ctx.engine.resident_id(ctx.event),
            title=state["title"],
            description=state["description"],
            now=ctx.engine.clock.now(),
        )
        ctx.say(
            t._("Your proposal no. {id} is sent to the organizers again.", id=state["edit"])
            if resubmitted is not None
            else t._("This proposal is not waiting for your changes (any more).")
        )
        return
    communities, _ = await open_communities(ctx)
    if len(communities) == 1:
        state["community"] = communities[0].id
        await _confirm(ctx, state, communities[0])
        return
    state["step"] = "community"
    await _save(ctx, state)
    titles = [c.title or c.chat_id for c in communities]
    rows = tuple(
        (ctx.button(community_label(c, titles), "pr", "g", "t", c.id or 0),) for c in communities[:20]
    )
    show_panel(
        ctx,
        doc(p(b(t._("Which community is it for?"))), *_summary(state)),
        (*rows, (ctx.button(t._("Cancel"), "pr", "g", "x"),)),
    )


def _summary(state: dict[str, Any]) -> list[Any]:
    return [p(b(state["title"])), p(state["description"])]


async def _confirm(ctx: Context, state: dict[str, Any], community: Community) -> None:
    """The last step: the community's proposals that look alike, each to support instead, then sending it
    with the resident's name shown, or as « a resident »."""
    t = ctx.t
    state["step"] = "name"
    await _save(ctx, state)
    name = ctx.event.sender.display_name or t._("my name")
    where = community.title or community.chat_id
    body = doc(
        p(b(t._("Ready to send to {community}. Should your name appear?", community=where))), *_summary(state)
    )
    rows: list[tuple[Any, ...]] = []
    candidates, _ = await store.listed(
        ctx.engine.db, [community.id or 0], store.SUPPORTABLE, order=store.BY_SUPPORTS, offset=0, limit=500
    )
    found = alike(state["title"], candidates)
    if found:
        body += doc(
            p(
                b(
                    t._(
                        "Proposals of {community} that look alike: you may support one instead.",
                        community=where,
                    )
                )
            ),
            ul(*(_alike_line(t, proposal, supports) for proposal, supports in found)),
        )
        rows.extend(
            (ctx.button(t._("Support no. {id} instead", id=proposal.id), "pr", "g", "u", proposal.id or 0),)
            for proposal, _ in found
        )
    body += doc(p(i(_moderation_hint(ctx, await _rules(ctx, community)))))
    rows.append((ctx.button(t._("Send, signed {name}", name=name[:40]), "pr", "g", "n", 1),))
    rows.append((ctx.button(t._("Send, signed “a resident”"), "pr", "g", "n", 0),))
    rows.append((ctx.button(t._("Cancel"), "pr", "g", "x"),))
    show_panel(ctx, body, tuple(rows))


def _alike_line(t: Translator, proposal: Proposal, supports: int) -> str:
    count = t.n_("{count} support", "{count} supports", supports)
    return t._("no. {id}", id=proposal.id) + f" — {proposal.title} — {count}"


async def _support_instead(ctx: Context, state: dict[str, Any], proposal_id: int) -> None:
    """The resident supports a proposal that looks like theirs; theirs is not sent."""
    t = ctx.t
    engine = ctx.engine
    proposal = await store.get(engine.db, proposal_id)
    if proposal is None or proposal.community_id != state.get("community"):
        ctx.notice(t._("This button is not valid (any more)."), alert=True)
        return
    tap = await support_store.support(
        engine.db,
        proposal_id,
        service.supporter(ctx),
        chat=None,
        now=engine.clock.now(),
        defaults=defaults(engine.settings),
        reached=notices.reached(engine),
    )
    if tap.outcome in (Tapped.CLOSED, Tapped.GONE):
        ctx.notice(t._("This proposal no longer takes supports: send yours, or cancel."), alert=True)
        return
    await clear_conversation(engine.db, ctx.event.sender.platform, ctx.event.sender.user_id)
    if tap.reached:
        engine.outbox_changed()
        engine.schedule_changed()
    ctx.replies.append(Refresh(key=service.track_key(proposal_id)))
    ctx.notice(t._("Support recorded."))
    said = t._(
        "You support proposal no. {id}: {title}. Yours is not sent.", id=proposal_id, title=proposal.title
    )
    show_panel(ctx, doc(p(b(said))), ())


async def _rules(ctx: Context, community: Community) -> store.Rules:
    return await store.rules(ctx.engine.db, community.id or 0, defaults(ctx.engine.settings))


def _moderation_hint(ctx: Context, rules: store.Rules) -> str:
    t = ctx.t
    if rules.moderation:
        return t._("The organizers read it before it is published; I will tell you here.")
    return t._("It is published in the community at once.")


async def on_button(ctx: Context, fields: list[str]) -> None:
    t = ctx.t
    state = await current_state(ctx, FLOW, "proposer" if t.language == "fr" else "propose")
    if state is None:
        return
    action = fields[0] if fields else ""
    step = state.get("step")
    if action == "x":
        await cancel(ctx)
    elif action == "t" and step == "community" and len(fields) == 2 and fields[1].isdigit():
        community = await _chosen(ctx, int(fields[1]))
        if community is not None:
            state["community"] = community.id
            await _confirm(ctx, state, community)
    elif action == "u" and step == "name" and len(fields) == 2 and fields[1].isdigit():
        await _support_instead(ctx, state, int(fields[1]))
    elif action == "n" and step == "name" and fields[1:] in (["0"], ["1"]):
        await _send(ctx, state, show_name=fields[1] == "1")
    else:
        ctx.notice(t._("This step is over. Send /propose to start again."), alert=True)


async def _chosen(ctx: Context, community_id: int) -> Community | None:
    communities, _ = await open_communities(ctx)
    community = next((c for c in communities if c.id == community_id), None)
    if community is None:
        ctx.notice(ctx.t._("Proposals are not open in this community."), alert=True)
    return community


async def _send(ctx: Context, state: dict[str, Any], *, show_name: bool) -> None:
    t = ctx.t
    engine = ctx.engine
    community = await _chosen(ctx, int(state.get("community", 0)))
    if community is None:
        return
    rules = await _rules(ctx, community)
    draft = store.Draft(
        community_id=community.id or 0,
        author_id=await engine.resident_id(ctx.event),
        show_name=show_name,
        title=state["title"],
        description=state["description"],
        language=community.language or engine.settings.default_language,
    )
    proposal = await service.submit(ctx, draft, moderated=rules.moderation)
    await clear_conversation(engine.db, ctx.event.sender.platform, ctx.event.sender.user_id)
    if proposal is None:
        ctx.notice(t._("Not sent: you reached the weekly limit."), alert=True)
        await _over_the_limit(ctx)
        return
    where = community.title or community.chat_id
    ctx.notice(t._("Sent."))
    show_panel(ctx, _sent(ctx, proposal.id or 0, where, rules), ())


def _sent(ctx: Context, proposal_id: int, where: str, rules: store.Rules) -> Rich:
    t = ctx.t
    if rules.moderation:
        head = t._(
            "Your proposal no. {id} is sent to the organizers of {community}. I will tell you here when "
            "they have read it.",
            id=proposal_id,
            community=where,
        )
    else:
        head = t._("Your proposal no. {id} is published in {community}.", id=proposal_id, community=where)
    return doc(p(b(head)), p(i(t._("/proposal {id} shows where it stands.", id=proposal_id))))
