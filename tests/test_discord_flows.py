"""Private flows and rights on Discord: the guided poll in DMs with modals, invitations, closed DMs,
organizers read from the interaction, and interactions that are always answered, even when work is slow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import ids
from storage.residents import find_resident
from tests.drivers.base import last, texts
from tests.drivers.discord import CHANNELS, GUILD_ID, DiscordDriver, discord_driver
from tests.fakes.discord_api import MESSAGE_FLAG_EPHEMERAL, PERM_MANAGE_EVENTS

SQUARE = CHANNELS["square"]


@pytest.fixture
async def discord(tmp_path: Path) -> AsyncIterator[DiscordDriver]:
    async with discord_driver(tmp_path) as driver:
        yield driver


def modal_input(modal: dict[str, Any]) -> dict[str, Any]:
    (label,) = modal["components"]
    assert label["type"] == 18, "a Label wraps the text input"
    return {**label["component"], "label": label["label"]}


def every_interaction_answered(driver: DiscordDriver) -> None:
    for record in driver.server.interactions.values():
        assert record.callback_type is not None, f"interaction {record.payload.get('data')} failed"
        assert not record.rejected, record.rejected


async def test_the_guided_poll_runs_in_dms_and_asks_with_modals(discord: DiscordDriver):
    await discord.send("alice", "/poll", chat="@alice")
    opened = [r for r in discord.server.interactions.values() if r.command_name == "poll"][-1]
    assert opened.callback_type == 9, "the slash command opens the modal at once"
    modal = opened.callback_data or {}
    assert modal["title"] == "Votre réponse"
    field = modal_input(modal)
    assert field["label"] == "Question" and field["max_length"] == 300 and field["style"] == 2
    prompt = discord.bot_messages("@alice")[-1]
    assert "Quelle est votre question ?" in discord.messages("@alice")[-1].text, "the prompt stays in the DM"
    assert discord.messages("@alice")[-1].buttons == ["Répondre"]
    assert prompt["components"][0]["components"][0]["custom_id"].startswith(ids.ANSWER)

    await discord.send("alice", "Faut-il une boîte à livres ?", chat="@alice")  # typed in the open modal
    submit = [r for r in discord.server.interactions.values() if r.type == 5][-1]
    assert submit.callback_type == 4 and not submit.ephemeral
    assert "Étape 2 sur 4" in last(discord, "@alice").text

    await discord.send("alice", "Oui\nNon\nSans avis", chat="@alice")  # Answer button → modal → submit
    second = next(
        r for r in discord.server.interactions.values() if r.custom_id and r.custom_id.startswith("a:")
    )
    assert second.callback_type == 9
    assert modal_input(second.callback_data or {})["max_length"] == 1100
    assert "Étape 3 sur 4" in last(discord, "@alice").text

    await discord.press("alice", "Continuer →", chat="@alice")
    await discord.press("alice", "Place du village", chat="@alice")
    assert await discord.press("alice", "Publier", chat="@alice") == "Publié."
    assert "publié" in last(discord, "@alice").text
    card = discord.bot_messages("square")[-1]
    assert card["interaction_id"] is None, "posted in the channel, not as an answer to alice"
    assert discord.messages("square")[-1].buttons == ["Oui", "Non", "Sans avis"]
    every_interaction_answered(discord)


async def test_an_invitation_opens_the_dm_and_says_so_privately(discord: DiscordDriver):
    await discord.send("alice", "/poll")
    invitation = last(discord)
    assert "conversation privée" in invitation.text and invitation.buttons == [
        "Ouvrir la conversation privée"
    ]
    answer = await discord.press("alice", "Ouvrir la conversation privée")
    dm = discord.server.dm_channel_of(discord.user_id("alice"))
    assert answer == f"Je vous ai écrit en message privé : https://discord.com/channels/@me/{dm}"
    assert "Quelle est votre question ?" in last(discord, "@alice").text
    every_interaction_answered(discord)


async def test_a_member_whose_dms_are_closed_gets_a_private_explanation(discord: DiscordDriver):
    discord.server.set_dms_closed(discord.user_id("bob"))
    await discord.send("bob", "/forget")
    answer = await discord.press("bob", "Ouvrir la conversation privée")
    assert answer is not None and "messages privés sont fermés" in answer
    assert discord.messages("@bob") == []
    resident = await find_resident(discord.app.db, "discord", str(discord.user_id("bob")))
    assert resident is not None and resident.unreachable, "the runtime marks the resident unreachable"
    every_interaction_answered(discord)


async def test_a_member_without_rights_is_refused_and_permissions_or_the_role_make_an_organizer(
    tmp_path: Path,
):
    async with discord_driver(tmp_path, discord_organizer_role="Conseil") as discord:
        await discord.send("bob", "/poll Question ? | Oui | Non")
        assert "Désolé, seuls les organisateurs peuvent utiliser /sondage." in last(discord).text
        assert discord.messages("square")[-1].buttons == []

        server = discord.server
        events_role = server.add_role(GUILD_ID, 700_000_000_000_000_001, "Événements", PERM_MANAGE_EVENTS)
        council_role = server.add_role(GUILD_ID, 700_000_000_000_000_002, "conseil", 0)
        for role in (events_role, council_role):
            await discord.harness.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(GUILD_ID), "role": role})
        server.add_member(GUILD_ID, discord.user_id("carol"), roles=[int(events_role["id"])])
        server.add_member(GUILD_ID, discord.user_id("dave"), roles=[int(council_role["id"])])

        await discord.send("carol", "/poll Question de Carol ? | Oui | Non")
        assert discord.messages("square")[-1].buttons == ["Oui", "Non"], "Manage Events makes an organizer"
        await discord.send("dave", "/poll Question de Dave ? | Oui | Non")
        assert discord.messages("square")[-1].buttons == ["Oui", "Non"], "the organizer role, any case"
        await discord.send("bob", "/close")
        assert "seuls les organisateurs" in last(discord).text


async def test_slow_work_is_deferred_first_and_every_interaction_is_still_answered(
    discord: DiscordDriver, monkeypatch: pytest.MonkeyPatch
):
    handle = discord.app.engine.handle

    async def slow_handle(event: Any) -> Any:
        await asyncio.sleep(0.25)
        return await handle(event)

    monkeypatch.setattr(discord.app.engine, "handle", slow_handle)
    discord.platform.router.defer_after = 0.05
    discord.server.interaction_deadline = 0.2  # an answer after this fails, as after Discord's 3 s

    await discord.send("alice", "/poll Long à venir ? | Oui | Non")
    command = [r for r in discord.server.interactions.values() if r.command_name == "poll"][-1]
    assert command.callback_type == 5, "deferred with a 'thinking…' state"
    assert command.original is not None and "Long à venir ?" in command.original["content"]
    assert discord.messages("square")[-1].buttons == ["Oui", "Non"]
    assert not discord.messages("square")[-1].edited

    assert await discord.press("bob", "Oui") == "Vote enregistré : Oui"
    vote = [r for r in discord.server.interactions.values() if r.type == 3][-1]
    assert vote.callback_type == 6, "a slow press is a deferred update of the card"
    assert vote.followups and vote.followups[-1]["flags"] & MESSAGE_FLAG_EPHEMERAL

    await discord.send("carol", "/lang", chat="@carol")
    assert await discord.press("carol", "English", chat="@carol") == "English"
    every_interaction_answered(discord)
    assert "1 votant" in last(discord).text


async def test_a_dm_message_continues_a_flow_and_the_answers_are_escaped_markdown(discord: DiscordDriver):
    await discord.send("alice", "/poll", chat="@alice")
    await discord.send("alice", "/cancel", chat="@alice")
    await discord.send("alice", "*pas* une __commande__", chat="@alice")  # a plain DM message
    assert "/aide" in last(discord, "@alice").text
    await discord.send("alice", "/poll **Gras** ? ~~barré~~ _souligné_ # titre | `Oui` | Non")
    card = discord.bot_messages("square")[-1]["content"]
    assert "\\*\\*Gras\\*\\*" in card and "\\~\\~barré\\~\\~" in card and "\\_souligné\\_" in card
    assert "**Gras** ? ~~barré~~ _souligné_ # titre" in texts(discord)
    assert discord.messages("square")[-1].buttons == ["`Oui`", "Non"]
