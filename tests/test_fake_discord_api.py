"""The fake Discord REST API + gateway-less harness, exercised through discord.py's real code paths."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import time
from typing import Any, ClassVar

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.fakes.discord_api import (
    MESSAGE_FLAG_EPHEMERAL,
    MESSAGE_FLAG_LOADING,
    PERM_MANAGE_EVENTS,
    PERM_MANAGE_GUILD,
    ROUTE_CREATE_MESSAGE,
    ROUTE_INTERACTION_CALLBACK,
    DiscordHarness,
    FakeDiscordServer,
    HarnessError,
)

GUILD_ID = 111_000_000_000_000_001
CHANNEL_ID = 111_000_000_000_000_010
EVENTS_CHANNEL_ID = 111_000_000_000_000_011
ORGANISER_ROLE_ID = 111_000_000_000_000_100
ALICE = 222_000_000_000_000_001
BOB = 222_000_000_000_000_002  # has closed his DMs


# --------------------------------------------------------------------------------------------
# A small bot written the way an adapter would be: CommandTree + DynamicItem + Modal
# --------------------------------------------------------------------------------------------


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"vote:(?P<poll>\d+):(?P<choice>yes|no)"
):
    def __init__(self, poll_id: int, choice: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=choice.title(), style=discord.ButtonStyle.primary, custom_id=f"vote:{poll_id}:{choice}"
            )
        )
        self.poll_id = poll_id
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(int(match["poll"]), match["choice"])

    async def callback(self, interaction: discord.Interaction) -> None:
        assert isinstance(interaction.client, CivicClient)
        interaction.client.votes.append((self.poll_id, self.choice, interaction.user.id))
        await interaction.response.send_message(f"Vote {self.choice} recorded", ephemeral=True)


class FeedbackModal(discord.ui.Modal):
    answer: discord.ui.TextInput = discord.ui.TextInput(
        label="What should change?", custom_id="answer", max_length=200
    )

    def __init__(self, poll_id: int, title: str = "Your feedback") -> None:
        super().__init__(title=title, custom_id=f"feedback-modal:{poll_id}")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(interaction.client, CivicClient)
        interaction.client.feedback.append(self.answer.value)
        await interaction.response.send_message(f"Thanks: {self.answer.value}", ephemeral=True)


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"feedback:(?P<poll>\d+)"):
    def __init__(self, poll_id: int) -> None:
        super().__init__(discord.ui.Button(label="Feedback", custom_id=f"feedback:{poll_id}"))
        self.poll_id = poll_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        return cls(int(match["poll"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        assert isinstance(interaction.client, CivicClient)
        title = interaction.client.modal_title
        await interaction.response.send_modal(FeedbackModal(self.poll_id, title=title))


class FrenchTranslator(app_commands.Translator):
    STRINGS: ClassVar[dict[str, str]] = {
        "poll": "sondage",
        "Start a poll": "Lancer un sondage",
        "The question": "La question",
    }

    def __init__(self, *, broken: bool = False) -> None:
        self.broken = broken

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContext,
    ) -> str | None:
        if locale is not discord.Locale.french:
            return None
        text = self.STRINGS.get(string.message)
        if self.broken and text == "sondage":
            return "Sondage Civique"  # invalid: slash command names must be lowercase without spaces
        return text


def poll_view(poll_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(poll_id, "yes"))
    view.add_item(VoteButton(poll_id, "no"))
    view.add_item(FeedbackButton(poll_id))
    return view


class CivicClient(discord.Client):
    def __init__(self, *, translator: app_commands.Translator | None = None) -> None:
        super().__init__(intents=discord.Intents.default())
        self.tree = app_commands.CommandTree(self)
        self.translator = translator
        self.votes: list[tuple[int, str, int]] = []
        self.feedback: list[str] = []
        self.tree_errors: list[app_commands.AppCommandError] = []
        self.modal_title = "Your feedback"
        self.slow_delay = 0.0

        @self.tree.error
        async def on_tree_error(
            interaction: discord.Interaction, error: app_commands.AppCommandError
        ) -> None:
            self.tree_errors.append(error)

        @self.tree.command(name="poll", description="Start a poll")
        @app_commands.describe(question="The question")
        async def poll(interaction: discord.Interaction, question: str) -> None:
            await interaction.response.send_message(question, view=poll_view(7))

        @self.tree.command(name="ping", description="Private pong")
        async def ping(interaction: discord.Interaction) -> None:
            text = "salut" if interaction.locale is discord.Locale.french else "pong"
            await interaction.response.send_message(text, ephemeral=True)

        @self.tree.command(name="settings", description="Admin only")
        @app_commands.checks.has_permissions(manage_guild=True)
        async def settings(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("settings open", ephemeral=True)

        @self.tree.command(name="slow", description="Answers late")
        async def slow(interaction: discord.Interaction) -> None:
            await asyncio.sleep(self.slow_delay)
            await interaction.response.send_message("finally")

        @self.tree.command(name="event", description="Plan an event")
        async def event(interaction: discord.Interaction, name: str) -> None:
            await interaction.response.defer(thinking=True)
            assert interaction.guild is not None
            start = discord.utils.utcnow() + dt.timedelta(days=2)
            scheduled = await interaction.guild.create_scheduled_event(
                name=name,
                start_time=start,
                end_time=start + dt.timedelta(hours=2),
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location="Town hall",
            )
            await interaction.followup.send(f"Planned {scheduled.name}")
            await interaction.edit_original_response(content=f"Planned {scheduled.name} (id {scheduled.id})")

    async def setup_hook(self) -> None:
        self.add_dynamic_items(VoteButton, FeedbackButton)
        if self.translator is not None:
            await self.tree.set_translator(self.translator)


# --------------------------------------------------------------------------------------------
# Fixtures (kept local to this file on purpose)
# --------------------------------------------------------------------------------------------


@pytest.fixture
async def server():
    async with FakeDiscordServer() as srv:
        srv.add_guild(
            GUILD_ID,
            "Town hall",
            channels=[CHANNEL_ID, {"id": EVENTS_CHANNEL_ID, "name": "events"}],
            roles=[{"id": ORGANISER_ROLE_ID, "name": "organiser", "permissions": PERM_MANAGE_EVENTS}],
        )
        srv.add_member(GUILD_ID, srv.bot_user_id, roles=[ORGANISER_ROLE_ID])  # it may manage events
        srv.add_user(ALICE, "alice")
        srv.add_user(BOB, "bob", dms_closed=True)
        yield srv


@pytest.fixture
async def harness(server: FakeDiscordServer):
    async with DiscordHarness(server) as h:
        yield h


@pytest.fixture
async def client(harness: DiscordHarness) -> CivicClient:
    return await harness.connect(CivicClient())


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


async def test_connect_builds_ready_state(server: FakeDiscordServer, client: CivicClient) -> None:
    assert client.is_ready()
    assert client.user is not None and client.user.id == server.bot_user_id
    assert client.application_id == server.application_id
    guild = client.get_guild(GUILD_ID)
    assert guild is not None and guild.name == "Town hall"
    assert guild.me is not None
    assert {c.id for c in guild.text_channels} == {CHANNEL_ID, EVENTS_CHANNEL_ID}
    assert [c.route for c in server.calls[:2]] == ["GET /users/@me", "GET /oauth2/applications/@me"]


async def test_slash_command_ephemeral_answer(
    server: FakeDiscordServer, harness: DiscordHarness, client: CivicClient
) -> None:
    record = await harness.interact(harness.slash_command("ping", user_id=ALICE, locale="fr"))

    assert record.callback_type == 4
    assert record.callback_data is not None and record.callback_data["content"] == "salut"
    assert record.callback_data["flags"] & MESSAGE_FLAG_EPHEMERAL
    assert record.ephemeral and record.original is not None
    assert server.messages(CHANNEL_ID) == []  # ephemeral answers are not channel history
    assert server.messages(CHANNEL_ID, include_ephemeral=True) == [record.original]

    dm_record = await harness.interact(harness.slash_command("ping", dm=True, user_id=ALICE))
    assert dm_record.content == "pong" and dm_record.guild_id is None
    assert dm_record.channel_id == server.dm_channel_of(ALICE)


async def test_member_permissions_reach_app_command_checks(
    harness: DiscordHarness, client: CivicClient
) -> None:
    denied = await harness.interact(harness.slash_command("settings", user_id=ALICE))
    assert denied.callback_type is None
    assert isinstance(client.tree_errors.pop(), app_commands.MissingPermissions)

    allowed = await harness.interact(
        harness.slash_command("settings", user_id=ALICE, permissions=PERM_MANAGE_GUILD)
    )
    assert allowed.content == "settings open"
    assert client.tree_errors == []


async def test_persistent_dynamic_button_survives_restart(
    server: FakeDiscordServer, harness: DiscordHarness, client: CivicClient
) -> None:
    channel = client.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("Should the park open at night?", view=poll_view(7))
    stored = server.messages(CHANNEL_ID)[-1]
    assert stored["id"] == str(sent.id)
    assert [b["custom_id"] for b in stored["components"][0]["components"]] == [
        "vote:7:yes",
        "vote:7:no",
        "feedback:7",
    ]

    await harness.disconnect(client)  # simulated restart: a brand-new client, same Discord
    restarted = await harness.connect(CivicClient())
    assert isinstance(restarted, CivicClient)

    record = await harness.interact(harness.button_press("vote:7:yes", stored, user_id=ALICE))

    assert restarted.votes == [(7, "yes", ALICE)]
    assert record.callback_type == 4 and record.ephemeral
    assert record.content == "Vote yes recorded"
    assert record.message_id == sent.id


async def test_modal_opened_from_button_and_submitted(
    server: FakeDiscordServer, harness: DiscordHarness, client: CivicClient
) -> None:
    slash = await harness.interact(
        harness.slash_command("poll", {"question": "More benches?"}, user_id=ALICE)
    )
    poll_message = slash.original
    assert poll_message is not None and poll_message["content"] == "More benches?"
    assert poll_message in server.messages(CHANNEL_ID)

    opened = await harness.interact(harness.button_press("feedback:7", poll_message, user_id=BOB))
    assert opened.callback_type == 9
    modal = server.modal("feedback-modal:7")
    assert modal is not None and modal["title"] == "Your feedback"

    with pytest.raises(ValueError, match="at most 200"):
        harness.modal_submit("feedback-modal:7", {"answer": "x" * 201})

    submitted = await harness.interact(harness.modal_submit("feedback-modal:7", {"answer": "Shade, please"}))
    assert client.feedback == ["Shade, please"]
    assert submitted.user_id == BOB and submitted.message_id == int(poll_message["id"])
    assert submitted.callback_type == 4 and submitted.content == "Thanks: Shade, please"


async def test_modal_limits_are_enforced_by_the_fake(harness: DiscordHarness, client: CivicClient) -> None:
    client.modal_title = "x" * 46
    channel = client.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("poll", view=poll_view(8))
    iid = await harness.feed(harness.button_press("feedback:8", message.id))
    await harness.settle(raise_errors=False)
    record = harness.server.interaction_responses(iid)
    assert record.callback_type is None
    assert record.rejected[0]["code"] == 50035
    errors = harness.take_errors()  # the DynamicItem callback raised; discord.py logged it
    assert errors and errors[0].exc_info and "title" in str(errors[0].exc_info[1])


async def test_allowed_mentions_none_recorded(server: FakeDiscordServer, client: CivicClient) -> None:
    channel = client.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    await channel.send(f"Welcome <@{ALICE}>!", allowed_mentions=discord.AllowedMentions.none())
    stored = server.messages(CHANNEL_ID)[-1]
    assert stored["allowed_mentions"] == {"parse": []}
    assert stored["content"] == f"Welcome <@{ALICE}>!"


async def test_dm_to_user_with_closed_dms_is_forbidden(
    server: FakeDiscordServer, client: CivicClient
) -> None:
    bob = await client.fetch_user(BOB)
    with pytest.raises(discord.Forbidden) as excinfo:
        await bob.send("Your poll closed")
    assert excinfo.value.code == 50007
    assert excinfo.value.status == 403
    assert server.dm_channel_of(BOB) is not None and server.dm_messages(BOB) == []

    alice = await client.fetch_user(ALICE)
    await alice.send("Your poll closed")
    assert [m["content"] for m in server.dm_messages(ALICE)] == ["Your poll closed"]

    with pytest.raises(discord.NotFound) as unknown:
        await client.fetch_user(999)
    assert unknown.value.code == 10013


async def test_rate_limit_is_retried_by_discord_py(
    server: FakeDiscordServer, harness: DiscordHarness, client: CivicClient
) -> None:
    server.rate_limit_next(ROUTE_CREATE_MESSAGE, retry_after=0.05)
    channel = client.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    started = time.monotonic()
    await channel.send("after a 429")
    assert time.monotonic() - started >= 0.05
    assert [c.status for c in server.calls_to(ROUTE_CREATE_MESSAGE)] == [429, 200]
    assert [m["content"] for m in server.messages(CHANNEL_ID)] == ["after a 429"]

    # interaction callbacks go through the webhook adapter, which retries as well
    server.rate_limit_next(ROUTE_INTERACTION_CALLBACK, retry_after=0.02)
    record = await harness.interact(harness.slash_command("ping"))
    assert record.callback_type == 4
    assert [c.status for c in server.calls_to(ROUTE_INTERACTION_CALLBACK)] == [429, 200]


async def test_tree_sync_records_localizations(server: FakeDiscordServer, harness: DiscordHarness) -> None:
    client = await harness.connect(CivicClient(translator=FrenchTranslator()))
    assert isinstance(client, CivicClient)
    synced = await client.tree.sync()
    assert {c.name for c in synced} == {"poll", "ping", "settings", "slow", "event"}

    poll = next(c for c in server.commands_for(None) if c["name"] == "poll")
    assert poll["name_localizations"] == {"fr": "sondage"}
    assert poll["description_localizations"] == {"fr": "Lancer un sondage"}
    assert poll["options"][0]["description_localizations"] == {"fr": "La question"}
    # the harness reuses registered command ids in payloads
    assert harness.slash_command("poll", {"question": "?"})["data"]["id"] == poll["id"]

    broken = await harness.connect(CivicClient(translator=FrenchTranslator(broken=True)))
    with pytest.raises(app_commands.CommandSyncFailure) as excinfo:
        await broken.tree.sync()
    assert excinfo.value.code == 50035


async def test_second_response_to_same_interaction_fails_40060(
    server: FakeDiscordServer, harness: DiscordHarness, client: CivicClient
) -> None:
    payload = harness.slash_command("ping", user_id=ALICE)
    await harness.feed(payload)
    await harness.settle()
    await harness.feed(payload)  # duplicate delivery: a second handler answers the same interaction
    await harness.settle()

    (error,) = client.tree_errors
    assert isinstance(error, app_commands.CommandInvokeError)
    assert isinstance(error.original, discord.HTTPException)
    assert error.original.code == 40060 and error.original.status == 400
    record = server.interaction_responses(int(payload["id"]))
    assert record.callback_type == 4
    assert [r["code"] for r in record.rejected] == [40060]


async def test_answer_after_deadline_is_unknown_interaction(
    server: FakeDiscordServer, harness: DiscordHarness, client: CivicClient
) -> None:
    server.interaction_deadline = 0.05
    client.slow_delay = 0.1
    record = await harness.interact(harness.slash_command("slow"))
    assert record.callback_type is None
    (error,) = client.tree_errors
    assert isinstance(error, app_commands.CommandInvokeError)
    assert isinstance(error.original, discord.NotFound) and error.original.code == 10062


async def test_defer_followup_edit_and_scheduled_event(
    server: FakeDiscordServer, harness: DiscordHarness, client: CivicClient
) -> None:
    record = await harness.interact(
        harness.slash_command("event", {"name": "Budget assembly"}, user_id=ALICE, roles=[ORGANISER_ROLE_ID])
    )
    assert record.payload["member"]["permissions"] == str(
        server.member_permissions(GUILD_ID, [ORGANISER_ROLE_ID])
    )
    assert record.callback_type == 5
    assert record.original is not None
    assert not record.original["flags"] & MESSAGE_FLAG_LOADING  # the first followup replaced "thinking…"
    assert record.followups == [record.original]
    assert record.original["edit_count"] == 2
    (event,) = server.scheduled_events.values()
    assert event["name"] == "Budget assembly" and event["entity_metadata"] == {"location": "Town hall"}
    assert record.original["content"] == f"Planned Budget assembly (id {event['id']})"
    assert [e["target"] for e in record.edits] == ["@original"]


async def test_scheduled_events_need_the_bots_manage_events_permission(
    server: FakeDiscordServer, client: CivicClient
) -> None:
    server.add_member(GUILD_ID, server.bot_user_id)  # no role: a member's defaults only
    guild = client.get_guild(GUILD_ID)
    assert guild is not None
    with pytest.raises(discord.Forbidden) as excinfo:
        await guild.create_scheduled_event(
            name="Budget assembly",
            start_time=dt.datetime.now(dt.UTC) + dt.timedelta(days=2),
            end_time=dt.datetime.now(dt.UTC) + dt.timedelta(days=2, hours=2),
            entity_type=discord.EntityType.external,
            location="Town hall",
            privacy_level=discord.PrivacyLevel.guild_only,
        )
    assert excinfo.value.code == 50013
    assert server.scheduled_events == {}


async def test_nonce_dedup_attachments_and_validation(server: FakeDiscordServer, client: CivicClient) -> None:
    channel = client.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send(
        "results", nonce=4242, file=discord.File(io.BytesIO(b"yes,3\nno,1\n"), "results.csv")
    )
    again = await channel.send("results", nonce=4242)
    assert again.id == first.id
    (stored,) = server.messages(CHANNEL_ID)
    assert stored["attachments"][0]["filename"] == "results.csv"
    assert stored["attachments"][0]["bytes"] == b"yes,3\nno,1\n"
    assert await first.attachments[0].read() == b"yes,3\nno,1\n"  # served by the fake's CDN route

    await first.edit(content="results (final)")
    assert stored["edit_count"] == 1 and stored["content"] == "results (final)"

    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert too_long.value.code == 50035 and "content" in str(too_long.value)

    rows = [
        {"type": 1, "components": [{"type": 2, "style": 1, "label": "ok", "custom_id": f"r{i}"}]}
        for i in range(6)
    ]
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=CHANNEL_ID)
    with pytest.raises(discord.HTTPException) as too_many_rows:
        await client.http.request(route, json={"content": "rows", "components": rows})
    assert too_many_rows.value.code == 50035

    long_id = [{"type": 1, "components": [{"type": 2, "style": 1, "label": "ok", "custom_id": "c" * 101}]}]
    with pytest.raises(discord.HTTPException, match="custom_id"):
        await client.http.request(route, json={"content": "id", "components": long_id})


async def test_unknown_route_and_fault_injection(server: FakeDiscordServer, client: CivicClient) -> None:
    async with aiohttp.ClientSession() as session, session.get(server.api_base + "/nope") as resp:
        assert resp.status == 404
        assert resp.headers["Content-Type"] == "application/json"
        assert await resp.json() == {"message": "404: Not Found", "code": 0}

    server.fail_next("GET /channels/{channel_id}", 403, 50001)
    with pytest.raises(discord.Forbidden) as excinfo:
        await client.fetch_channel(CHANNEL_ID)
    assert excinfo.value.code == 50001
    fetched = await client.fetch_channel(CHANNEL_ID)
    assert fetched.id == CHANNEL_ID


async def test_settle_surfaces_swallowed_exceptions(
    server: FakeDiscordServer, harness: DiscordHarness
) -> None:
    client = await harness.connect(CivicClient())
    server.fail_next(ROUTE_INTERACTION_CALLBACK, 403, 50013)
    await harness.feed(harness.button_press("vote:7:no", server.add_user_message(CHANNEL_ID, ALICE, "hi")))
    # The press has no button on that message: discord.py ignores it quietly -> nothing to surface.
    await harness.settle()
    channel = client.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("vote", view=poll_view(9))
    await harness.feed(harness.button_press("vote:9:no", message.id))
    with pytest.raises(HarnessError, match="50013"):
        await harness.settle()


class MenuView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.select(
        custom_id="district",
        options=[
            discord.SelectOption(label="North", value="n"),
            discord.SelectOption(label="South", value="s"),
        ],
    )
    async def district(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.edit_message(content=f"district {select.values[0]}", view=None)

    @discord.ui.button(custom_id="later", label="Later")
    async def later(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()  # type 6: deferred update of the component's message
        await interaction.edit_original_response(content="updated later")
        await interaction.followup.send("only you see this", ephemeral=True)


class SignupModal(discord.ui.Modal, title="Sign up"):
    name: discord.ui.Label[Any] = discord.ui.Label(
        text="Your name", component=discord.ui.TextInput(custom_id="name")
    )
    ward: discord.ui.Label[Any] = discord.ui.Label(
        text="Ward",
        component=discord.ui.Select(custom_id="ward", options=[discord.SelectOption(label="1", value="1")]),
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.name.component, discord.ui.TextInput)
        assert isinstance(self.ward.component, discord.ui.Select)
        assert isinstance(interaction.client, AdminClient)
        interaction.client.signups.append((self.name.component.value, self.ward.component.values))
        await interaction.response.send_message("signed up", ephemeral=True)


class AdminClient(discord.Client):
    """All intents, on_ready work, guild-scoped command group, selects and Label modals."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.all())
        self.tree = app_commands.CommandTree(self)
        self.ready_calls = 0
        self.signups: list[tuple[str, list[str]]] = []
        admin = app_commands.Group(name="admin", description="Admin tools")
        poll = app_commands.Group(name="poll", description="Polls", parent=admin)

        @poll.command(name="close", description="Close a poll")
        async def close(interaction: discord.Interaction, poll_id: int, force: bool = False) -> None:
            await interaction.response.send_message(f"closed {poll_id} force={force}")

        self.tree.add_command(admin, guild=discord.Object(GUILD_ID))

        @self.tree.command(name="menu", description="Menu")
        async def menu(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("menu", view=MenuView())

        @self.tree.command(name="signup", description="Sign up")
        async def signup(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(SignupModal())

    async def on_ready(self) -> None:
        self.ready_calls += 1
        await self.change_presence(activity=discord.Game("civic duty"))

    async def on_message(self, message: discord.Message) -> None:
        if message.author != self.user and isinstance(message.channel, discord.DMChannel):
            await message.channel.send(f"echo: {message.content}")


async def test_ready_event_and_guild_command_group(harness: DiscordHarness) -> None:
    client = await harness.connect(AdminClient())
    assert isinstance(client, AdminClient)
    assert client.ready_calls == 1  # on_ready ran (connect() settles it); the fake gateway took the presence
    presences = client.ws.presences  # type: ignore[attr-defined]  # the fake gateway records them
    assert presences[0]["activity"].name == "civic duty"

    payload = harness.slash_command("admin poll close", {"poll_id": 5, "force": True})
    assert payload["data"]["guild_id"] == str(GUILD_ID)  # guild-scoped command, as Discord sends it
    record = await harness.interact(payload)
    assert record.content == "closed 5 force=True"

    await harness.user_message("hello bot", dm=True, user_id=ALICE)  # MESSAGE_CREATE from a user
    await harness.settle()
    assert [m["content"] for m in harness.server.dm_messages(ALICE)] == ["hello bot", "echo: hello bot"]


async def test_select_update_deferred_update_and_label_modal(
    server: FakeDiscordServer, harness: DiscordHarness
) -> None:
    client = await harness.connect(AdminClient())
    menu = (await harness.interact(harness.slash_command("menu"))).original
    assert menu is not None
    picked = await harness.interact(harness.button_press("district", menu, component_type=3, values=["s"]))
    assert picked.callback_type == 7
    assert menu["content"] == "district s" and menu["components"] == [] and menu["edit_count"] == 1

    menu2 = (await harness.interact(harness.slash_command("menu"))).original
    assert menu2 is not None
    later = await harness.interact(harness.button_press("later", menu2))
    assert later.callback_type == 6
    assert menu2["content"] == "updated later"  # PATCH @original after type 6 edits the component's message
    (secret,) = later.followups
    assert secret["flags"] & MESSAGE_FLAG_EPHEMERAL and secret not in server.messages(CHANNEL_ID)

    opened = await harness.interact(harness.slash_command("signup", user_id=ALICE))
    assert opened.callback_type == 9 and opened.callback_data is not None
    submit = harness.modal_submit(opened.callback_data["custom_id"], {"name": "Ana", "ward": ["1"]})
    assert [c["type"] for c in submit["data"]["components"]] == [18, 18]  # mirrors the Label layout
    done = await harness.interact(submit)
    assert client.signups == [("Ana", ["1"])]
    assert done.user_id == ALICE and done.content == "signed up"


async def test_button_press_throughput(
    server: FakeDiscordServer, harness: DiscordHarness, client: CivicClient
) -> None:
    server.interaction_deadline = None  # measure throughput, not scheduler jitter
    channel = client.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("vote", view=poll_view(3))
    presses = [harness.button_press("vote:3:yes", message.id, user_id=300 + i) for i in range(200)]
    started = time.perf_counter()
    for payload in presses:
        await harness.feed(payload)
    await harness.settle(max_wait=10)
    elapsed = time.perf_counter() - started
    answered = [server.interaction_responses(int(p["id"])).callback_type for p in presses]
    assert answered == [4] * len(presses)
    assert len(client.votes) == len(presses)
    print(f"\n{len(presses)} button presses answered in {elapsed:.2f}s ({len(presses) / elapsed:.0f}/s)")


async def test_harness_leaves_no_tasks_behind() -> None:
    real_base = discord.http.Route.BASE
    async with FakeDiscordServer() as server:
        server.add_guild(GUILD_ID, "Town hall", channels=[CHANNEL_ID])
        async with DiscordHarness(server) as harness:
            client = await harness.connect(CivicClient())
            await harness.interact(harness.slash_command("poll", {"question": "?"}))
            original_base = discord.http.Route.BASE
            assert original_base == server.api_base
        assert client.is_closed()
        assert real_base == discord.http.Route.BASE  # restored
    await asyncio.sleep(0)
    leftovers: list[Any] = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftovers == []
