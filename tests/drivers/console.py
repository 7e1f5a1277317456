"""The console driver: scenarios played through the console adapter."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from adapters.console.adapter import ConsoleAdapter, ConsoleMessage
from bot.app import App
from bot.clock import ManualClock
from bot.feature import Feature
from bot.features import FEATURES
from config.settings import Settings
from tests.drivers.base import ANNEX_ADMIN, GLOBAL_ADMIN, SQUARE_ADMIN, START, Seen


def console_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        admins=[f"console:{GLOBAL_ADMIN}"],
        live_edit_interval=0,
        files_dir=str(tmp_path / "files"),
        key_dir=tmp_path / "keys",
    )


class ConsoleDriver:
    name = "console"

    def __init__(self, settings: Settings, tmp_path: Path, *, features: Iterable[Feature] = FEATURES) -> None:
        self.settings = settings
        self.tmp_path = tmp_path
        self.clock = ManualClock(START)
        self.features = tuple(features)  # (a test may add a feature of its own)
        self.app = App.build(settings, clock=self.clock, edit_interval=0, features=self.features)
        self.console = self._adapter()

    def _adapter(self) -> ConsoleAdapter:
        return ConsoleAdapter(
            self.app.runtime,
            files_dir=Path(self.settings.files_dir),
            admins={"square": {GLOBAL_ADMIN, SQUARE_ADMIN}, "annex": {GLOBAL_ADMIN, ANNEX_ADMIN}},
        )

    async def start(self) -> None:
        await self.app.start(dispatcher=False)
        # the bot has been added to both communities and has seen them (as the platform would report)
        for chat in ("square", "annex"):
            await self.console.type(SQUARE_ADMIN, chat, "/start")
        for chat in ("square", "annex"):
            self.console.chats.pop(chat, None)

    async def stop(self) -> None:
        await self.app.stop()

    async def restart(self) -> None:
        old = self.console
        await self.app.stop()
        self.app = App.build(self.settings, clock=self.clock, edit_interval=0, features=self.features)
        self.console = self._adapter()
        self.console.chats, self.console.toasts, self.console._next_id = old.chats, old.toasts, old._next_id
        self.console.blocked = old.blocked
        await self.app.start(dispatcher=False)

    async def send(self, person: str, text: str, *, chat: str = "square") -> None:
        await self.console.type(person, chat, text)
        await self.settle()

    def _latest_with_buttons(self, chat: str) -> ConsoleMessage:
        messages = self.console.chats.get(chat, [])
        assert messages, f"{chat} received nothing"
        return next((m for m in reversed(messages) if m.buttons), messages[-1])

    def identity(self, person: str) -> str:
        return f"console:{person}"

    def block_bot(self, person: str) -> None:
        self.console.blocked.add(person)

    async def upload(self, person: str, filename: str, data: bytes, *, chat: str) -> None:
        await self.console.upload(person, chat, filename, data)
        await self.settle()

    async def press(self, person: str, label: str, *, chat: str = "square") -> str | None:
        for message in reversed(self.console.chats.get(chat, [])):
            for row in message.buttons:
                for button in row:
                    if button.label == label:
                        before = len(self.console.toasts.get(person, []))
                        await self.console.press(person, chat, message, button)
                        await self.settle()
                        return self._toast_since(person, before)
        raise AssertionError(
            f"no button {label!r} in {chat}: {[m.labels for m in self.console.chats.get(chat, [])]}"
        )

    async def press_raw(self, person: str, action: str, *, chat: str = "square") -> str | None:
        message = self._latest_with_buttons(chat)
        before = len(self.console.toasts.get(person, []))
        await self.console.press_action(person, chat, action, message.id)
        await self.settle()
        return self._toast_since(person, before)

    def button_action(self, label: str, *, chat: str = "square") -> str:
        """The data behind a button, as a curious resident could read it."""
        for message in reversed(self.console.chats.get(chat, [])):
            for row in message.buttons:
                for button in row:
                    if button.label == label:
                        return button.action
        raise AssertionError(f"no button {label!r} in {chat}")

    def _toast_since(self, person: str, before: int) -> str | None:
        toasts = self.console.toasts.get(person, [])
        return toasts[-1] if len(toasts) > before else None

    def messages(self, chat: str) -> list[Seen]:
        return [
            Seen(text=m.text, buttons=m.labels, edited=m.edited, files=list(m.files), quote=m.quote)
            for m in self.console.chats.get(chat, [])
        ]

    async def settle(self) -> None:
        await self.app.deadlines.settle()
        await self.app.runtime.settle()
        await self.app.dispatcher.drain()


def make_driver(database_url: str, tmp_path: Path) -> ConsoleDriver:
    return ConsoleDriver(console_settings(database_url, tmp_path), tmp_path)
