"""Telegram updates → the engine's events.

A private chat is addressed by the person's user id (in Telegram it is also the chat id), a group or
supergroup by its chat id. Everything the bot does not handle — channel posts, edited messages, stickers,
people joining, messages from other bots, commands addressed to another bot — becomes no event at all.
"""

from __future__ import annotations

import logging
import re

from telegram import Bot, CallbackQuery, Chat, Message, Update, User

from adapters.telegram.admins import AdminDirectory
from adapters.telegram.prompts import Prompts
from bot.events import (
    ButtonPress,
    ChatRef,
    Command,
    Event,
    FileUpload,
    MessageRef,
    Person,
    TextMessage,
    TypedAnswer,
    parse_command,
)

log = logging.getLogger(__name__)

PLATFORM = "telegram"
COMMUNITY_TYPES = frozenset({Chat.GROUP, Chat.SUPERGROUP})
MAX_DOWNLOAD = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB
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

    async def event(self, update: Update) -> Event | None:
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

    async def _text(self, update: Update, message: Message, user: User) -> Event | None:
        text = message.text or ""
        chat = message.chat
        base = {
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
            return Command(name=name, args=args, sender_is_admin=admin, **base)  # type: ignore[arg-type]
        action = self._prompt_answered(message)
        if action is not None:
            return TypedAnswer(action=action, text=text, **base)  # type: ignore[arg-type]
        return TextMessage(text=text, **base)  # type: ignore[arg-type]

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
        """The file is fetched at once: in a group, privacy mode shows the bot only files meant for it."""
        if message.document is not None:
            media = message.document
            filename = media.file_name or "file"
            media_type = media.mime_type or "application/octet-stream"
        else:
            media = message.photo[-1]  # the largest size
            filename, media_type = f"photo-{message.message_id}.jpg", "image/jpeg"
        if media.file_size is not None and media.file_size > MAX_DOWNLOAD:
            log.info("a file over 20 MB was ignored (the Bot API does not serve it)")
            return None
        telegram_file = await media.get_file()
        data = bytes(await telegram_file.download_as_bytearray())
        return FileUpload(
            sender=person(user),
            chat=chat_ref(message.chat, user),
            chat_title=message.chat.title,
            filename=filename,
            data=data,
            media_type=media_type,
            caption=message.caption or "",
            origin=update,
        )
