"""On Discord, a message the outbox sends twice (a dispatcher killed mid-send, then restarted) is posted
once: every send carries a nonce Discord enforces."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.formatting import doc
from bot.inbound import ChatRef
from bot.replies import Send
from tests.drivers.discord import CHANNELS, DiscordDriver, discord_driver

SQUARE = CHANNELS["square"]


@pytest.fixture
async def discord(tmp_path: Path) -> AsyncIterator[DiscordDriver]:
    async with discord_driver(tmp_path) as driver:
        yield driver


async def test_a_reminder_sent_again_after_a_crash_is_posted_once(discord):
    before = len(discord.server.messages(SQUARE))
    reminder = Send(
        to=ChatRef("discord", str(SQUARE)),
        body=doc("Rappel : réunion publique demain à 19 h"),
        idempotency_key="civicbot-42",
    )
    await discord.app.runtime.send(reminder)
    await discord.app.runtime.send(reminder)  # the same outbox row, re-sent after a crash
    posted = discord.server.messages(SQUARE)[before:]
    assert len(posted) == 1
    assert "Rappel" in posted[0]["content"]


async def test_different_messages_are_all_posted(discord):
    before = len(discord.server.messages(SQUARE))
    for n in range(3):
        await discord.app.runtime.send(
            Send(
                to=ChatRef("discord", str(SQUARE)), body=doc(f"Message {n}"), idempotency_key=f"civicbot-{n}"
            )
        )
    assert len(discord.server.messages(SQUARE)) - before == 3
