"""Hands updates to the runtime concurrently, so a crowd of votes reaches the group-commit writer together.

python-telegram-bot processes updates one after the other by default: every tap would wait for the previous
tap's database commit. Here each update runs as its own task, with three guarantees:
- one person's updates run in the order they were sent (a double tap toggles, a guided flow advances),
- at most `concurrency` run at once; beyond that PTB's fetching waits (backpressure up to getUpdates),
- every callback query is answered, even when the update turns into no event or its handling fails.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update

from adapters.telegram.inbound import UpdateReader
from adapters.telegram.outlet import TelegramOutlet
from adapters.telegram.secrecy import Redactor
from bot.runtime import Runtime

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        reader: UpdateReader,
        runtime: Runtime,
        outlet: TelegramOutlet,
        redactor: Redactor,
        *,
        concurrency: int = 100,
    ) -> None:
        self.reader = reader
        self.runtime = runtime
        self.outlet = outlet
        self.redactor = redactor
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._latest: dict[int, asyncio.Task[None]] = {}  # per person: their latest update's task

    async def submit(self, update: object, _context: Any = None) -> None:
        """PTB's (blocking) handler: start the update's task and return, unless too many are running."""
        if not isinstance(update, Update):
            return
        await self._slots.acquire()
        user = update.effective_user
        key = user.id if user is not None else 0
        previous = self._latest.get(key) if key else None
        task = asyncio.get_running_loop().create_task(self._run(update, previous), name="telegram update")
        self._tasks.add(task)
        if key:
            self._latest[key] = task
        task.add_done_callback(lambda done: self._done(key, done))

    def _done(self, key: int, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._latest.get(key) is task:
            del self._latest[key]
        self._slots.release()

    async def _run(self, update: Update, previous: asyncio.Task[None] | None) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        query = update.callback_query
        try:
            event = await self.reader.event(update)
            if event is not None:
                await self.runtime.dispatch(event)  # ends with outlet.finish(), which answers a query
            elif query is not None:
                await self.outlet.acknowledge(query)  # not a button of ours: still stop the spinner
        except Exception:  # an adapter bug: the traceback is logged (scrubbed of the token by secrecy)
            log.exception("a Telegram update could not be handled")
            if query is not None:
                try:
                    await self.outlet.acknowledge(query)
                except Exception as again:
                    log.info("a button press could not be acknowledged: %s", self.redactor.scrub(repr(again)))

    async def wait_idle(self, queue: asyncio.Queue[object]) -> None:
        """Until every update PTB fetched was handled to the end (tests, shutdown)."""
        while True:
            await queue.join()
            if not self._tasks:
                return
            await asyncio.wait(list(self._tasks))
