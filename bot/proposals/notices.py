"""The messages a decision about a proposal sends, as outbox rows written in the decision's transaction.

Each row's dedup key names the decision (its step, the threshold, the reminder's number) and the recipient,
so deciding twice queues each message once, and a restart loses none:

- `proposal:<id>:card` — its card in the community, once published;
- `proposal:<id>:step:<step>:community` — an official answer, posted under the card;
- `proposal:<id>:step:<step>:<chat>` — the author, supporters and followers (or the organizers, for a new
  proposal to moderate) told in private, `<chat>` their private chat's key;
- `proposal:<id>:threshold:<chat>` and `proposal:<id>:reminder:<n>:<chat>` — its organizers.

Private messages go only to people a private message can reach (they wrote to the bot in private and
nothing failed for good since); organizers are those of bot/private_results.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates import format_day
from bot.formatting import Rich, b, doc, i, p
from bot.i18n import Translator, translator
from bot.inbound import ChatRef, MessageRef
from bot.outbox.codec import reply_to_json
from bot.private_results import organizers_to_notify
from bot.proposals.card import card_buttons, render_card
from bot.proposals.spec import defaults
from bot.proposals.statuses import label
from bot.replies import Button, Keyboard, Send
from storage import proposal_supports as support_store
from storage import proposals as store
from storage.outbox import Outgoing
from storage.tables import Proposal, ProposalStep, Resident

if TYPE_CHECKING:
    from bot.engine import Engine

Body = Callable[[Translator], Rich]
Told = Callable[[AsyncSession, Proposal], Awaitable[Sequence[Outgoing]]]


def message(
    key: str, chat: ChatRef, body: Rich, buttons: Keyboard = (), *, reply_to: str | None = None
) -> Outgoing:
    reply = Send(
        to=chat,
        body=body,
        buttons=buttons,
        reply_to=MessageRef(chat, reply_to) if reply_to is not None else None,
    )
    return Outgoing(key, chat.platform, chat.key, reply_to_json(reply))


def title_line(proposal: Proposal, t: Translator) -> Rich:
    return doc(p(b(t._("Proposal no. {id}: {title}", id=proposal.id, title=proposal.title))))


# -- the card ------------------------------------------------------------------------------------------------


async def card_of(
    engine: Engine, session: AsyncSession, proposal_id: int
) -> tuple[Rich, Keyboard, ChatRef] | None:
    """How the card reads now, and the community it is in (None once the proposal is gone)."""
    view = await store.view_in(session, proposal_id)
    if view is None:
        return None
    rules = await store.rules_in(session, view.proposal.community_id, defaults(engine.settings))
    answer = await store.latest_answer_in(session, proposal_id)
    t = translator(view.proposal.language)
    zone = view.timezone or engine.settings.timezone
    body = render_card(view, rules.threshold, answer, t, zone=zone)
    return body, card_buttons(view, engine.signer, t), ChatRef(view.platform, view.chat_id)


async def card_post(engine: Engine, session: AsyncSession, proposal: Proposal) -> list[Outgoing]:
    card = await card_of(engine, session, proposal.id or 0)
    if card is None:
        return []
    body, buttons, chat = card
    return [message(store.card_key(proposal.id or 0), chat, body, buttons)]


# -- people told in private ---------------------------------------------------------------------------------


async def to_organizers(
    engine: Engine, session: AsyncSession, proposal: Proposal, key: str, body: Body
) -> list[Outgoing]:
    """The organizers of the proposal's community, each in their language."""
    view = await store.view_in(session, proposal.id or 0)
    assert view is not None
    organizers = await organizers_to_notify(
        session,
        engine.settings,
        community_id=proposal.community_id,
        created_by=None,
        platforms={view.platform},
    )
    default = engine.settings.default_language
    return [
        message(f"{key}:{o.chat.key}", o.chat, body(translator(o.language or default))) for o in organizers
    ]


def _private(resident: Resident) -> ChatRef:
    return ChatRef.private(resident.platform, resident.user_id)


async def to_author(
    engine: Engine,
    session: AsyncSession,
    proposal: Proposal,
    key: str,
    body: Body,
    buttons: Callable[[Translator], Keyboard] | None = None,
) -> list[Outgoing]:
    author = await session.get(Resident, proposal.author_id) if proposal.author_id is not None else None
    if author is None or not author.private_chat_open or author.unreachable:
        return []
    chat = _private(author)
    t = translator(author.language or engine.settings.default_language)
    return [message(f"{key}:{chat.key}", chat, body(t), buttons(t) if buttons else ())]


async def zone_of(engine: Engine, session: AsyncSession, proposal: Proposal) -> str:
    """The time zone of the proposal's community, for the dates its messages give."""
    view = await store.view_in(session, proposal.id or 0)
    return (view.timezone if view is not None else None) or engine.settings.timezone


async def to_concerned(
    engine: Engine, session: AsyncSession, proposal: Proposal, key: str, body: Body
) -> list[Outgoing]:
    """Its author, supporters and followers who can be reached, each once, in their language."""
    default = engine.settings.default_language
    rows = []
    for reader in await support_store.concerned(session, proposal):
        if reader.reachable:
            chat = ChatRef.private(reader.platform, reader.user_id)
            rows.append(message(f"{key}:{chat.key}", chat, body(translator(reader.language or default))))
    return rows


# -- what each decision sends -----------------------------------------------------------------------------


def step_key(proposal: Proposal, step: ProposalStep) -> str:
    return f"proposal:{proposal.id}:step:{step.id}"


def submitted(engine: Engine) -> store.Build:
    """A new proposal: its card when published at once, else its organizers asked to moderate it."""

    async def build(session: AsyncSession, proposal: Proposal, step: ProposalStep) -> Sequence[Outgoing]:
        if proposal.status == store.OPEN:
            return await card_post(engine, session, proposal)

        def body(t: Translator) -> Rich:
            return title_line(proposal, t) + doc(
                p(t._("A resident's new proposal waits for moderation.")),
                p(i(t._("Send /moderation to approve it, reject it or ask for changes."))),
            )

        return await to_organizers(engine, session, proposal, step_key(proposal, step), body)

    return build


def moderated(engine: Engine) -> store.Build:
    """An organizer's moderation: the card posted once approved, the author told in any case."""

    async def build(session: AsyncSession, proposal: Proposal, step: ProposalStep) -> Sequence[Outgoing]:
        key = step_key(proposal, step)
        if step.status == store.OPEN:
            rows = await card_post(engine, session, proposal)

            def approved(t: Translator) -> Rich:
                return title_line(proposal, t) + doc(
                    p(
                        t._(
                            "Your proposal is approved and published in your community: residents can "
                            "support it."
                        )
                    ),
                )

            return rows + await to_author(engine, session, proposal, key, approved)
        if step.status == store.REJECTED:

            def rejected(t: Translator) -> Rich:
                return title_line(proposal, t) + doc(
                    p(t._("Your proposal was not published. The organizers' reason:")), p(step.text)
                )

            return await to_author(engine, session, proposal, key, rejected)

        def changes(t: Translator) -> Rich:
            return title_line(proposal, t) + doc(
                p(t._("The organizers ask you to change your proposal before publishing it:")),
                p(step.text),
                p(i(t._("Tap the button to write it again; nothing is published until they approve it."))),
            )

        def edit(t: Translator) -> Keyboard:
            return ((Button(t._("Edit my proposal"), engine.signer.sign("pr", "e", proposal.id or 0)),),)

        return await to_author(engine, session, proposal, key, changes, edit)

    return build


def answered(engine: Engine, message_id: str | None) -> store.Build:
    """An official answer: posted under the card, and sent to its author, supporters and followers."""

    async def build(session: AsyncSession, proposal: Proposal, step: ProposalStep) -> Sequence[Outgoing]:
        key = step_key(proposal, step)

        def body(t: Translator) -> Rich:
            head = t._(
                "Proposal no. {id}: {title} — {status}",
                id=proposal.id,
                title=proposal.title,
                status=label(step.status, t),
            )
            return doc(p(b(head)), p(step.text) if step.text else None)

        view = await store.view_in(session, proposal.id or 0)
        assert view is not None
        community = ChatRef(view.platform, view.chat_id)
        rows = [
            message(f"{key}:community", community, body(translator(proposal.language)), reply_to=message_id)
        ]
        return rows + await to_concerned(engine, session, proposal, key, body)

    return build


def reached(engine: Engine) -> Told:
    """The support that reached the threshold: its organizers told an official answer is now due."""

    async def build(session: AsyncSession, proposal: Proposal) -> Sequence[Outgoing]:
        due = proposal.answer_due_at
        zone = await zone_of(engine, session, proposal)

        def body(t: Translator) -> Rich:
            when = format_day(due, tz=zone, language=t.language) if due else ""
            return title_line(proposal, t) + doc(
                p(
                    t._(
                        "This proposal reached its support threshold: an official answer is due by {date}.",
                        date=when,
                    )
                ),
                p(i(t._("Answer with /answer {id}.", id=proposal.id))),
            )

        return await to_organizers(engine, session, proposal, f"proposal:{proposal.id}:threshold", body)

    return build


def reminder(engine: Engine, number: int) -> Told:
    """Its organizers reminded of the official answer it is owed (before the date, then once it is late)."""

    async def build(session: AsyncSession, proposal: Proposal) -> Sequence[Outgoing]:
        due = proposal.answer_due_at
        now = engine.clock.now()
        zone = await zone_of(engine, session, proposal)

        def body(t: Translator) -> Rich:
            when = format_day(due, tz=zone, language=t.language) if due else ""
            text = (
                t._("Reminder: this proposal is owed an official answer by {date}.", date=when)
                if due is None or now < due
                else t._("Reminder: the official answer this proposal is owed was due on {date}.", date=when)
            )
            return title_line(proposal, t) + doc(
                p(text), p(i(t._("Answer with /answer {id}.", id=proposal.id)))
            )

        return await to_organizers(
            engine, session, proposal, f"proposal:{proposal.id}:reminder:{number}", body
        )

    return build
