"""Everything a handler needs to answer one event: who, where, in which language, and how to reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.formatting import Rich, doc
from bot.i18n import Translator
from bot.inbound import ButtonPress, ChatRef, Inbound
from bot.replies import Button, Invite, Keyboard, Notice, Reply, Send
from storage.residents import find_resident

if TYPE_CHECKING:
    from bot.engine import Engine


@dataclass
class Context:
    engine: Engine
    event: Inbound
    t: Translator
    replies: list[Reply] = field(default_factory=list)

    @property
    def identity(self) -> str:
        return self.event.sender.identity

    @property
    def chat(self) -> ChatRef:
        return self.event.chat

    @property
    def private_chat(self) -> ChatRef:
        return ChatRef.private(self.event.sender.platform, self.event.sender.user_id)

    def say(self, body: Rich | str, buttons: Keyboard = (), *, track: str | None = None) -> None:
        """Answer in the chat the event came from."""
        self.send(self.chat, body, buttons, track=track)

    def send(
        self, to: ChatRef, body: Rich | str, buttons: Keyboard = (), *, track: str | None = None
    ) -> None:
        self.replies.append(
            Send(to=to, body=doc(body) if isinstance(body, str) else body, buttons=buttons, track=track)
        )

    def notice(self, text: str, *, alert: bool = False) -> None:
        """The toast answering a button press."""
        self.replies.append(Notice(text=text, alert=alert))

    def refuse(self, text: str) -> None:
        """Say no, the way the event calls for: a toast for a button, a message otherwise."""
        if isinstance(self.event, ButtonPress):
            self.notice(text, alert=True)
        else:
            self.say(text)

    def invite_to_private(self, text: str, payload: str) -> None:
        """Point to the private chat with the bot (where `/start payload` continues), one tap away."""
        self.replies.append(
            Invite(to=self.chat, body=doc(text), label=self.t._("Open the private chat"), payload=payload)
        )

    async def can_write_privately(self) -> bool:
        """Whether the bot may write first in the sender's private chat: they opened it (a Telegram bot may
        never write first) and no private message to them has failed for good since."""
        sender = self.event.sender
        resident = await find_resident(self.engine.db, sender.platform, sender.user_id)
        return resident is not None and resident.private_chat_open and not resident.unreachable

    def button(self, label: str, *fields: str | int) -> Button:
        return Button(label, self.engine.signer.sign(*fields))
