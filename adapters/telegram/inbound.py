"""Telegram updates → the engine's events.

A private chat is addressed by the person's user id (in Telegram it is also the chat id), a group or
supergroup by its chat id. Everything the bot does not handle — channel posts, edited messages, stickers,
people joining, messages from other bots, commands addressed to another bot — becomes no event at all.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from telegram import Bot, CallbackQuery, Chat, Document, File, Message, PhotoSize, Update, User

from adapters.telegram.admins import AdminDirectory
from adapters.telegram.prompts import Prompts
from bot.inbound import (
    ButtonPress,
    ChatRef,
    Command,
    FileUpload,
    Inbound,
    MessageRef,
    Person,
    TextMessage,
    TypedAnswer,
    parse_command,
)
from bot.uploads import MAX_UPLOAD_BYTES, announced_too_large, read_limited

log = logging.getLogger(__name__)

PLATFORM = "telegram"
COMMUNITY_TYPES = frozenset({Chat.GROUP, Chat.SUPERGROUP})
DOWNLOAD_TIMEOUT = 30.0
_FIRST_SPACE = re.compile(r"\s")


def person(user: User) -> Person:
    return Person(PLATFORM, str(user.id), user.full_name, user.language_code)


def chat_ref(chat: Chat, user: User) -> ChatRef:
    if chat.type == Chat.PRIVATE:
        return ChatRef.private(PLATFORM, str(user.id))
    return ChatRef(PLATFORM, str(chat.id))


class UpdateReader:
    """Builds the event for an update; only a command in a group costs a request (its sender's rights)."""

    def __init__(self, bot: Bot, admins: AdminDirectory, prompts: Prompts) -> None:
        self.bot = bot
        self.admins = admins
        self.prompts = prompts

    async def event(self, update: Update) -> Inbound | None:
        if update.callback_query is not None:
            return self.button(update, update.callback_query)
        message = update.message
        if message is None or message.from_user is None or message.from_user.is_bot:
            return None
        if message.chat.type != Chat.PRIVATE and message.chat.type not in COMMUNITY_TYPES:
            return None
        if message.text is not None:
            return await self._text(update, message, message.from_user)
        if message.document is not None or message.photo:
            return await self._file(update, message, message.from_user)
        return None

    def button(self, update: Update, query: CallbackQuery) -> ButtonPress | None:
        message = query.message
        if query.data is None or message is None:  # a game, or a button under an inline-mode message
            return None
        chat = message.chat
        if chat.type != Chat.PRIVATE and chat.type not in COMMUNITY_TYPES:
            return None
        ref = chat_ref(chat, query.from_user)
        return ButtonPress(
            sender=person(query.from_user),
            chat=ref,
            chat_title=chat.title,
            action=query.data,
            message=MessageRef(ref, str(message.message_id)),
            origin=update,
        )

    async def _text(self, update: Update, message: Message, user: User) -> Inbound | None:
        text = message.text or ""
        chat = message.chat
        base: dict[str, Any] = {
            "sender": person(user),
            "chat": chat_ref(chat, user),
            "chat_title": chat.title,
            "origin": update,
        }
        command = self._command(text)
        if command is not None:
            if command == ("", ""):
                return None  # addressed to another bot
            name, args = command
            admin = chat.type != Chat.PRIVATE and await self.admins.is_admin(chat.id, user.id)
            return Command(name=name, args=args, sender_is_admin=admin, **base)
        action = self._prompt_answered(message)
        if action is not None:
            return TypedAnswer(action=action, text=text, **base)
        return TextMessage(text=text, **base)

    def _command(self, text: str) -> tuple[str, str] | None:
        """(name, args) for `/name[@bot] args` — a line break after the name counts as a space; ("", "")
        for a command addressed to another bot; None for anything else."""
        if not text.startswith("/"):
            return None
        head, *rest = _FIRST_SPACE.split(text, maxsplit=1)
        parsed = parse_command(f"{head} {rest[0]}" if rest else head)
        if parsed is None:
            return None
        _, at, addressee = head.partition("@")
        if at and addressee.lower() != (self.bot.username or "").lower():
            return ("", "")
        return parsed

    def _prompt_answered(self, message: Message) -> str | None:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or replied.from_user.id != self.bot.id:
            return None
        return self.prompts.action(message.chat.id, replied.message_id)

    async def _file(self, update: Update, message: Message, user: User) -> FileUpload | None:
        """The file is fetched at once (in a group, privacy mode shows the bot only files meant for it), but
        only when its announced size fits, and only up to the limit (see bot.uploads)."""
        if message.document is not None:
            media: Document | PhotoSize = message.document
            filename = message.document.file_name or "file"
            media_type = message.document.mime_type or "application/octet-stream"
        else:
            media = message.photo[-1]  # the largest size
            filename, media_type = f"photo-{message.message_id}.jpg", "image/jpeg"
        data: bytes | None = None
        if not announced_too_large(media.file_size):
            telegram_file = await media.get_file()
            if not announced_too_large(telegram_file.file_size):
                data = await download(telegram_file)
        return FileUpload(
            sender=person(user),
            chat=chat_ref(message.chat, user),
            chat_title=message.chat.title,
            filename=filename,
            data=data or b"",
            too_large=data is None,
            media_type=media_type,
            caption=message.caption or "",
            origin=update,
        )


async def download(telegram_file: File) -> bytes | None:
    """The file's content, read as a stream that stops past MAX_UPLOAD_BYTES (None then). PTB's own download
    reads the whole file first. A local Bot API server (``--local``) gives a path on disk instead of a URL."""
    location = telegram_file.file_path or ""
    if urlsplit(location).scheme not in ("http", "https"):
        content = await asyncio.to_thread(_read_local, Path(location))
        return content if len(content) <= MAX_UPLOAD_BYTES else None
    async with (
        httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT) as client,
        client.stream("GET", location) as response,
    ):
        response.raise_for_status()
        if announced_too_large(int(response.headers.get("content-length", "0") or 0)):
            return None
        return await read_limited(response.aiter_bytes())


def _read_local(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_UPLOAD_BYTES + 1)
