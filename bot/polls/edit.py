"""/poll_edit N …: an organizer corrects a poll nobody has voted in yet — its question, options, settings or
closing date — by writing it again as it should read, the way /poll reads it (the same parser,
bot/polls/spec.py). Its cards are edited in place. Once someone has voted, the votes answered the poll as it
reads, so the correction is refused with the way on: close it and post a new one.

`/poll_edit N` alone shows the poll written that way, ready to be copied and corrected.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.context import Context
from bot.dates import format_when
from bot.formatting import Rich, code, doc, i, p
from bot.i18n import Translator
from bot.polls.spec import PollSpec, PollSpecError, form_arguments, parse_poll_command
from storage import poll_changes
from storage.poll_changes import Corrected, Refusal
from storage.polls import PollInfo

COMMAND = "poll_edit"


def _name(ctx: Context, command: str) -> str:
    spec = ctx.engine.registry.command(command)
    return spec.name_in(ctx.t.language) if spec is not None else command


def poll_number(argument: str) -> bool:
    """Whether the first word of a command names a poll by its number (`3`, `#3`, `n°3`)."""
    number = argument.lstrip("#").removeprefix("n°")
    return number.isdigit() and len(number) <= 12


async def handle(ctx: Context, args: str) -> None:
    t = ctx.t
    engine = ctx.engine
    number, _, rest = args.strip().partition(" ")
    if not poll_number(number):
        ctx.say(t._("Give the poll number first, for example /poll_edit 3 Question? | Option 1 | Option 2."))
        return
    poll = await engine.polls.resolve(ctx, number)
    if poll is None:
        return
    if not poll.is_open:
        ctx.say(t._("Poll no. {id} is closed: it can no longer be corrected.", id=poll.id))
        return
    if "|" not in rest:
        ctx.say(_how(ctx, poll))
        return
    try:
        spec = parse_poll_command(rest, now=engine.clock.now(), timezone=poll.timezone, t=t)
    except PollSpecError as error:
        ctx.say(str(error))
        return
    outcome = await correct(ctx, poll, spec)
    if isinstance(outcome, Corrected):
        ctx.say(_corrected(poll, spec, outcome, t))
    elif outcome is Refusal.VOTED:
        ctx.say(
            t._(
                "Poll no. {id} already has votes: it can no longer be corrected, since they answered the "
                "poll as it reads. To ask otherwise, close it (/close {id}) and post a new poll (/poll).",
                id=poll.id,
            )
        )
    elif outcome is Refusal.CLOSED:
        ctx.say(t._("Poll no. {id} is closed: it can no longer be corrected.", id=poll.id))
    else:
        ctx.say(t._("Poll no. {id} no longer exists: its organizers deleted it.", id=poll.id))


async def correct(ctx: Context, poll: PollInfo, spec: PollSpec) -> Corrected | Refusal:
    """Rewrite the poll as `spec` says, if nobody has voted; its cards are then edited in place."""
    engine = ctx.engine
    values = {
        "question": spec.question,
        "options": spec.options,
        "multi": spec.multi,
        "public": spec.public,
        "hidden": spec.hidden,
        "private_results": spec.private_results,
        "closes_at": spec.closes_at,
    }
    outcome = await poll_changes.correct_poll(
        engine.db, poll.id, values, actor=ctx.identity, now=engine.clock.now()
    )
    engine.polls.forget(poll.id)  # (its options, settings and key as this process remembered them)
    if isinstance(outcome, Corrected) and outcome.changed:
        ctx.replies.extend(await engine.polls.card_edits(poll.id))
        engine.schedule_changed()  # its closing, and its closing reminder, follow the deadline
    return outcome


def _corrected(poll: PollInfo, spec: PollSpec, corrected: Corrected, t: Translator) -> Rich:
    if not corrected.changed:
        return doc(t._("Nothing changed: poll no. {id} already reads that.", id=poll.id))
    names = {
        "question": t._("question"),
        "options": t._("options"),
        "closes_at": t._("closing date"),
    }
    what = list(dict.fromkeys(names.get(name, t._("settings")) for name in corrected.changed))
    body = doc(
        p(
            t._(
                "Poll no. {id} is corrected: {what}. Its cards show it as it reads now.",
                id=poll.id,
                what=", ".join(what),
            )
        )
    )
    if "closes_at" in corrected.changed:
        when = (
            t._("Closes {when}.", when=format_when(spec.closes_at, tz=poll.timezone, language=t.language))
            if spec.closes_at is not None
            else t._("It has no closing date any more.")
        )
        body += doc(p(when))
    return body


def written(poll: PollInfo) -> str:
    """The poll as /poll reads it (the arguments `form_arguments` writes, which its parser reads back)."""
    values: dict[str, object] = {
        "question": poll.question,
        "multi": poll.multi,
        "public": poll.public,
        "hidden": poll.hidden,
        "private_results": poll.private_results,
        **{f"option{n}": option for n, option in enumerate(poll.options, start=1)},
    }
    if poll.closes_at is not None:
        values["closes"] = f"{poll.closes_at.astimezone(ZoneInfo(poll.timezone)):%Y-%m-%d %H:%M}"
    return form_arguments(values)


def _how(ctx: Context, poll: PollInfo) -> Rich:
    t = ctx.t
    line = f"/{_name(ctx, COMMAND)} {poll.id} {written(poll)}"
    return doc(
        p(
            t._(
                "To correct poll no. {id}, send it again as it should read, the way /poll reads it:",
                id=poll.id,
            )
        ),
        p(code(line)),
        p(i(t._("Its question, options, settings and closing date can change until its first vote."))),
    )
