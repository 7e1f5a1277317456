"""A civicbot process that only dispatches the outbox to Telegram, for the crash test to kill (SIGKILL)."""

from __future__ import annotations

import asyncio

from adapters.telegram import TelegramPlatform
from adapters.telegram.limiter import Limits
from bot.app import App
from config.settings import Settings


async def main() -> None:
    settings = Settings(_env_file=None)
    app = App.build(settings)
    await app.start(scheduler=False, dispatcher=True)
    platform = TelegramPlatform(app, settings, limits=Limits.unlimited())
    await platform.start(receive=False)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main())
