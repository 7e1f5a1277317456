"""The poll message: question, live counts with percentages and a text bar, and one button per option.

Everything a chart would show is in the text itself, so a screen reader or a text-only client loses nothing.
A poll with private results never shows its tallies on the card, not even once closed: only the number of
voters.
"""

from __future__ import annotations

from babel.numbers import format_percent

from bot.actions import ActionSigner
from bot.dates import format_when
from bot.formatting import Rich, b, doc, i, p
from bot.i18n import Translator
from bot.replies import Button, Keyboard
from storage.polls import PollInfo, Tally

BAR_WIDTH = 10
MAX_NAMES = 10


def bar(share: float) -> str:
    filled = round(share * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def percent(share: float, language: str) -> str:
    return format_percent(share, locale=language)


def results_lines(poll: PollInfo, tally: Tally, t: Translator) -> list[str]:
    """One line per option: label, count, share of voters and a bar."""
    lines = []
    for n, label in enumerate(poll.options):
        count = tally.counts[n]
        share = count / tally.voters if tally.voters else 0.0
        lines.append(
            t._("{label}: {count} ({share})", label=label, count=count, share=percent(share, t.language))
        )
        lines.append(bar(share))
        if tally.names is not None and tally.names[n]:
            names = list(tally.names[n][:MAX_NAMES])
            extra = len(tally.names[n]) - len(names)
            lines.append(
                "   "
                + ", ".join(names)
                + (t.n_(" and {count} more", " and {count} more", extra) if extra else "")
            )
    return lines


def footer(poll: PollInfo, tally: Tally, t: Translator) -> str:
    parts = [t.n_("{count} voter", "{count} voters", tally.voters)]
    parts.append(t._("public vote, names shown") if poll.public else t._("anonymous vote"))
    parts.append(t._("several choices allowed") if poll.multi else t._("one choice"))
    parts.append(t._("poll no. {id}", id=poll.id))
    return " · ".join(parts)


def deleted_notice(poll_id: int, t: Translator) -> Rich:
    """What a deleted poll's cards and closing announcements read: nothing of it is left but its number."""
    return doc(p(b(t._("Poll deleted by its organizers"))), p(t._("poll no. {id}", id=poll_id)))


def render_card(poll: PollInfo, tally: Tally, t: Translator) -> Rich:
    if poll.deleted:
        return deleted_notice(poll.id, t)
    show_results = not poll.private_results and (poll.closed_at is not None or not poll.hidden)
    blocks = []
    if poll.closed_at is not None:
        blocks.append(p(b(t._("Poll closed"))))
    blocks.append(p(b(poll.question)))
    if show_results:
        blocks.append(p("\n".join(results_lines(poll, tally, t))))
    elif poll.private_results:
        blocks.append(p(i(t._("Results go only to the poll's organizers, in private."))))
    else:
        blocks.append(p(i(t._("Results are hidden until the poll closes."))))
    blocks.append(p(footer(poll, tally, t)))
    if poll.closed_at is None:
        if poll.closes_at is not None:
            when = format_when(poll.closes_at, tz=poll.timezone, language=t.language)
            blocks.append(p(t._("Closes {when}.", when=when)))
        hint = t._("Tap an option to vote; tap it again to withdraw your vote.")
        blocks.append(p(i(hint)))
    return doc(*blocks)


def card_buttons(poll: PollInfo, signer: ActionSigner) -> Keyboard:
    """One vote button per option, `v.<poll>.<option>`, and `.<version>` once the poll was corrected (a tap
    on a button of an earlier version is refused: its option number may name another option now)."""
    if poll.closed_at is not None:
        return ()
    version = (poll.version,) if poll.version > 1 else ()
    return tuple(
        (Button(label, signer.sign("v", poll.id, n, *version)),) for n, label in enumerate(poll.options)
    )
