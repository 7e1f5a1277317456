"""The guided /event, in a private chat: title, start (and end), place, description, then the community to
post in.

The start and the end are kept as local wall times ("Thursday 19:00–21:00") until the community is chosen,
then read in that community's time zone: an organizer means 19:00 where the event takes place. Each step is
saved in the database, so the flow survives a restart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.dates import format_span
from bot.events import service
from bot.events.spec import (
    DEFAULT_DURATION,
    MAX_DESCRIPTION,
    MAX_PLACE,
    MAX_TITLE,
    EventSpec,
    EventSpecError,
    check_description,
    check_place,
    check_span,
    check_title,
)
from bot.formatting import b, doc, i, p
from bot.guided import (
    ask_text,
    cancel,
    chosen_community,
    current_state,
    save_step,
    show_community_picker,
    show_panel,
)
from bot.inbound import ChatRef
from storage.state import clear_conversation

FLOW = "event"


async def _save(ctx: Context, state: dict[str, Any]) -> None:
    await save_step(ctx, FLOW, state)


def _ask(ctx: Context, prompt: str, label: str, *, max_length: int, hint: str = "") -> None:
    ask_text(
        ctx, prompt, label, action=ctx.engine.signer.sign("m", "g", "a"), max_length=max_length, hint=hint
    )


def _ask_when(ctx: Context) -> None:
    t = ctx.t
    _ask(
        ctx,
        t._("Step 2 of 5 — When does it start?"),
        t._("Date and time"),
        max_length=100,
        hint=t._(
            "For example: thursday 7pm, tomorrow 6:30pm-8pm, 2026-12-05 18:30. Without an end, it lasts "
            "{hours} hours.",
            hours=int(DEFAULT_DURATION.total_seconds() // 3600),
        ),
    )


async def begin(ctx: Context) -> None:
    await _save(ctx, {"step": "title"})
    t = ctx.t
    _ask(
        ctx,
        t._("Step 1 of 5 — What is the event called?"),
        t._("Title"),
        max_length=MAX_TITLE,
        hint=t._("{limit} characters at most. /cancel stops at any time.", limit=MAX_TITLE),
    )


async def on_text(ctx: Context, state: dict[str, Any], text: str) -> None:
    t = ctx.t
    engine = ctx.engine
    step = state.get("step")
    try:
        if step == "title":
            state["title"] = check_title(text, t)
            state["step"] = "when"
            await _save(ctx, state)
            _ask_when(ctx)
        elif step == "when":
            zone = engine.settings.timezone
            starts_at, ends_at = check_span(text, now=engine.clock.now(), timezone=zone, t=t)
            state["wall"] = _wall(starts_at, zone)
            state["wall_end"] = _wall(ends_at or starts_at + DEFAULT_DURATION, zone)
            state["step"] = "place"
            await _save(ctx, state)
            _ask(ctx, t._("Step 3 of 5 — Where does it take place?"), t._("Place"), max_length=MAX_PLACE)
        elif step == "place":
            state["place"] = check_place(text, t)
            state["step"] = "description"
            await _save(ctx, state)
            _ask(
                ctx,
                t._("Step 4 of 5 — A few words of description?"),
                t._("Description"),
                max_length=MAX_DESCRIPTION,
                hint=t._("Send “-” for none."),
            )
        elif step == "description":
            state["description"] = check_description(text, t)
            await _show_communities(ctx, state)
        else:
            ctx.say(t._("Use the buttons above, or /cancel to stop."))
    except EventSpecError as error:
        ctx.say(doc(p(str(error)), p(i(t._("Please send your answer again.")))))


async def choose_community(ctx: Context, spec: EventSpec) -> None:
    """Entry from `/event Title | WHEN | PLACE` typed in private: everything is known but where to post."""
    zone = ctx.engine.settings.timezone
    state = {
        "title": spec.title,
        "wall": _wall(spec.starts_at, zone),
        "wall_end": _wall(spec.ends_at or spec.starts_at + DEFAULT_DURATION, zone),
        "place": spec.place,
        "description": spec.description,
        "reminders": spec.reminders,
    }
    await _show_communities(ctx, state)


def _wall(instant: datetime, zone: str) -> str:
    """An instant as the wall time it reads in `zone` ("2026-12-03T19:00:00")."""
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None).isoformat()


def _instant(wall: str, zone: str) -> datetime:
    """A wall time saved by `_wall`, read in `zone` (the community's, once chosen)."""
    return datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


def _ends(state: dict[str, Any], zone: str, starts_at: datetime) -> datetime:
    """The end saved with the start (a flow saved before events had an end: the default length)."""
    return _instant(state["wall_end"], zone) if state.get("wall_end") else starts_at + DEFAULT_DURATION


def _wall_text(ctx: Context, state: dict[str, Any]) -> str:
    zone = ctx.engine.settings.timezone
    starts_at = _instant(state["wall"], zone)
    return format_span(starts_at, _ends(state, zone, starts_at), tz=zone, language=ctx.t.language)


def _summary(ctx: Context, state: dict[str, Any]) -> list[Any]:
    t = ctx.t
    return [
        p(b(state["title"])),
        p(
            t._("When: {when}", when=_wall_text(ctx, state)),
            "\n",
            t._("Where: {place}", place=state["place"]),
        ),
        p(state["description"]) if state.get("description") else None,
    ]


async def _show_communities(ctx: Context, state: dict[str, Any]) -> None:
    t = ctx.t
    await show_community_picker(
        ctx,
        FLOW,
        state,
        step="community",
        button=("m", "g"),
        heading=t._("Step 5 of 5 — Where should I post it?"),
        hint=t._("Tap the community: the event is published there at once."),
        summary=_summary(ctx, state),
    )


async def on_button(ctx: Context, fields: list[str]) -> None:
    t = ctx.t
    state = await current_state(ctx, FLOW, "event")
    if state is None:
        return
    action = fields[0] if fields else ""
    if action == "x":
        await cancel(ctx)
    elif action == "t" and state.get("step") == "community" and len(fields) == 2 and fields[1].isdigit():
        await _publish(ctx, state, int(fields[1]))
    else:
        ctx.notice(t._("This step is over. Send /event to start again."), alert=True)


async def _publish(ctx: Context, state: dict[str, Any], community_id: int) -> None:
    t = ctx.t
    engine = ctx.engine
    community = await chosen_community(ctx, community_id)
    if community is None:
        return
    zone = community.timezone or engine.settings.timezone
    starts_at = _instant(state["wall"], zone)
    if starts_at <= engine.clock.now():
        state["step"] = "when"
        await _save(ctx, state)
        ctx.notice(t._("This date is now past: choose another one."), alert=True)
        _ask_when(ctx)
        return
    await clear_conversation(engine.db, ctx.event.sender.platform, ctx.event.sender.user_id)
    spec = EventSpec(
        title=state["title"],
        starts_at=starts_at,
        place=state["place"],
        description=state.get("description", ""),
        reminders=state.get("reminders"),
        ends_at=_ends(state, zone, starts_at),
    )
    chat = ChatRef(community.platform, community.chat_id)
    event = await service.create(
        ctx, spec, chat, timezone=zone, language=community.language or engine.settings.default_language
    )
    ctx.notice(t._("Published."))
    show_panel(
        ctx,
        doc(
            p(
                b(
                    t._(
                        "Event no. {id} is published in: {names}.",
                        id=event.id,
                        names=community.title or chat.chat_id,
                    )
                )
            ),
            *_summary(ctx, state),
        ),
        (),
    )
