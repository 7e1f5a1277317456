"""The Discord platform as the launcher sees it: built with the app, started and stopped with the bot.

It attaches its outlet to the runtime when built (deadlines that fell due while the bot was down may need it
at once: their replies wait for the login), logs in (which syncs the slash commands), then keeps the gateway
connection in a background task of the shared event loop, beside Telegram's when both tokens are set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from adapters.discord.client import CivicClient
from adapters.discord.inbound import Router
from adapters.discord.outlet import DiscordOutlet
from bot.app import App
from config.settings import Settings

log = logging.getLogger(__name__)


class DiscordPlatform:
    def __init__(self, app: App, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.router = Router(app.runtime, settings)
        self.client = CivicClient(
            self.router, guild_ids=list(settings.discord_guild_ids), on_login=self._logged_in
        )
        self.outlet = DiscordOutlet(self.client, settings.default_language)
        app.runtime.attach(self.outlet)
        self._gateway: asyncio.Task[None] | None = None

    def _logged_in(self) -> None:
        self.outlet.logged_in.set()

    async def start(self, *, receive: bool = True) -> None:
        """Log in; with `receive`, also open the gateway (a dispatcher-only process just sends)."""
        if self.settings.discord_token is None:
            raise RuntimeError("CIVICBOT_DISCORD_TOKEN is not set")
        await self.client.login(self.settings.discord_token.get_secret_value())
        if not receive:
            return
        self._gateway = asyncio.get_running_loop().create_task(
            self.client.connect(reconnect=True), name="discord gateway"
        )
        self._gateway.add_done_callback(self._gateway_ended)

    @staticmethod
    def _gateway_ended(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the Discord gateway connection ended", exc_info=task.exception())

    async def stop(self) -> None:
        await self.client.close()
        if self._gateway is not None:
            self._gateway.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._gateway
