"""On a Discord server where the bot may manage events, each civicbot event also appears in the server's
Events tab, and stays in step with edits and cancellation; where it may not, the card alone announces it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import events as store
from tests.drivers.discord import GUILD_ID, DiscordDriver, discord_driver
from tests.fakes.discord_api import PERM_CREATE_EVENTS, PERM_MANAGE_EVENTS

EVENT = "/event Réunion publique — budget 2027 | samedi 19h | Salle des fêtes | Venez avec vos questions"
SATURDAY_7PM_UTC = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)  # 19:00 in Paris


def scheduled_events(discord: DiscordDriver) -> list[dict]:
    return [e for e in discord.server.scheduled_events.values() if e["guild_id"] == str(GUILD_ID)]


def instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)


@pytest.fixture
async def discord(tmp_path: Path) -> AsyncIterator[DiscordDriver]:
    async with discord_driver(tmp_path, bot_permissions=PERM_MANAGE_EVENTS) as driver:
        yield driver


async def test_an_event_is_also_created_in_the_servers_events_with_its_time_and_place(discord):
    await discord.send("alice", EVENT)

    [event] = scheduled_events(discord)
    assert event["name"] == "Réunion publique — budget 2027"
    assert instant(event["scheduled_start_time"]) == SATURDAY_7PM_UTC
    assert (instant(event["scheduled_end_time"]) - SATURDAY_7PM_UTC).total_seconds() == 2 * 3600
    assert event["entity_metadata"]["location"] == "Salle des fêtes"
    assert event["description"] == "Venez avec vos questions"
    assert event["entity_type"] == 3 and event["privacy_level"] == 2 and event["status"] == 1
    stored = await store.get_event(discord.app.db, 1)
    assert stored is not None and stored.native_event_id == event["id"]
    assert "Réunion publique" in discord.messages("square")[-1].text, "the card is posted as everywhere"


async def test_an_edit_moves_the_servers_event_and_a_cancellation_cancels_it(discord):
    await discord.send("alice", EVENT)
    await discord.send("alice", "/event_edit 1 Budget 2027 | dimanche 18h | Mairie, salle 2")

    [event] = scheduled_events(discord)
    assert event["name"] == "Budget 2027"
    assert instant(event["scheduled_start_time"]) == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    assert event["entity_metadata"]["location"] == "Mairie, salle 2"
    assert event["status"] == 1

    await discord.send("alice", "/event_cancel 1")
    [event] = scheduled_events(discord)
    assert event["status"] == 4, "Discord's 'canceled'"
    assert len(discord.server.calls_to("POST /guilds/{guild_id}/scheduled-events")) == 1


async def test_an_event_a_moderator_deleted_on_discord_comes_back_with_the_next_edit(discord):
    await discord.send("alice", EVENT)
    discord.server.scheduled_events.clear()
    await discord.send("alice", "/event_edit 1 place Mairie")
    [event] = scheduled_events(discord)
    assert event["entity_metadata"]["location"] == "Mairie"
    stored = await store.get_event(discord.app.db, 1)
    assert stored is not None and stored.native_event_id == event["id"]


async def test_create_events_is_enough_for_the_events_the_bot_made(tmp_path: Path):
    async with discord_driver(tmp_path, bot_permissions=PERM_CREATE_EVENTS) as discord:
        await discord.send("alice", EVENT)
        await discord.send("alice", "/event_cancel 1")
        [event] = scheduled_events(discord)
        assert event["status"] == 4


async def test_without_the_permission_only_the_card_announces_the_event(tmp_path: Path):
    async with discord_driver(tmp_path) as discord:
        await discord.send("alice", EVENT)
        await discord.send("alice", "/event_edit 1 place Mairie")
        await discord.send("alice", "/event_cancel 1")
        assert scheduled_events(discord) == []
        assert discord.server.calls_to("POST /guilds/{guild_id}/scheduled-events") == []
        assert any("Réunion publique" in m.text for m in discord.messages("square"))


async def test_the_servers_event_ends_when_the_event_does(discord):
    await discord.send("alice", "/event Réunion publique | samedi 19h-22h30 | Salle des fêtes")
    [event] = scheduled_events(discord)
    assert instant(event["scheduled_start_time"]) == SATURDAY_7PM_UTC
    assert instant(event["scheduled_end_time"]) == datetime(2026, 11, 28, 21, 30, tzinfo=UTC)

    await discord.send("alice", "/event_edit 1 end 21h")
    [event] = scheduled_events(discord)
    assert instant(event["scheduled_end_time"]) == datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    await discord.send("alice", "/event_edit 1 when dimanche 18h")
    [event] = scheduled_events(discord)
    assert instant(event["scheduled_start_time"]) == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    assert instant(event["scheduled_end_time"]) == datetime(2026, 11, 29, 19, 0, tzinfo=UTC), "moved along"
