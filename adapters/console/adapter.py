"""Console adapter: turns typed lines into engine events and keeps every chat's messages in memory.

It is both the terminal chat of `civicbot shell` and the first test driver's platform: what it stores is
what a person would have seen, with edits applied in place.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.formatting import PLAIN, render
from bot.i18n import translator
from bot.inbound import (
    ButtonPress,
    ChatKind,
    ChatRef,
    Command,
    FileUpload,
    Inbound,
    MessageRef,
    Person,
    TextMessage,
    parse_command,
)
from bot.replies import (
    AskInput,
    Attachment,
    Button,
    DeliveryError,
    Edit,
    Forgotten,
    Invite,
    Notice,
    Reply,
    Send,
)
from bot.runtime import Runtime
from bot.uploads import MAX_UPLOAD_BYTES, announced_too_large

PLATFORM = "console"
SQUARE = "square"
TITLES = {"square": "Place du village", "annex": "Annexe"}
INVITE_PREFIX = "invite:"


@dataclass
class ConsoleMessage:
    id: int
    chat: str
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    edited: bool = False
    files: list[str] = field(default_factory=list)
    quote: str | None = None  # the first line of the earlier message this one points to

    @property
    def labels(self) -> list[str]:
        return [button.label for row in self.buttons for button in row]


def chat_name(ref: ChatRef) -> str:
    return ref.chat_id if ref.kind is ChatKind.COMMUNITY else f"@{ref.chat_id}"


def chat_ref(name: str) -> ChatRef:
    return ChatRef.private(PLATFORM, name[1:]) if name.startswith("@") else ChatRef(PLATFORM, name)


class ConsoleAdapter:
    platform = PLATFORM

    def __init__(
        self,
        runtime: Runtime,
        *,
        files_dir: Path,
        admins: Mapping[str, set[str]] | None = None,
        on_change: Callable[[ConsoleMessage, str], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.files_dir = files_dir
        self.admins = admins or {}  # chat name → the people who administer it
        self.on_change = on_change or (lambda message, how: None)
        self.chats: dict[str, list[ConsoleMessage]] = {}
        self.toasts: dict[str, list[str]] = {}
        self.blocked: set[str] = set()  # people who blocked the bot: private messages to them are refused
        self._next_id = 1
        self.forgotten: dict[str, int] = {}  # chat name → its first message kept after /forget
        runtime.attach(self)

    # -- people act ----------------------------------------------------------------------------------------

    def _event_base(self, person: str, chat: str) -> dict[str, Any]:
        ref = chat_ref(chat)
        return {
            "sender": Person(PLATFORM, person, person.capitalize(), None),
            "chat": ref,
            "chat_title": None if ref.is_private else TITLES.get(chat, chat),
            "sender_is_admin": not ref.is_private and person in self.admins.get(chat, ()),
        }

    async def type(self, person: str, chat: str, text: str) -> None:
        """A person types a line in a chat: a command or plain text."""
        base = self._event_base(person, chat)
        command = parse_command(text)
        event: Inbound
        if command is not None:
            event = Command(name=command[0], args=command[1], **base)
        else:
            event = TextMessage(text=text, **base)
        await self.runtime.dispatch(event)

    async def upload(self, person: str, chat: str, filename: str, data: bytes) -> None:
        """A person sends a file's content."""
        base = self._event_base(person, chat)
        await self.runtime.dispatch(FileUpload(filename=filename, data=data, **base))

    async def upload_file(self, person: str, chat: str, path: Path) -> None:
        """A person sends a file from disk (the shell's `/upload PATH`): its size on disk is checked before
        anything is read, and reading stops past the limit (a file may grow, or be a pipe)."""
        data = await asyncio.to_thread(read_at_most, path)
        base = self._event_base(person, chat)
        upload = FileUpload(filename=path.name, data=data or b"", too_large=data is None, **base)
        await self.runtime.dispatch(upload)

    async def press(self, person: str, chat: str, message: ConsoleMessage, button: Button) -> str:
        """Press a button; returns the chat the person is in afterwards (a deep link opens their private
        chat with `/start payload`, as the platforms' links do)."""
        if button.action.startswith(INVITE_PREFIX):
            private = f"@{person}"
            await self.type(person, private, f"/start {button.action[len(INVITE_PREFIX) :]}")
            return private
        await self.press_action(person, chat, button.action, message.id)
        return chat

    async def press_action(self, person: str, chat: str, action: str, message_id: int | None) -> None:
        """Press a button by its raw action id (forged ids included: tests need that)."""
        base = self._event_base(person, chat)
        ref = MessageRef(chat_ref(chat), str(message_id)) if message_id is not None else None
        await self.runtime.dispatch(ButtonPress(action=action, message=ref, **base))

    def language(self, person: str, chat: str) -> str:
        """The language the bot speaks to `person` in `chat` (for the few words of the console's own)."""
        return self.runtime.engine.language_for(TextMessage(text="", **self._event_base(person, chat)))

    # -- what the terminal keeps between two runs (adapters/console/memory.py) ------------------------------

    @property
    def next_id(self) -> int:
        return self._next_id

    def restore(self, messages: list[ConsoleMessage], next_id: int) -> None:
        """Put back messages kept from an earlier run; new messages are numbered after every earlier one,
        so none takes the number of a message the engine still points to (a poll card it edits)."""
        for message in messages:
            self.chats.setdefault(message.chat, []).append(message)
        self._next_id = max(self._next_id, next_id, *(m.id + 1 for m in messages))

    # -- the bot answers -------------------------------------------------------------------------------------

    def _first_line(self, ref: MessageRef) -> str | None:
        for message in self.chats.get(chat_name(ref.chat), []):
            if str(message.id) == ref.message_id:
                return (message.text.splitlines() or [""])[0]
        return None

    def _post(
        self,
        to: ChatRef,
        text: str,
        buttons: list[list[Button]],
        files: list[str],
        *,
        quote: str | None = None,
    ) -> ConsoleMessage:
        if to.is_private and to.chat_id in self.blocked:
            raise DeliveryError("the resident blocked the bot", permanent=True)
        name = chat_name(to)
        message = ConsoleMessage(self._next_id, name, text, buttons, files=files, quote=quote)
        self._next_id += 1
        self.chats.setdefault(name, []).append(message)
        self.on_change(message, "new")
        return message

    def _folder(self, chat: str) -> Path:
        """Each chat's files in a folder of its own, so /forget finds them in a later run too."""
        return self.files_dir / (f"private-{chat[1:]}" if chat.startswith("@") else chat)

    def _save(self, chat: str, attachment: Attachment) -> str:
        folder = self._folder(chat)
        folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", attachment.filename)[:80] or "file"
        path = folder / f"{self._next_id}-{safe}"
        path.write_bytes(attachment.data)
        return f"{path} — {attachment.alt_text}"

    async def deliver(self, reply: Reply, *, event: Inbound | None) -> MessageRef | None:
        if isinstance(reply, Send):
            files = [self._save(chat_name(reply.to), reply.attachment)] if reply.attachment else []
            quote = self._first_line(reply.reply_to) if reply.reply_to is not None else None
            message = self._post(
                reply.to, render(reply.body, PLAIN), [list(r) for r in reply.buttons], files, quote=quote
            )
            return MessageRef(reply.to, str(message.id))
        if isinstance(reply, Edit):
            for message in self.chats.get(chat_name(reply.target.chat), []):
                if str(message.id) == reply.target.message_id:
                    message.text = render(reply.body, PLAIN)
                    message.buttons = [list(r) for r in reply.buttons]
                    message.edited = True
                    self.on_change(message, "edited")
            return None
        if isinstance(reply, Notice):
            if event is not None:
                self.toasts.setdefault(event.sender.user_id, []).append(reply.text)
                self.on_change(ConsoleMessage(0, chat_name(event.chat), reply.text), "toast")
            return None
        if isinstance(reply, Invite):
            button = Button(reply.label, INVITE_PREFIX + reply.payload)
            message = self._post(reply.to, render(reply.body, PLAIN), [[button]], [])
            return MessageRef(reply.to, str(message.id))
        if isinstance(reply, AskInput):
            prompt = render(reply.prompt, PLAIN)
            if reply.multiline:
                prompt += "\n\n" + self._multiline_hint(event)
            message = self._post(reply.to, prompt, [list(r) for r in reply.buttons], [])
            return MessageRef(reply.to, str(message.id))
        if isinstance(reply, Forgotten):
            self._forget(chat_name(reply.to))
        return None

    def _forget(self, chat: str) -> None:
        """Nothing said in this private chat so far is kept for the next run, and the files it received
        leave the disk (a calendar, an export): /forget reaches what the terminal keeps outside the
        database too."""
        self.forgotten[chat] = self._next_id
        shutil.rmtree(self._folder(chat), ignore_errors=True)

    def _multiline_hint(self, event: Inbound | None) -> str:
        """How to type several lines in one message, which a terminal does not make obvious (`civicbot
        shell` joins a line ending with a backslash to the next)."""
        engine = self.runtime.engine
        t = translator(engine.language_for(event) if event else engine.settings.default_language)
        return t._("In this terminal, end a line with \\ to go on with the same message on the next line.")

    async def finish(self, event: Inbound) -> None:
        return None


def read_at_most(path: Path, limit: int = MAX_UPLOAD_BYTES) -> bytes | None:
    """The file's content, or None when it is over ``limit`` bytes (then at most ``limit + 1`` are read)."""
    if announced_too_large(path.stat().st_size, limit):
        return None
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None
