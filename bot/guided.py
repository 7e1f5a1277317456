"""What every guided flow in a private chat does the same way: remember the step, ask for typed text,
update its panel in place, and let an organizer pick among the communities they may post to."""

from __future__ import annotations

from typing import Any

from bot import authority
from bot.context import Context
from bot.formatting import Rich, b, doc, i, p
from bot.inbound import ButtonPress
from bot.replies import AskInput, Edit, InputKind, Keyboard, Send
from storage import residents as resident_store
from storage.state import clear_conversation, load_conversation, save_conversation
from storage.tables import Community


async def save_step(ctx: Context, flow: str, state: dict[str, Any]) -> None:
    """Where the resident is, saved after every step: the flow resumes after a restart."""
    ctx.engine.registry.require_flow(flow)  # a step no feature could resume is a mistake
    sender = ctx.event.sender
    await save_conversation(
        ctx.engine.db, sender.platform, sender.user_id, flow, state, ctx.engine.clock.now()
    )


def ask_text(
    ctx: Context,
    prompt: str,
    label: str,
    *,
    action: str,
    max_length: int,
    hint: str = "",
    multiline: bool = False,
) -> None:
    ctx.replies.append(
        AskInput(
            to=ctx.private_chat,
            prompt=doc(p(b(prompt)), p(i(hint)) if hint else None),
            field_label=label,
            action=action,
            kind=InputKind.TEXT,
            max_length=max_length,
            multiline=multiline,
        )
    )


def show_panel(ctx: Context, body: Rich, keyboard: Keyboard) -> None:
    """Update the panel in place when a button of it was pressed, else post it."""
    event = ctx.event
    if isinstance(event, ButtonPress) and event.message is not None:
        ctx.replies.append(Edit(target=event.message, body=body, buttons=keyboard))
    else:
        ctx.replies.append(Send(to=ctx.private_chat, body=body, buttons=keyboard))


async def allowed_communities(ctx: Context) -> list[Community]:
    """Where this organizer may post: the one rule of bot/authority.py (global admins anywhere the bot is)."""
    scope = await authority.organizer_scope(ctx)
    if scope.everywhere:
        return await resident_store.all_communities(ctx.engine.db)
    return list(scope.communities)


def community_label(community: Community, titles: list[str]) -> str:
    """The community's title, with its platform only when two communities share a title."""
    title = community.title or community.chat_id
    return title if titles.count(title) == 1 else f"{title} ({community.platform})"


def mark(selected: bool, label: str) -> str:
    """A button's label, ticked when it is the current choice."""
    return f"✓ {label}" if selected else label


async def show_community_picker(
    ctx: Context,
    flow: str,
    state: dict[str, Any],
    *,
    step: str,
    button: tuple[str, ...],
    heading: str,
    hint: str,
    summary: list[Any],
    several: bool = False,
) -> None:
    """The last step of a guided flow: one button per community this organizer may post in (20 at most),
    `button` + ("t", community id) each. One community: a tap publishes. Several (`several`): a tap ticks or
    unticks one (the flow keeps them in `state["targets"]`), then `button` + ("go",) publishes. Cancel is
    `button` + ("x",). Nowhere to post ends the flow, saying why."""
    t = ctx.t
    communities = await allowed_communities(ctx)
    if not communities:
        await no_community(ctx)
        return
    state["step"] = step
    targets = set(state.setdefault("targets", [])) if several else set()
    await save_step(ctx, flow, state)
    titles = [c.title or c.chat_id for c in communities]
    rows: list[tuple[Any, ...]] = [
        (ctx.button(mark(c.id in targets, community_label(c, titles)), *button, "t", c.id or 0),)
        for c in communities[:20]
    ]
    cancel_button = ctx.button(t._("Cancel"), *button, "x")
    rows.append((ctx.button(t._("Publish"), *button, "go"), cancel_button) if several else (cancel_button,))
    show_panel(ctx, doc(p(b(heading)), *summary, p(hint)), tuple(rows))


async def chosen_community(ctx: Context, community_id: int) -> Community | None:
    """The community tapped in the picker, if this organizer may post there (else they are told so)."""
    community = next((c for c in await allowed_communities(ctx) if c.id == community_id), None)
    if community is None:
        ctx.notice(ctx.t._("You cannot post in this community."), alert=True)
    return community


async def no_community(ctx: Context) -> None:
    """End the flow: there is nowhere this organizer may post yet, and say how to fix that."""
    await clear_conversation(ctx.engine.db, ctx.event.sender.platform, ctx.event.sender.user_id)
    ctx.say(
        ctx.t._(
            "I know no community where you are an organizer yet. Add me to your group, send any command "
            "there (for example /help), then try again."
        )
    )


async def current_state(ctx: Context, flow: str, command: str) -> dict[str, Any] | None:
    """The saved step of `flow` for the person pressing a button, or None once they have been told that
    this step is over (a button of a finished or cancelled flow)."""
    sender = ctx.event.sender
    saved = await load_conversation(ctx.engine.db, sender.platform, sender.user_id)
    if saved is None or saved[0] != flow:
        ctx.notice(ctx.t._("This step is over. Send /{command} to start again.", command=command), alert=True)
        return None
    return saved[1]


async def cancel(ctx: Context) -> None:
    await clear_conversation(ctx.engine.db, ctx.event.sender.platform, ctx.event.sender.user_id)
    ctx.notice(ctx.t._("Cancelled."))
    ctx.say(ctx.t._("Cancelled. Nothing was published."))
