"""An organizer changes when a consultation ends: `/close ID` closes it now, `/extend ID WHEN` moves its
deadline later.

Closing early is the close of the deadline (ConsultationService.close: sealed submissions written, results
announced as its settings say, drafts erased, audited), brought forward; with the consultation closed, its
scheduled close and its reminders are no longer derived. Extending moves the deadline the scheduler
derives its close and its reminders from (bot/deadlines.py), audited, and the invitation cards where it
was launched are edited to show the new date. Who may do either is checked by the engine (`/close` and
`/extend` name a consultation: bot/authority.py).
"""

from __future__ import annotations

from datetime import datetime

from bot.consultations.commands import find
from bot.consultations.loaded import Loaded, State
from bot.consultations.service import CARD
from bot.context import Context
from bot.dates import WhenError, format_when, parse_when
from bot.replies import Refresh
from storage import consultations as store


def _title(ctx: Context, loaded: Loaded) -> str:
    return loaded.definition.title.get(ctx.t.language)


async def close(ctx: Context, args: str) -> None:
    """`/close ID` for a consultation (bot/commands/close.py tells it from a poll's number)."""
    t = ctx.t
    engine = ctx.engine
    loaded = await find(ctx, args.strip().split(" ", 1)[0])
    if loaded is None:
        return
    title = _title(ctx, loaded)
    if loaded.row.closed_at is not None:
        ctx.say(t._("The consultation “{title}” is already closed.", title=title))
        return
    await engine.consultations.close(loaded.id, actor=ctx.identity)
    row = await store.by_id(engine.db, loaded.id)
    if row is None or row.closed_at is None:  # (it could not close: nothing was said or changed)
        ctx.say(t._("Something went wrong on our side; nothing was changed. Please try again."))
        return
    if not await store.launches(engine.db, loaded.id):
        ctx.say(t._("The consultation “{title}” is closed. It was launched nowhere.", title=title))
    elif row.results_public:
        ctx.say(
            t._(
                "The consultation “{title}” is closed: its results are posted where it was launched.",
                title=title,
            )
        )
    else:
        ctx.say(
            t._(
                "The consultation “{title}” is closed: where it was launched, residents learn how many took "
                "part; its results go to its organizers in private.",
                title=title,
            )
        )


async def extend(ctx: Context, args: str) -> None:
    """`/extend ID WHEN`: WHEN read as every deadline is (« vendredi 18h », « dans 3 jours »…), in the
    consultation's time zone."""
    t = ctx.t
    slug, _, when = args.strip().partition(" ")
    if not slug:
        ctx.say(
            t._(
                "Give the consultation's id and its new closing date, for example /extend place-du-marche "
                "friday 6pm."
            )
        )
        return
    loaded = await find(ctx, slug)
    if loaded is None:
        return
    if ctx.engine.consultations.state(loaded.row) is State.CLOSED:
        ctx.say(
            t._(
                "The consultation “{title}” is closed: it can no longer be extended.",
                title=_title(ctx, loaded),
            )
        )
        return
    closes_at = _new_deadline(ctx, loaded, when.strip())
    if closes_at is not None:
        await _move(ctx, loaded, closes_at)


def _new_deadline(ctx: Context, loaded: Loaded, when: str) -> datetime | None:
    """The new deadline, later than the current one; None once the organizer is told why not."""
    t = ctx.t
    row = loaded.row
    if not when:
        ctx.say(t._("Say until when, for example /extend {slug} friday 6pm.", slug=row.slug))
        return None
    try:
        closes_at = parse_when(when, now=ctx.engine.clock.now(), tz=row.timezone, language=t.language)
    except WhenError as error:
        if error.code == "past":
            ctx.say(t._("The date “{when}” is already past.", when=when[:100]))
        else:
            ctx.say(
                t._(
                    "I could not read the date “{when}”. Try for example friday 6pm, in 3 days or "
                    "2026-12-20 18:00.",
                    when=when[:100],
                )
            )
        return None
    if closes_at <= row.closes_at:
        current = format_when(row.closes_at, tz=row.timezone, language=t.language, now=ctx.engine.clock.now())
        ctx.say(
            t._(
                "The consultation already runs until {when}: give a later date. To close it now: /close "
                "{slug}.",
                when=current,
                slug=row.slug,
            )
        )
        return None
    return closes_at


async def _move(ctx: Context, loaded: Loaded, closes_at: datetime) -> None:
    t = ctx.t
    engine = ctx.engine
    now = engine.clock.now()
    before = await store.extend_consultation(engine.db, loaded.id, closes_at, actor=ctx.identity, now=now)
    if before is None:  # closed meanwhile
        ctx.say(
            t._(
                "The consultation “{title}” is closed: it can no longer be extended.",
                title=_title(ctx, loaded),
            )
        )
        return
    engine.schedule_changed()
    tz = loaded.row.timezone
    ctx.say(
        t._(
            "The consultation “{title}” now closes {when} (instead of {before}). Its invitations show the "
            "new date, and its reminders follow it.",
            title=_title(ctx, loaded),
            when=format_when(closes_at, tz=tz, language=t.language, now=now),
            before=format_when(before, tz=tz, language=t.language, now=now),
        )
    )
    ctx.replies.append(Refresh(key=f"{CARD}:{loaded.id}"))
