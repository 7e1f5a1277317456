"""Reminders before a poll or a consultation closes: in each community where it was posted or launched, and,
for a consultation, in private to each resident who started answering without submitting.

Dedup keys: `poll:<id>:reminder:<offset>:<chat key>`, `consultation:<id>:reminder:<offset>:<chat key>` and
`consultation:<id>:reminder:<offset>:<platform>:<user>`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from babel.dates import format_timedelta

from bot.dates import format_when
from bot.events.notices import message
from bot.formatting import b, doc, i, p
from bot.i18n import Translator, translator
from bot.inbound import ChatRef
from bot.outbox.codec import reply_to_json
from bot.replies import Invite
from storage.events import Closing, Recipient
from storage.outbox import Outgoing

if TYPE_CHECKING:
    from bot.engine import Engine


def community_key(closing: Closing, platform: str, chat_id: str, offset: str) -> str:
    return f"{closing.kind}:{closing.id}:reminder:{offset}:{ChatRef(platform, chat_id).key}"


def _when(closing: Closing, t: Translator, now: datetime) -> tuple[str, str]:
    when = format_when(closing.closes_at, tz=closing.timezone, language=t.language, now=now)
    delay = format_timedelta(closing.closes_at - now, add_direction=True, locale=t.language)
    return when, delay


def reminder_messages(
    engine: Engine, closing: Closing, people: list[Recipient], offset: str, *, now: datetime
) -> list[Outgoing]:
    rows: list[Outgoing] = []
    for platform, chat_id in closing.chats:
        chat = ChatRef(platform, chat_id)
        key = community_key(closing, platform, chat_id, offset)
        if closing.kind == "poll":
            t = translator(closing.language)
            when, delay = _when(closing, t, now)
            body = doc(
                p(b(t._("Reminder: poll no. {id} closes {when}", id=closing.id, when=when)), f" ({delay})"),
                p(closing.title),
                p(i(t._("Not voted yet? Tap an option on the poll."))),
            )
            rows.append(message(key, chat, body, not_after=closing.closes_at))
        else:
            t = translator(engine.community_language(chat.key))
            when, delay = _when(closing, t, now)
            body = doc(
                p(
                    b(
                        t._(
                            "Reminder: the consultation “{title}” closes {when}",
                            title=closing.title,
                            when=when,
                        )
                    ),
                    f" ({delay})",
                ),
                p(i(t._("Tap the button to answer in a private chat, one question at a time."))),
            )
            invite = Invite(to=chat, body=body, label=t._("Take part"), payload=f"c_{closing.slug}")
            rows.append(Outgoing(key, platform, chat.key, reply_to_json(invite), closing.closes_at))
    for person in people:
        if not person.reachable or person.muted:
            continue
        t = translator(person.language or engine.settings.default_language)
        when, delay = _when(closing, t, now)
        body = doc(
            p(
                b(
                    t._(
                        "You started the consultation “{title}” without sending your answers.",
                        title=closing.title,
                    )
                )
            ),
            p(
                t._(
                    "It closes {when} ({delay}): send /consult {slug} to finish.",
                    when=when,
                    delay=delay,
                    slug=closing.slug,
                )
            ),
            p(i(t._("Send /reminders off to stop private reminders."))),
        )
        rows.append(
            message(
                f"{closing.kind}:{closing.id}:reminder:{offset}:{person.platform}:{person.user_id}",
                ChatRef.private(person.platform, person.user_id),
                body,
                not_after=closing.closes_at,
            )
        )
    return rows
