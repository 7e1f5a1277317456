"""The neutral test driver: what a scenario can do and see, whatever the platform.

A scenario speaks of people (alice, bob…) and chats ("square", "annex", "@bob" for bob's private chat with
the bot). Each platform's driver maps those to its own ids and drives its real adapter, so the same
scenario proves the console, Telegram and Discord adapters alike.

People: alice is a global organizer (CIVICBOT_ADMINS); olivia administers the square on its platform but is
not a global organizer; oscar administers the annex only (on Discord the annex is another server);
everybody else is a resident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bot.app import App
from bot.clock import ManualClock

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a Thursday, 10:00 in Paris
GLOBAL_ADMIN = "alice"
SQUARE_ADMIN = "olivia"
ANNEX_ADMIN = "oscar"  # administers the annex only: an organizer of another community than the square
COMMUNITIES = ("square", "annex")


@dataclass
class Seen:
    """One message as the person reading the chat sees it now (edits applied)."""

    text: str
    buttons: list[str] = field(default_factory=list)
    edited: bool = False
    files: list[str] = field(default_factory=list)  # filenames of images and files, with their alt text
    quote: str | None = None  # the first line of the earlier message this one replies to (a quote)

    def __contains__(self, fragment: str) -> bool:
        return fragment in self.text


class Driver(Protocol):
    name: str
    clock: ManualClock
    app: App

    async def send(self, person: str, text: str, *, chat: str = "square") -> None:
        """`person` types `text` (a command or a message) in `chat`."""

    async def press(self, person: str, label: str, *, chat: str = "square") -> str | None:
        """`person` taps the button labelled `label` on the latest message of `chat` that has one; returns
        the acknowledgement they see (a toast), if any."""

    async def press_raw(self, person: str, action: str, *, chat: str = "square") -> str | None:
        """Tap a button whose data is `action` exactly (forged data included), on the latest message."""

    def button_action(self, label: str, *, chat: str = "square") -> str:
        """The data behind a button, as a curious resident could read it."""

    def identity(self, person: str) -> str:
        """`platform:user_id` of a person, as CIVICBOT_ADMINS and the audit log write it."""
        ...

    async def upload(self, person: str, filename: str, data: bytes, *, chat: str) -> None:
        """`person` sends a file in `chat` (a Telegram document, a Discord attachment)."""

    def messages(self, chat: str) -> list[Seen]: ...

    def block_bot(self, person: str) -> None:
        """`person` blocks the bot (on Discord: closes their private messages): from now on, what the bot
        sends them privately is refused for good."""

    async def restart(self) -> None:
        """Stop the process and start a new one on the same database (and the same platform state)."""

    async def settle(self) -> None:
        """Wait until everything in flight has been delivered."""


def last(driver: Driver, chat: str = "square") -> Seen:
    messages = driver.messages(chat)
    assert messages, f"{chat} received nothing"
    return messages[-1]


def texts(driver: Driver, chat: str = "square") -> str:
    return "\n---\n".join(m.text for m in driver.messages(chat))
