"""Micro-polls on Discord, through discord.py's real code and the fake Discord API: votes and their ephemeral
acknowledgements, live edits of the card, results, closing, restarts, mentions and Discord's layout limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import ids
from adapters.discord.components import ActionButton, keyboard_view, reflow
from bot.replies import Button
from tests.drivers.base import last
from tests.drivers.discord import CHANNELS, DiscordDriver, discord_driver
from tests.fakes.discord_api import MESSAGE_FLAG_EPHEMERAL, ROUTE_CREATE_MESSAGE, ROUTE_EDIT_MESSAGE
from tests.scenarios.test_micro_polls import normalized

SQUARE = CHANNELS["square"]


@pytest.fixture
async def discord(tmp_path: Path) -> AsyncIterator[DiscordDriver]:
    async with discord_driver(tmp_path) as driver:
        yield driver


def card_of(driver: DiscordDriver, chat: str = "square") -> dict[str, Any]:
    """The stored Discord message of the first poll card in `chat`."""
    return next(m for m in driver.server.messages(CHANNELS[chat]) if m["components"])


def bot_payloads(driver: DiscordDriver) -> list[Any]:
    """Every message the bot created or edited, as sent (channel messages, interaction answers, webhooks)."""
    payloads = []
    for call in driver.server.calls:
        body = call.json
        if call.route and "/callback" in call.route and isinstance(body, dict):
            body = body.get("data") if body.get("type") in (4, 7) else None
        if (
            isinstance(body, dict)
            and ("content" in body or "embeds" in body)
            and call.method in ("POST", "PATCH")
        ):
            payloads.append(body)
    return payloads


async def test_members_vote_move_and_withdraw_and_each_tap_is_acknowledged_privately(discord: DiscordDriver):
    await discord.send("alice", "/poll Quel jour pour la fête ? | Samedi | Dimanche")
    card = card_of(discord)
    record = discord.server.interactions[card["interaction_id"]]
    assert record.callback_type == 4 and not record.ephemeral, "the card is the slash command's public answer"

    assert await discord.press("bob", "Samedi") == "Vote enregistré : Samedi"
    assert await discord.press("carol", "Dimanche") == "Vote enregistré : Dimanche"
    assert await discord.press("bob", "Dimanche") == "Vote déplacé vers : Dimanche"
    assert await discord.press("dave", "Samedi") == "Vote enregistré : Samedi"
    assert await discord.press("dave", "Samedi") == "Vote retiré : Samedi"

    text = normalized(last(discord).text)
    assert "Samedi : 0 (0 %)" in text and "Dimanche : 2 (100 %)" in text and "2 votants" in text
    votes = [r for r in discord.server.interactions.values() if r.type == 3]
    assert len(votes) == 5
    assert all(r.callback_type == 4 and r.ephemeral for r in votes), "each tap: one ephemeral answer"
    assert all(m["flags"] & MESSAGE_FLAG_EPHEMERAL for r in votes for m in [r.original] if m)
    assert len(discord.messages("square")) == 1, "the card is edited in place"
    assert card["edit_count"] == 5


async def test_a_burst_of_votes_is_coalesced_into_a_few_edits_showing_the_last_state(tmp_path: Path):
    async with discord_driver(tmp_path, edit_interval=0.3) as driver:
        await driver.send("alice", "/poll Un marché le dimanche ? | Oui | Non")
        card = card_of(driver)
        voters = [f"resident{n}" for n in range(30)]
        for person in voters:
            payload = driver.harness.button_press(
                ids.button_id(driver.button_action("Oui")), int(card["id"]), **driver.who(person)
            )
            await driver.harness.feed(payload)
        await driver.settle()
        edits = [
            c for c in driver.server.calls_to(ROUTE_EDIT_MESSAGE) if c.params["message_id"] == card["id"]
        ]
        assert 1 <= len(edits) <= 3, f"{len(edits)} edits for 30 votes"
        assert "Oui : 30 (100 %)" in normalized(last(driver).text)
        assert "30 votants" in last(driver).text
        answered = [r for r in driver.server.interactions.values() if r.type == 3]
        assert len(answered) == 30 and all(r.callback_type == 4 for r in answered)


async def test_results_then_closing_edits_the_card_removes_its_buttons_and_refuses_late_taps(
    discord: DiscordDriver,
):
    await discord.send("alice", "/poll Un banc place de l'église ? | Oui | Non")
    oui = discord.button_action("Oui")
    await discord.press("bob", "Oui")
    await discord.send("carol", "/results")
    assert "Oui : 1 (100 %)" in normalized(last(discord).text), "anyone's /results is a public answer"

    await discord.send("alice", "/close")
    card = card_of(discord) if any(m["components"] for m in discord.server.messages(SQUARE)) else None
    assert card is None, "a closed card has no buttons left"
    first = discord.bot_messages("square")[0]
    assert "Sondage clos" in discord.messages("square")[0].text and first["components"] == []
    assert "Le sondage n° 1 est clos." in last(discord).text
    assert await discord.press_raw("dave", oui) == "Ce sondage est clos : les votes ne sont plus acceptés."
    assert "Un banc place de l'église ?" in discord.messages("square")[0].text, "apostrophes kept as typed"


async def test_buttons_of_a_poll_posted_before_a_restart_still_count(
    discord: DiscordDriver, monkeypatch: pytest.MonkeyPatch
):
    await discord.send("alice", "/poll Fermer la rue le samedi ? | Oui | Non")
    await discord.press("bob", "Oui")
    await discord.restart()
    client = discord.platform.client
    assert client._connection._view_store._views == {}, "no view is kept per message: ids carry everything"

    handled: list[str] = []
    callback = ActionButton.callback

    async def spy(item: ActionButton, interaction: Any) -> None:
        handled.append(item.custom_id)
        await callback(item, interaction)

    monkeypatch.setattr(ActionButton, "callback", spy)
    assert await discord.press("carol", "Oui") == "Vote enregistré : Oui"
    assert await discord.press("bob", "Non") == "Vote déplacé vers : Non"
    assert len(handled) == 2, "the new process's dynamic items took the old buttons"
    text = normalized(last(discord).text)
    assert "Oui : 1 (50 %)" in text and "Non : 1 (50 %)" in text and "2 votants" in text


async def test_a_poll_mentioning_everyone_and_a_role_pings_nobody(discord: DiscordDriver):
    question = "@everyone venez tous ! <@&500000000000000100> et @here ?"
    await discord.send("alice", f"/poll {question} | Oui @everyone | Non")
    await discord.press("bob", "Oui @everyone")
    await discord.send("alice", "/close")

    payloads = bot_payloads(discord)
    assert len(payloads) >= 4
    for payload in payloads:
        assert payload.get("allowed_mentions", {}).get("parse") == [], payload
        assert not payload.get("allowed_mentions", {}).get("roles"), payload
    card = discord.bot_messages("square")[0]
    assert "@\u200beveryone" in card["content"] and "@\u200bhere" in card["content"]
    assert "<@&" not in card["content"].replace("<@\u200b&", "")
    assert question in discord.messages("square")[0].text, "the reader still sees the text as typed"


async def test_a_twelve_option_poll_is_laid_out_in_rows_discord_accepts(discord: DiscordDriver):
    options = [f"Projet {n}" for n in range(1, 13)]
    await discord.send("alice", "/poll Quel projet ? | " + " | ".join(options))
    rows = card_of(discord)["components"]
    assert [len(row["components"]) for row in rows] == [4, 4, 4]
    assert discord.messages("square")[-1].buttons == options
    assert await discord.press("bob", "Projet 12") == "Vote enregistré : Projet 12"
    assert "Projet 12 : 1 (100 %)" in normalized(last(discord).text)


async def test_forged_custom_ids_are_answered_and_count_nothing(discord: DiscordDriver):
    await discord.send("alice", "/poll Question ? | Oui | Non")
    card = card_of(discord)
    genuine = discord.button_action("Oui")
    forged = [
        ids.button_id(genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB")),
        ids.button_id("v.1.0"),
        "b:" + "x" * 97,
        "no prefix at all <>&",
        "s:7",
        "a:t0300:v.1.0.AAAAAAAAAAAAAAAA:Question",
        "",
    ]
    for custom_id in forged:
        payload = discord.harness.button_press(custom_id, int(card["id"]), **discord.who("bob"))
        record = await discord.interact("bob", payload)
        assert record.callback_type is not None, f"{custom_id!r} left the interaction to fail"
        if custom_id.startswith("a:"):
            assert record.callback_type == 9, "an Answer button only opens a modal"
        else:
            assert "valide" in (record.content or ""), custom_id
    assert "0 votant" in last(discord).text


async def test_a_select_menu_replaces_buttons_when_they_cannot_fit(discord: DiscordDriver):
    communities = [(Button(f"Community {n}", f"g.t.{n}.sig"),) for n in range(20)]
    panel = (*communities, (Button("Publish", "g.go.sig"), Button("Cancel", "g.x.sig")))
    rows = reflow(panel)
    assert rows is not None and len(rows) <= 5 and all(len(row) <= 5 for row in rows)
    assert [b.label for b in rows[-1]] == ["Publish", "Cancel"], "a row of the engine stays a row"

    crowded = tuple((Button(f"Choice {n}", f"c.{n}.sig"),) for n in range(30))
    assert reflow(crowded) is None
    view = keyboard_view(crowded, "fr")
    assert view is not None
    menus = view.to_components()
    assert [len(row["components"][0]["options"]) for row in menus] == [25, 5]
    assert menus[0]["components"][0]["placeholder"] == "Choisir…"

    channel = discord.platform.client.get_partial_messageable(SQUARE)
    message = await channel.send("Choisissez", view=view)
    await discord.settle()
    assert "Choice 29" in discord.messages("square")[-1].buttons
    message_id = message.id
    payload = discord.harness.button_press(
        "s:1", message_id, component_type=3, values=["c.29.sig"], **discord.who("bob")
    )
    record = await discord.interact("bob", payload)
    assert record.callback_type == 4 and "valide" in (record.content or ""), "the choice reached the engine"


async def test_a_rate_limited_post_is_retried_by_discord_py_not_by_the_adapter(discord: DiscordDriver):
    await discord.send("alice", "/poll Fusion ? | Oui | Non", chat="@alice")
    await discord.press("alice", "Place du village", chat="@alice")
    discord.server.rate_limit_next(ROUTE_CREATE_MESSAGE, retry_after=0.05)
    await discord.press("alice", "Publier", chat="@alice")
    statuses = [
        c.status
        for c in discord.server.calls_to(ROUTE_CREATE_MESSAGE)
        if c.params["channel_id"] == str(SQUARE)
    ]
    assert statuses == [429, 200]
    assert len(discord.messages("square")) == 1
