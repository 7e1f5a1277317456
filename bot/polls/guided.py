"""The guided /poll, in a private chat: question, options, settings, then the communities to post in.

Group chats often hide plain messages from bots, so the questions are asked in private. Each step is saved
in the database, so a resident can stop and continue later, even after a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.context import Context
from bot.dates import format_when
from bot.formatting import b, doc, i, p, ul
from bot.guided import (
    allowed_communities,
    ask_text,
    cancel,
    chosen_community,
    current_state,
    mark,
    save_step,
    show_community_picker,
    show_panel,
)
from bot.inbound import ChatRef
from bot.polls.spec import (
    MAX_OPTIONS,
    MAX_QUESTION,
    MIN_OPTIONS,
    PollSpec,
    PollSpecError,
    check_deadline,
    check_options,
    check_question,
)
from bot.replies import Keyboard
from storage.state import clear_conversation

FLOW = "poll"
NO_DEADLINE = {"none", "aucune", "aucun", "non", "no", "-", "sans"}


async def _save(ctx: Context, state: dict[str, Any]) -> None:
    await save_step(ctx, FLOW, state)


def _ask(
    ctx: Context, prompt: str, label: str, *, max_length: int, hint: str = "", multiline: bool = False
) -> None:
    action = ctx.engine.signer.sign("g", "a")
    ask_text(ctx, prompt, label, action=action, max_length=max_length, hint=hint, multiline=multiline)


async def begin(ctx: Context) -> None:
    await _save(ctx, {"step": "question"})
    t = ctx.t
    _ask(
        ctx,
        t._("Step 1 of 4 — What is your question?"),
        t._("Question"),
        max_length=300,
        hint=t._("{limit} characters at most. /cancel stops at any time.", limit=MAX_QUESTION),
    )


async def on_text(ctx: Context, state: dict[str, Any], text: str) -> None:
    t = ctx.t
    step = state.get("step")
    try:
        if step == "question":
            state["question"] = check_question(text, t)
            state["step"] = "options"
            await _save(ctx, state)
            _ask_options(
                ctx,
                t._("Step 2 of 4 — The options, one per line."),
                t._(
                    "From {minimum} to {maximum} options; you can also separate them with |.",
                    minimum=MIN_OPTIONS,
                    maximum=MAX_OPTIONS,
                ),
            )
        elif step == "options":
            parts = text.split("|") if "|" in text else text.splitlines()
            state["options"] = check_options([x for x in parts if x.strip()] if len(parts) > 1 else parts, t)
            state["step"] = "settings"
            await _save(ctx, state)
            _show_settings(ctx, state)
        elif step == "closes":
            if text.strip().lower() in NO_DEADLINE:
                state["closes_at"] = None
            else:
                timezone = ctx.engine.settings.timezone
                when = check_deadline(text.strip(), now=ctx.engine.clock.now(), timezone=timezone, t=t)
                state["closes_at"] = when.isoformat()
            state["step"] = "settings"
            await _save(ctx, state)
            _show_settings(ctx, state)
        else:
            ctx.say(t._("Use the buttons above, or /cancel to stop."))
    except PollSpecError as error:
        if step == "options":  # (options sent one message each, the trap of a chat where Enter sends)
            hint = t._(
                "Send every option in one message: one per line, or separated by | (Saturday | Sunday)."
            )
            _ask_options(ctx, str(error), hint)
        else:
            ctx.say(doc(p(str(error)), p(i(t._("Please send your answer again.")))))


def _ask_options(ctx: Context, prompt: str, hint: str) -> None:
    """Ask for the options, in one message of several lines (or separated by |, where lines are awkward)."""
    _ask(ctx, prompt, ctx.t._("Options"), max_length=1100, hint=hint, multiline=True)


def _spec(state: dict[str, Any]) -> PollSpec:
    closes = state.get("closes_at")
    return PollSpec(
        question=state["question"],
        options=list(state["options"]),
        multi=bool(state.get("multi")),
        public=bool(state.get("public")),
        hidden=bool(state.get("hidden")),
        closes_at=datetime.fromisoformat(closes) if closes else None,
        private_results=bool(state.get("private_results")),
    )


def _summary(ctx: Context, state: dict[str, Any]) -> list[Any]:
    t = ctx.t
    spec = _spec(state)
    settings = [
        t._("several choices allowed") if spec.multi else t._("one choice"),
        t._("public vote, names shown") if spec.public else t._("anonymous vote"),
        t._("results after closing") if spec.hidden else t._("live results"),
        t._("results for organizers only") if spec.private_results else t._("results for everyone"),
        t._(
            "closes {when}",
            when=format_when(spec.closes_at, tz=ctx.engine.settings.timezone, language=t.language),
        )
        if spec.closes_at
        else t._("no closing date"),
    ]
    return [p(b(spec.question)), ul(*spec.options), p(" · ".join(settings))]


def _show_settings(ctx: Context, state: dict[str, Any]) -> None:
    t = ctx.t
    multi, public, hidden = bool(state.get("multi")), bool(state.get("public")), bool(state.get("hidden"))
    private = bool(state.get("private_results"))
    keyboard: Keyboard = (
        (
            ctx.button(mark(not multi, t._("One choice")), "g", "s", "m", 0),
            ctx.button(mark(multi, t._("Several choices")), "g", "s", "m", 1),
        ),
        (
            ctx.button(mark(not public, t._("Anonymous")), "g", "s", "p", 0),
            ctx.button(mark(public, t._("Public")), "g", "s", "p", 1),
        ),
        (
            ctx.button(mark(not hidden, t._("Live results")), "g", "s", "h", 0),
            ctx.button(mark(hidden, t._("Results at closing")), "g", "s", "h", 1),
        ),
        (
            ctx.button(mark(not private, t._("Results for everyone")), "g", "s", "r", 0),
            ctx.button(mark(private, t._("For organizers only")), "g", "s", "r", 1),
        ),
        (ctx.button(t._("Closing date…"), "g", "c"),),
        (ctx.button(t._("Continue →"), "g", "n"), ctx.button(t._("Cancel"), "g", "x")),
    )
    body = doc(p(b(t._("Step 3 of 4 — Settings"))), *_summary(ctx, state))
    show_panel(ctx, body, keyboard)


async def choose_communities(ctx: Context, spec: PollSpec) -> None:
    """Entry from `/poll Question | A | B` typed in private: everything is known but where to post."""
    state = {
        "question": spec.question,
        "options": spec.options,
        "multi": spec.multi,
        "public": spec.public,
        "hidden": spec.hidden,
        "private_results": spec.private_results,
        "closes_at": spec.closes_at.isoformat() if spec.closes_at else None,
    }
    await _show_communities(ctx, state)


async def _show_communities(ctx: Context, state: dict[str, Any]) -> None:
    t = ctx.t
    await show_community_picker(
        ctx,
        FLOW,
        state,
        step="communities",
        button=("g",),
        heading=t._("Step 4 of 4 — Where should I post it?"),
        hint=t._("Tap the communities, then Publish."),
        summary=_summary(ctx, state),
        several=True,
    )


async def on_button(ctx: Context, fields: list[str]) -> None:
    t = ctx.t
    state = await current_state(ctx, FLOW, "poll")
    if state is None:
        return
    step = state.get("step")
    action = fields[0] if fields else ""
    if action == "x":
        await cancel(ctx)
    elif (
        action == "s"
        and step == "settings"
        and len(fields) == 3
        and fields[1] in ("m", "p", "h", "r")
        and fields[2] in ("0", "1")
    ):
        setting = {"m": "multi", "p": "public", "h": "hidden", "r": "private_results"}[fields[1]]
        state[setting] = fields[2] == "1"
        await _save(ctx, state)
        ctx.notice(t._("Saved."))
        _show_settings(ctx, state)
    elif action == "c" and step == "settings":
        state["step"] = "closes"
        await _save(ctx, state)
        ctx.notice(t._("When does it close?"))
        _ask(
            ctx,
            t._("When does the poll close?"),
            t._("Closing date"),
            max_length=100,
            hint=t._(
                "For example: tomorrow 6pm, thursday 7pm, 2026-12-05 18:30, in 2 hours. "
                "Send “none” for no date."
            ),
        )
    elif action == "n" and step == "settings":
        ctx.notice(t._("Saved."))
        await _show_communities(ctx, state)
    elif action == "t" and step == "communities" and len(fields) == 2 and fields[1].isdigit():
        chosen = await chosen_community(ctx, int(fields[1]))
        if chosen is None:
            return
        targets = set(state.get("targets", []))
        targets ^= {chosen.id}
        state["targets"] = sorted(targets)
        await _save(ctx, state)
        ctx.notice(t._("Saved."))
        await _show_communities(ctx, state)
    elif action == "go" and step == "communities":
        await _publish(ctx, state)
    else:
        ctx.notice(t._("This step is over. Send /poll to start again."), alert=True)


async def _publish(ctx: Context, state: dict[str, Any]) -> None:
    t = ctx.t
    allowed = {c.id: c for c in await allowed_communities(ctx)}
    chosen = [allowed[cid] for cid in state.get("targets", []) if cid in allowed]
    if not chosen:
        ctx.notice(t._("Choose at least one community."), alert=True)
        return
    spec = _spec(state)
    if spec.closes_at is not None and spec.closes_at <= ctx.engine.clock.now():
        state["step"] = "settings"
        await _save(ctx, state)
        ctx.notice(t._("The closing date is now past: choose another one."), alert=True)
        _show_settings(ctx, state)
        return
    await clear_conversation(ctx.engine.db, ctx.event.sender.platform, ctx.event.sender.user_id)
    targets = [ChatRef(c.platform, c.chat_id) for c in chosen]
    poll = await ctx.engine.polls.create(ctx, spec, targets)
    ctx.notice(t._("Published."))
    names = ", ".join(c.title or c.chat_id for c in chosen)
    show_panel(
        ctx,
        doc(
            p(b(t._("Poll no. {id} is published in: {names}.", id=poll.id, names=names))),
            *_summary(ctx, state),
        ),
        (),
    )
