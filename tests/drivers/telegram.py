"""The Telegram driver: scenarios played through the real python-telegram-bot `Application` and the Telegram
adapter, against the fake Bot API server (real HTTP on 127.0.0.1).

People are Telegram users (alice is a global admin as `telegram:<id>`; olivia administers the "square"
group on Telegram); "square" and "annex" are supergroups the bot is in; "@bob" is bob's private chat, which
he has started by writing to the bot. What a scenario sees is what the fake recorded: the bot's messages as
a Telegram client shows them (HTML parsed, edits applied), and the toast that answered each tap.
"""

from __future__ import annotations

import mimetypes
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from adapters.telegram import Limits, TelegramPlatform
from bot.app import App
from bot.clock import ManualClock
from config.settings import Settings
from tests import databases
from tests.drivers.base import ANNEX_ADMIN, COMMUNITIES, GLOBAL_ADMIN, SQUARE_ADMIN, START, Seen
from tests.fakes.telegram_api import FakeMessage, FakeTelegramServer

GROUPS = {"square": (-1001000000001, "Place du village"), "annex": (-1001000000002, "Annexe")}
KNOWN_PEOPLE = {"alice": 1001, "bob": 1002, "carol": 1003, "dave": 1004, "olivia": 1005}


class TelegramDriver:
    name = "telegram"

    def __init__(
        self,
        database_url: str,
        tmp_path: Path,
        *,
        edit_interval: float = 0.0,
        limits: Limits | None = None,
        webhook: bool = False,
    ) -> None:
        """The scenario suite uses the defaults (no pacing, no coalescing, long polling); Telegram's own
        tests turn on live-edit coalescing, rate limits or webhook mode."""
        self.database_url = database_url
        self.tmp_path = tmp_path
        self.edit_interval = edit_interval
        self.limits = limits if limits is not None else Limits.unlimited()
        self.webhook_port = free_port() if webhook else None
        self.clock = ManualClock(START)
        self.fake = FakeTelegramServer()
        self.people = dict(KNOWN_PEOPLE)
        self._hidden: dict[int, int] = {}  # chat id → messages up to this id are not the scenario's
        self.app: App
        self.platform: TelegramPlatform

    # -- lifecycle -------------------------------------------------------------------------------------------

    @property
    def webhook_url(self) -> str | None:
        return f"http://127.0.0.1:{self.webhook_port}/telegram" if self.webhook_port else None

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            database_url=self.database_url,
            admins=[f"telegram:{self.user(GLOBAL_ADMIN)}"],
            live_edit_interval=self.edit_interval,
            files_dir=str(self.tmp_path / "files"),
            key_dir=self.tmp_path / "keys",
            telegram_token=self.fake.token,
            telegram_api_url=self.fake.base_url,
            telegram_webhook_url=self.webhook_url,
            PORT=self.webhook_port or 8080,
        )

    async def start(self) -> None:
        await self.fake.start()
        square_id, square_title = GROUPS["square"]
        annex_id, annex_title = GROUPS["annex"]
        self.fake.add_group(square_id, square_title, admins=[self.user(SQUARE_ADMIN)])
        self.fake.add_group(annex_id, annex_title, admins=[self.user(GLOBAL_ADMIN), self.user(ANNEX_ADMIN)])
        await self._boot()
        # the bot has been added to both groups and has seen them, as a platform would report
        for chat in COMMUNITIES:
            await self.send(SQUARE_ADMIN, "/start", chat=chat)
        for chat in COMMUNITIES:
            chat_id = GROUPS[chat][0]
            self._hidden[chat_id] = max((m.message_id for m in self.fake.messages(chat_id)), default=0)

    async def _boot(self) -> None:
        settings = self.settings()
        self.app = App.build(settings, clock=self.clock, edit_interval=self.edit_interval)
        self.platform = TelegramPlatform(
            self.app, settings, limits=self.limits, listen="127.0.0.1", poll_timeout=10.0
        )
        await self.app.start(
            dispatcher=False, scheduler=False
        )  # settle() drains the outbox, deterministically
        await self.platform.start()
        await self.app.deadlines.start()  # as the launcher does: once the platform can deliver

    async def _shutdown(self) -> None:
        await self.app.deadlines.stop()
        await self.platform.stop()
        await self.app.stop()

    async def stop(self) -> None:
        try:
            await self._shutdown()
        finally:
            await self.fake.stop()

    async def restart(self) -> None:
        """A new process on the same database and the same Telegram (what was sent stays sent)."""
        await self._shutdown()
        await self._boot()

    async def settle(self) -> None:
        """Until Telegram has nothing queued, the bot has handled every update, and live edits are out."""
        while True:
            served = self.fake.requests_served
            if self.webhook_port and self.fake.pending_updates:
                await self.fake.flush_webhook()  # Telegram posts each queued update to the webhook
            await self.app.deadlines.settle()
            # no quiet period: this loop runs until a whole round served no request, and each step of it
            # awaits what it started (a handler's calls, live edits, the outbox), so waiting 20 ms for
            # follow-up calls twice per settle only slept
            await self.fake.wait_idle(settle=0)
            await self.platform.settle()
            await self.app.runtime.settle()
            await self.app.dispatcher.drain()
            if self.fake.requests_served == served and not self.fake.pending_updates:
                return

    # -- people and chats ------------------------------------------------------------------------------------

    def block_bot(self, person: str) -> None:
        self.fake.block(self.user(person))

    def user(self, person: str) -> int:
        if person not in self.people:
            self.people[person] = 2000 + len(self.people)
        user_id = self.people[person]
        if user_id not in self.fake.users:  # a French commune: the apps speak French
            self.fake.add_user(user_id, person.capitalize(), language_code="fr")
        return user_id

    def identity(self, person: str) -> str:
        """`telegram:<user id>`, as CIVICBOT_ADMINS and the audit log write it."""
        return f"telegram:{self.user(person)}"

    def chat_id(self, chat: str) -> int:
        if chat.startswith("@"):
            return self.user(chat[1:])
        return GROUPS[chat][0]

    def _visible(self, chat: str) -> list[FakeMessage]:
        chat_id = self.chat_id(chat)
        hidden = self._hidden.get(chat_id, 0)
        return [m for m in self.fake.messages(chat_id) if m.message_id > hidden]

    # -- what people do --------------------------------------------------------------------------------------

    async def send(self, person: str, text: str, *, chat: str = "square") -> None:
        if chat.startswith("@") and chat[1:] != person:
            raise AssertionError(f"{person} cannot write in {chat}")
        self.fake.send_text(self.user(person), self.chat_id(chat), text)
        await self.settle()

    async def upload(self, person: str, filename: str, data: bytes, *, chat: str) -> None:
        """A document, as the Telegram app sends a file (the bot fetches it with getFile)."""
        media_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        self.fake.send_document(self.user(person), self.chat_id(chat), filename, data, mime_type=media_type)
        await self.settle()

    async def press(self, person: str, label: str, *, chat: str = "square") -> str | None:
        for message in reversed(self._visible(chat)):
            for button in message.buttons:
                if button["text"] != label:
                    continue
                if "url" in button:  # a deep link: the app opens the private chat and sends /start payload
                    payload = parse_qs(urlsplit(button["url"]).query)["start"][0]
                    await self.send(person, f"/start {payload}", chat=f"@{person}")
                    return None
                return await self._tap(person, chat, message, button["callback_data"])
        raise AssertionError(f"no button {label!r} in {chat}: {[m.buttons for m in self._visible(chat)]}")

    async def press_raw(self, person: str, action: str, *, chat: str = "square") -> str | None:
        messages = self._visible(chat)
        assert messages, f"{chat} received nothing"
        message = next((m for m in reversed(messages) if m.buttons), messages[-1])
        return await self._tap(person, chat, message, action)

    async def _tap(self, person: str, chat: str, message: FakeMessage, data: str) -> str | None:
        query_id = self.fake.press(
            self.user(person), self.chat_id(chat), message.message_id, data, strict=False
        )
        await self.settle()
        answer = self.fake.answered_callbacks.get(query_id)
        assert answer is not None, "every tap is answered"
        return answer["text"]

    def button_action(self, label: str, *, chat: str = "square") -> str:
        """The data behind a button, as a curious resident could read it."""
        for message in reversed(self._visible(chat)):
            for button in message.buttons:
                if button["text"] == label and "callback_data" in button:
                    return str(button["callback_data"])
        raise AssertionError(f"no button {label!r} in {chat}")

    # -- what people see -------------------------------------------------------------------------------------

    def messages(self, chat: str) -> list[Seen]:
        everything = {m.message_id: m for m in self.fake.messages(self.chat_id(chat))}

        def quote(m: FakeMessage) -> str | None:
            target = everything.get(m.reply_to_message_id or 0)
            return (target.plain_text.splitlines() or [""])[0] if target is not None else None

        return [
            Seen(
                text=m.plain_text,
                buttons=[b["text"] for b in m.buttons],
                edited=m.edits > 0,
                files=[m.filename or m.kind] if m.file is not None else [],
                quote=quote(m),
            )
            for m in self._visible(chat)
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_driver(database_url: str, tmp_path: Path) -> TelegramDriver:
    return TelegramDriver(database_url, tmp_path)


@asynccontextmanager
async def running_bot(tmp_path: Path, **options: Any) -> AsyncIterator[TelegramDriver]:
    """A started driver on a fresh SQLite database, for Telegram's own tests (options: see the driver)."""
    async with databases.database_url("sqlite", tmp_path) as url:  # a copy of a migrated file: quicker
        driver = TelegramDriver(url, tmp_path, **options)
        await driver.start()
        try:
            yield driver
        finally:
            await driver.stop()
