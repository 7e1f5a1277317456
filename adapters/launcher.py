"""Starts the engine and every platform that has a token, in one process and one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from typing import Protocol

from bot.app import App
from bot.dates import warm_up_in_background
from config.settings import Settings

log = logging.getLogger(__name__)


PARTS = ("adapters", "scheduler", "dispatcher")


class Platform(Protocol):
    """A running adapter: it attaches itself to `app.runtime` when built; starts and stops with the bot.
    Without `receive` it only sends (for a process that runs the scheduler or the dispatcher alone)."""

    async def start(self, *, receive: bool = True) -> None: ...

    async def stop(self) -> None: ...


def freeze_start_up_objects() -> None:
    """What start-up built (catalogs, date parser tables, ORM metadata, adapters) lives as long as the
    process: moving it out of the collector's reach keeps full collections from pausing the event loop for
    tens of milliseconds (measured ~70 ms), which would make paced sends late."""
    gc.collect()
    gc.freeze()


def configured_platforms(app: App, settings: Settings) -> list[Platform]:
    platforms: list[Platform] = []
    # each platform's library is imported only when it is configured (a Discord-only process never loads
    # python-telegram-bot, and the reverse)
    if settings.telegram_token is not None:
        from adapters.telegram import TelegramPlatform

        platforms.append(TelegramPlatform(app, settings))
    if settings.discord_token is not None:
        from adapters.discord import DiscordPlatform

        platforms.append(DiscordPlatform(app, settings))
    return platforms


async def run_platforms(settings: Settings, parts: frozenset[str] = frozenset(PARTS)) -> None:
    """Run `parts` of civicbot: the adapters (receiving updates), the deadline scheduler and the outbox
    dispatcher. One process runs all three; on PostgreSQL they can be split across processes, and several
    dispatchers can share the outbox."""
    app = App.build(settings)
    await app.start(scheduler=False, dispatcher="dispatcher" in parts)
    platforms = configured_platforms(app, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        for platform in platforms:
            await platform.start(receive="adapters" in parts)
        if "adapters" in parts:  # residents will type dates: the date reader's tables, while the bot waits
            warm_up_in_background()
        if "scheduler" in parts:  # once the platforms can deliver what falls due (missed deadlines run now)
            await app.deadlines.start()
        freeze_start_up_objects()
        log.info(
            "civicbot is running (%s) on %s",
            ", ".join(sorted(parts)),
            ", ".join(type(p).__name__ for p in platforms),
        )
        await stop.wait()
    finally:
        await app.deadlines.stop()  # nothing falls due while the platforms go away
        await app.dispatcher.stop()  # the send in flight completes and is recorded while its platform can
        for platform in reversed(platforms):
            with contextlib.suppress(Exception):
                await platform.stop()
        await app.stop()
