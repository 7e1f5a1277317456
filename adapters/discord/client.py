"""The discord.py client: least intents, slash commands synced at start, persistent components.

Intents: `guilds` (the channels and roles of the servers the bot is in, to name communities and read the
organizer role) and `dm_messages` (text typed to the bot in private; Discord gives bots the content of
direct messages without the privileged message-content intent). Slash commands, buttons and modals arrive as
interactions, which need no intent at all; member lists and presences are never needed, so no privileged
intent is asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import discord
from discord import app_commands

from adapters.discord.components import DYNAMIC_ITEMS
from adapters.discord.exchange import Exchange, claim
from adapters.discord.inbound import Router, chat_of
from adapters.discord.markdown import NO_MENTIONS
from adapters.discord.slash import CommandTranslator, build_commands
from bot.i18n import translator

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    return discord.Intents(guilds=True, dm_messages=True)


class CivicClient(discord.Client):
    def __init__(self, router: Router, *, guild_ids: list[int], on_login: Callable[[], None]) -> None:
        super().__init__(intents=intents(), allowed_mentions=NO_MENTIONS)
        self.router = router  # components reach it through `interaction.client.router`
        self.guild_ids = guild_ids
        self.on_login = on_login
        self.tree = app_commands.CommandTree(
            self,
            allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),
            allowed_installs=app_commands.AppInstallationType(guild=True),
        )
        self.tree.error(self._on_tree_error)
        for command in build_commands(router.engine.registry.commands(), router.command):
            self.tree.add_command(command)

    async def setup_hook(self) -> None:
        """Runs once logged in: register the persistent components, then sync the slash commands."""
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await self.tree.set_translator(CommandTranslator())
        self.on_login()
        try:
            await self._sync()
        except (discord.HTTPException, app_commands.CommandSyncFailure) as error:
            log.error("slash commands could not be synced (the previous ones stay): %s", error)

    async def _sync(self) -> None:
        if not self.guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d slash commands globally", len(synced))
            return
        for guild_id in self.guild_ids:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d slash commands to server %s", len(synced), guild_id)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.router.unclaimed(interaction)

    async def on_message(self, message: discord.Message) -> None:
        await self.router.direct_message(message)

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """A command discord.py could not run (e.g. an outdated command): answer rather than fail."""
        log.warning("slash command failed: %r", error)
        if not claim(interaction) or interaction.response.is_done():
            return
        language = self.router.settings.default_language
        exchange = Exchange(interaction, where=chat_of(interaction)[0], language=language)
        try:
            await interaction.response.send_message(
                translator(language)._(
                    "Something went wrong on our side; nothing was changed. Please try again."
                ),
                ephemeral=True,
            )
        except discord.HTTPException:
            await exchange.finish()
