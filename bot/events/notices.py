"""The messages a decision about an event sends (an edit, a cancellation, a reminder), as outbox rows.

Each row has a dedup key naming the decision and the recipient, so deciding twice (two schedulers, a job
that fired twice, a retry) queues each message once:

- `event:<id>:edit:<version>:community` and `event:<id>:edit:<version>:<platform>:<user>`
- `event:<id>:cancel:community` and `event:<id>:cancel:<platform>:<user>`
- `event:<id>:reminder:<offset>:<start>:community` and `…:<start>:<platform>:<user>`, where `<start>` is the
  UTC start (`20261203T1800Z`): moving an event makes its reminders new decisions, and keeps the ones already
  sent for the old time from blocking them.

Private messages go only to residents a private message can reach (they wrote to the bot in private and
nothing failed for good since); reminders also skip those who muted them.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_timedelta

from bot.events.card import answer_label, details
from bot.formatting import Rich, b, doc, i, p
from bot.i18n import translator
from bot.inbound import ChatRef
from bot.outbox.codec import reply_to_json
from bot.replies import Invite, Send
from storage.events import MAYBE, YES, Recipient
from storage.outbox import Outgoing
from storage.tables import Event

INVITE_PAYLOAD = "reminders"  # /start reminders: opens the private chat (the welcome is enough)


def community_of(event: Event) -> ChatRef:
    return ChatRef(event.platform, event.chat_id)


def stamp(instant: datetime) -> str:
    return f"{instant:%Y%m%dT%H%M}Z"


def message(key: str, chat: ChatRef, body: Rich, *, not_after: datetime | None) -> Outgoing:
    return Outgoing(key, chat.platform, chat.key, reply_to_json(Send(to=chat, body=body)), not_after)


def invitation(key: str, chat: ChatRef, body: Rich, label: str, *, not_after: datetime | None) -> Outgoing:
    reply = Invite(to=chat, body=body, label=label, payload=INVITE_PAYLOAD)
    return Outgoing(key, chat.platform, chat.key, reply_to_json(reply), not_after)


def _private(person: Recipient) -> ChatRef:
    return ChatRef.private(person.platform, person.user_id)


def _about(event: Event, language: str, now: datetime) -> Rich:
    t = translator(language)
    body = doc()
    for part in details(event, t, now=now, title=False):
        body += part
    return body


def edit_notices(
    event: Event, people: list[Recipient], changed: list[str], *, default_language: str, now: datetime
) -> list[Outgoing]:
    """The community and every reachable resident who answered yes or maybe learn what changed."""
    prefix = f"event:{event.id}:edit:{event.version}"

    def body(language: str, person: Recipient | None) -> Rich:
        t = translator(language)
        names = {
            "title": t._("title"),
            "starts_at": t._("date"),
            "ends_at": t._("end time"),
            "place": t._("place"),
            "description": t._("description"),
            "reminder_offsets": t._("reminders"),
        }
        what = ", ".join(names[c] for c in changed if c in names)
        head = doc(
            p(b(t._("Event changed: {title}", title=event.title))), p(t._("Changed: {what}.", what=what))
        )
        tail = (
            doc(p(i(t._("You answered: {answer}", answer=answer_label(person.answer or "", t)))))
            if person
            else doc()
        )
        return head + _about(event, language, now) + tail

    chat = community_of(event)
    rows = [message(f"{prefix}:community", chat, body(event.language, None), not_after=event.starts_at)]
    rows.extend(
        message(
            f"{prefix}:{person.platform}:{person.user_id}",
            _private(person),
            body(person.language or default_language, person),
            not_after=event.starts_at,
        )
        for person in people
        if person.reachable
    )
    return rows


def cancel_notices(
    event: Event, people: list[Recipient], *, default_language: str, now: datetime
) -> list[Outgoing]:
    prefix = f"event:{event.id}:cancel"

    def body(language: str) -> Rich:
        t = translator(language)
        head = doc(p(b(t._("Event cancelled: {title}", title=event.title))))
        return head + _about(event, language, now) + doc(p(t._("It will not take place.")))

    chat = community_of(event)
    rows = [message(f"{prefix}:community", chat, body(event.language), not_after=event.starts_at)]
    rows.extend(
        message(
            f"{prefix}:{person.platform}:{person.user_id}",
            _private(person),
            body(person.language or default_language),
            not_after=event.starts_at,
        )
        for person in people
        if person.reachable
    )
    return rows


def reminder_notices(
    event: Event, people: list[Recipient], offset: str, *, default_language: str, now: datetime
) -> list[Outgoing]:
    """One reminder in the community, and one in private to each reachable, unmuted yes/maybe. The community
    one tells how many who answered cannot be reminded privately, and offers them the private chat."""
    prefix = f"event:{event.id}:reminder:{offset}:{stamp(event.starts_at)}"

    def head(language: str) -> Rich:
        t = translator(language)
        delay = format_timedelta(event.starts_at - now, add_direction=True, locale=t.language)
        return doc(p(b(t._("Reminder: {title}", title=event.title)), f" ({delay})"))

    t = translator(event.language)
    yes = sum(1 for person in people if person.answer == YES)
    maybe = len(people) - yes
    unreachable = sum(1 for person in people if not person.reachable)
    body = head(event.language) + _about(event, event.language, now)
    body += doc(
        p(
            t._("{answer}: {count}", answer=answer_label(YES, t), count=yes)
            + " · "
            + t._("{answer}: {count}", answer=answer_label(MAYBE, t), count=maybe)
        )
    )
    chat = community_of(event)
    if unreachable:
        body += doc(
            p(
                i(
                    t.n_(
                        "{count} resident who answered could not be reminded privately: open a private chat "
                        "with me to get reminders.",
                        "{count} residents who answered could not be reminded privately: open a private chat "
                        "with me to get reminders.",
                        unreachable,
                    )
                )
            )
        )
        community = invitation(
            f"{prefix}:community", chat, body, t._("Open the private chat"), not_after=event.starts_at
        )
    else:
        community = message(f"{prefix}:community", chat, body, not_after=event.starts_at)
    rows = [community]
    for person in people:
        if not person.reachable or person.muted:
            continue
        language = person.language or default_language
        pt = translator(language)
        private = head(language) + _about(event, language, now)
        private += doc(
            p(pt._("You answered: {answer}", answer=answer_label(person.answer or "", pt))),
            p(i(pt._("Send /reminders off to stop private reminders."))),
        )
        rows.append(
            message(
                f"{prefix}:{person.platform}:{person.user_id}",
                _private(person),
                private,
                not_after=event.starts_at,
            )
        )
    return rows
