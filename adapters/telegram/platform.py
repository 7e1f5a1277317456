"""The Telegram platform: a python-telegram-bot `Application` wired to civicbot's runtime.

Long polling by default; webhook mode when CIVICBOT_TELEGRAM_WEBHOOK_URL is set (PTB's own web server,
listening on PORT, checking the secret token Telegram sends with every request).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from adapters.telegram.admins import AdminDirectory
from adapters.telegram.dispatch import Dispatcher
from adapters.telegram.http import CONNECTIONS, GatedRequest
from adapters.telegram.inbound import UpdateReader
from adapters.telegram.limiter import Limits, TelegramRateLimiter
from adapters.telegram.menu import register_commands
from adapters.telegram.outlet import TelegramOutlet
from adapters.telegram.prompts import Prompts
from adapters.telegram.secrecy import guard_logs, webhook_secret
from bot.app import App
from config.settings import Settings

log = logging.getLogger(__name__)

# Telegram sends only what the bot handles; the rest (edits, channel posts, reactions...) stays there.
ALLOWED_UPDATES = ["message", "callback_query"]
DRAIN_TIMEOUT = 15.0  # seconds given to updates in progress at shutdown
MIN_EDIT_INTERVAL = 3.0  # 20 edits a minute: a group's whole budget for one live poll card


class TelegramStartError(RuntimeError):
    """The bot could not start on Telegram (the message is safe to show: it never holds the token)."""


def api_urls(url: str) -> tuple[str, str]:
    """CIVICBOT_TELEGRAM_API_URL as PTB's base URLs; the server's root and `<root>/bot` both work."""
    root = url.rstrip("/").removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


class TelegramPlatform:
    def __init__(
        self,
        app: App,
        settings: Settings,
        *,
        limits: Limits | None = None,
        listen: str = "0.0.0.0",
        poll_timeout: float = 30.0,
        concurrency: int = 100,
        connections: int = CONNECTIONS,
    ) -> None:
        """`limits`: Telegram's own by default. `listen`: the webhook server's address. `concurrency`:
        updates handled at once (one group-commit batch of votes). `connections`: HTTP connections to the
        Bot API — requests/s top out near connections / round-trip time, so raise it far from Telegram."""
        if settings.telegram_token is None:
            raise ValueError("CIVICBOT_TELEGRAM_TOKEN is not set")
        token = settings.telegram_token.get_secret_value()
        configured = settings.telegram_webhook_secret
        self.settings = settings
        self.listen = listen
        self.poll_timeout = poll_timeout
        self.secret = configured.get_secret_value() if configured is not None else webhook_secret(token)
        self.redactor = guard_logs(token, token.partition(":")[2], self.secret)
        self.limiter = TelegramRateLimiter(limits)
        builder = (
            ApplicationBuilder()
            .token(token)
            .rate_limiter(self.limiter)
            .concurrent_updates(False)  # the Dispatcher runs updates concurrently, in order per person
            .update_queue(asyncio.Queue(maxsize=200))  # backpressure: fetching waits for the handlers
            .job_queue(None)  # deadlines have their own scheduler
            .request(GatedRequest(connections, read_timeout=10.0, media_write_timeout=60.0))
            .get_updates_request(GatedRequest(1))  # PTB's default for it, with the shared TLS settings
        )
        if settings.telegram_api_url:
            base_url, base_file_url = api_urls(settings.telegram_api_url)
            builder = builder.base_url(base_url).base_file_url(base_file_url)
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        bot = self.application.bot
        self.prompts = Prompts()
        self.outlet = TelegramOutlet(bot, self.prompts, self.redactor)
        self.admins = AdminDirectory(bot)
        self.reader = UpdateReader(bot, self.admins, self.prompts)
        self.dispatcher = Dispatcher(
            self.reader, app.runtime, self.outlet, self.redactor, concurrency=concurrency
        )
        self.application.add_handler(TypeHandler(Update, self.dispatcher.submit, block=True))
        self.application.add_error_handler(self._on_error)
        app.runtime.attach(self.outlet)
        self.commands = app.engine.registry.commands()  # the menu the features declare

    @property
    def webhook(self) -> bool:
        return bool(self.settings.telegram_webhook_url)

    async def start(self, *, receive: bool = True) -> None:
        """Connect; with `receive`, also register the commands and fetch updates (a dispatcher-only
        process just sends)."""
        application = self.application
        try:
            await application.initialize()  # getMe: the bot's id and username (deep links need it)
        except InvalidToken:  # PTB's message quotes the token: say it without
            raise TelegramStartError(
                "Telegram refused the bot token: check CIVICBOT_TELEGRAM_TOKEN (from @BotFather)"
            ) from None
        except TelegramError as error:
            raise TelegramStartError(
                f"Telegram is unreachable: {self.redactor.scrub(error.message)}"
            ) from None
        if not receive:
            return
        await register_commands(application.bot, self.commands, self.settings.default_language)
        await application.start()
        updater = application.updater
        assert updater is not None
        if self.webhook:
            url = self.settings.telegram_webhook_url or ""
            await updater.start_webhook(
                listen=self.listen,
                port=self.settings.port,
                url_path=urlsplit(url).path.lstrip("/"),
                webhook_url=url,
                secret_token=self.secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        else:
            await updater.start_polling(
                poll_interval=0.0,
                timeout=timedelta(seconds=self.poll_timeout),
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                error_callback=self._on_polling_error,
            )
        mode = f"webhook on port {self.settings.port}" if self.webhook else "long polling"
        log.info("Telegram: @%s is listening (%s)", application.bot.username, mode)
        if self.limiter.limits.per_group_per_minute and self.settings.live_edit_interval < MIN_EDIT_INTERVAL:
            log.warning(
                "CIVICBOT_LIVE_EDIT_INTERVAL=%s: Telegram allows a group about 20 messages a minute, so live "
                "results edited more often than every %s s will wait for flood control",
                self.settings.live_edit_interval,
                MIN_EDIT_INTERVAL,
            )

    async def stop(self) -> None:
        """Stop fetching, finish the updates in progress, then close the connections."""
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        try:
            await asyncio.wait_for(self.dispatcher.wait_idle(application.update_queue), DRAIN_TIMEOUT)
        except TimeoutError:
            log.warning("Telegram: updates still in progress at shutdown were abandoned")
        await application.shutdown()

    async def settle(self) -> None:
        """Wait until every update fetched so far was handled to the end (tests)."""
        await self.dispatcher.wait_idle(self.application.update_queue)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram error: %s", self.redactor.scrub(repr(context.error)))

    def _on_polling_error(self, error: TelegramError) -> None:
        log.warning("Telegram: fetching updates failed, retrying: %s", self.redactor.scrub(error.message))
