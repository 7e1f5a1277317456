"""Slash commands on Discord: one per engine command, synced at start in English and French, with typed
parameters turned back into the argument line the engine parses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.feature import Registry
from bot.features import FEATURES
from bot.i18n import translator
from bot.polls.spec import form_arguments, parse_poll_command
from tests.drivers.base import last
from tests.drivers.discord import GUILD_ID, DiscordDriver, discord_driver, poll_options

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
async def discord(tmp_path: Path) -> AsyncIterator[DiscordDriver]:
    async with discord_driver(tmp_path) as driver:
        yield driver


async def test_every_engine_command_is_synced_globally_in_english_and_french(discord: DiscordDriver):
    synced = {c["name"]: c for c in discord.server.commands_for(None)}
    assert set(synced) == {spec.name for spec in Registry(FEATURES).commands()}
    assert discord.server.commands_for(GUILD_ID) == []

    poll = synced["poll"]
    assert poll["description"] == "Create a poll"
    assert poll["name_localizations"] == {"fr": "sondage"}
    assert poll["description_localizations"] == {"fr": "Créer un sondage"}
    assert poll["contexts"] == [0, 1], "in servers and in DMs with the bot"
    assert poll["integration_types"] == [0]
    options = {o["name"]: o for o in poll["options"]}
    assert list(options)[:3] == ["question", "option1", "option2"]
    assert {"option12", "closes", "multi", "public", "hidden"} <= set(options)
    assert not any(o["required"] for o in poll["options"]), "/poll alone starts the guided flow"
    assert options["option1"]["max_length"] == 80 and options["multi"]["type"] == 5
    assert options["multi"]["name_localizations"] == {"fr": "plusieurs"}
    assert options["closes"]["description_localizations"]["fr"].startswith("Clôture")

    for spec in Registry(FEATURES).commands():
        command = synced[spec.name]
        french = translator("fr")._(spec.summary)
        assert command["description"] == spec.summary
        assert command.get("description_localizations", {}).get("fr", spec.summary) == french
    assert synced["help"]["name_localizations"] == {"fr": "aide"}
    assert [c["value"] for c in synced["lang"]["options"][0]["choices"]] == ["fr", "en"]


async def test_development_servers_get_the_commands_at_once(tmp_path: Path):
    async with discord_driver(tmp_path, discord_guild_ids=[GUILD_ID]) as discord:
        assert {c["name"] for c in discord.server.commands_for(GUILD_ID)} >= {"poll", "results", "close"}
        assert discord.server.commands_for(None) == []
        await discord.send("alice", "/poll Ça marche ? | Oui | Non")
        assert last(discord).buttons == ["Oui", "Non"]


@pytest.mark.parametrize(
    ("values", "question", "options", "flags"),
    [
        ({"question": "Qu'en pensez-vous, l'ami ?", "option1": "Oui", "option2": "Non"},
         "Qu'en pensez-vous, l'ami ?", ["Oui", "Non"], (False, False, False)),
        ({"question": 'Le "grand" parc ?', "option1": "A", "option2": "B", "multi": True, "hidden": True},
         'Le "grand" parc ?', ["A", "B"], (True, False, True)),
        ({"question": "Tout en une ligne ? | Un | Deux", "option1": "Trois", "public": True},
         "Tout en une ligne ?", ["Un", "Deux", "Trois"], (False, True, False)),
    ],
)  # fmt: skip
def test_typed_parameters_reach_the_engine_exactly(values, question, options, flags):
    spec = parse_poll_command(form_arguments(values), now=NOW, timezone="Europe/Paris", t=translator("fr"))
    assert spec.question == question
    assert spec.options == options
    assert (spec.multi, spec.public, spec.hidden) == flags


def test_the_deadline_is_text_the_engine_parses_and_never_eats_the_question():
    values = {"question": "Demain soir concert ?", "option1": "Oui", "option2": "Non", "closes": "demain 18h"}
    spec = parse_poll_command(form_arguments(values), now=NOW, timezone="Europe/Paris", t=translator("fr"))
    assert spec.question == "Demain soir concert ?"
    assert spec.closes_at == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)


def test_the_driver_reads_a_one_line_poll_as_a_member_fills_the_form():
    assert poll_options('--multi --closes "2026-12-05 18:30" Quels travaux ? | A | B', now=NOW) == {
        "multi": True,
        "closes": "2026-12-05 18:30",
        "question": "Quels travaux ?",
        "option1": "A",
        "option2": "B",
    }
    assert poll_options("--closes demain 18h Un concert ? | Oui | Non", now=NOW)["closes"] == "demain 18h"
    assert poll_options("Vide ? | Oui | | Non", now=NOW) == {"question": "Vide ? | Oui | | Non"}


async def test_an_unknown_or_outdated_command_is_answered(discord: DiscordDriver):
    payload = discord.harness.slash_command("vieille", {}, channel_id=None, **discord.who("bob"))
    record = await discord.interact("bob", payload)
    assert record.callback_type == 4 and record.ephemeral
    assert "Un problème est survenu" in (record.content or "")
