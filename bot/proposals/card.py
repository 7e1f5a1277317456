"""The proposal's card in its community: title, description, author as they chose, status, supports (a
number, never names), the threshold, the latest official answer, and the buttons *Je soutiens* and *Suivre*.

Everything is text, so a screen reader or a text-only client loses nothing. A proposal whose story is over
(done) keeps its card without buttons; one not accepted can still be followed, not supported.
"""

from __future__ import annotations

from bot.actions import ActionSigner
from bot.dates import format_day
from bot.formatting import Rich, b, doc, i, p
from bot.i18n import Translator
from bot.proposals.statuses import label
from bot.replies import Button, Keyboard
from storage.proposals import DONE, OPEN, SUPPORTABLE, ProposalView
from storage.tables import ProposalStep


def author_line(view: ProposalView, t: Translator) -> str:
    if view.author_name:
        return t._("Proposed by {name}", name=view.author_name)
    return t._("Proposed by a resident")


def supports_line(view: ProposalView, threshold: int, t: Translator, *, zone: str) -> str:
    """How many support it, and what the threshold means for it."""
    count = t.n_("{count} support", "{count} supports", view.supports)
    proposal = view.proposal
    if proposal.threshold_reached_at is None:
        return t._("{count} · threshold: {threshold}", count=count, threshold=threshold)
    if proposal.answer_due_at is None or proposal.status != OPEN:
        return t._("{count} · threshold reached", count=count)
    due = format_day(proposal.answer_due_at, tz=zone, language=t.language)
    return t._("{count} · threshold reached: an official answer is due by {date}", count=count, date=due)


def render_card(
    view: ProposalView, threshold: int, answer: ProposalStep | None, t: Translator, *, zone: str
) -> Rich:
    proposal = view.proposal
    body = doc(
        p(b(proposal.title)),
        p(proposal.description),
        p(
            t._("Proposal no. {id}", id=view.id),
            " · ",
            author_line(view, t),
            "\n",
            t._("Status: {status}", status=label(proposal.status, t)),
            "\n",
            supports_line(view, threshold, t, zone=zone),
        ),
    )
    if answer is not None and answer.text:
        when = format_day(answer.at, tz=zone, language=t.language)
        body += doc(p(b(t._("Official answer ({date})", date=when)), "\n", answer.text))
    if proposal.status in SUPPORTABLE:
        hint = t._(
            "Tap “I support” to support it, again to withdraw; “Follow” to hear of what becomes of it."
        )
        body += doc(p(i(hint)))
    return body


def card_buttons(view: ProposalView, signer: ActionSigner, t: Translator) -> Keyboard:
    status = view.proposal.status
    follow = Button(t._("Follow"), signer.sign("pr", "f", view.id))
    if status in SUPPORTABLE:
        return ((Button(t._("I support"), signer.sign("pr", "s", view.id)), follow),)
    return () if status == DONE else ((follow,),)  # (not accepted: still followed, no more supported)
