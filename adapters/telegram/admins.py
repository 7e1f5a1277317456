"""Who administers a group, as Telegram reports it (getChatAdministrators), cached a few minutes.

Only commands need it (an organizer command is refused to a resident), so a crowd of votes never waits on
it; many commands arriving together in a chat the cache has not seen share one request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from telegram import Bot
from telegram.error import TelegramError

log = logging.getLogger(__name__)

TTL = 300.0  # seconds: a demoted admin loses organizer rights within five minutes


class AdminDirectory:
    def __init__(self, bot: Bot, *, ttl: float = TTL, clock: Callable[[], float] | None = None) -> None:
        self.bot = bot
        self.ttl = ttl
        self._clock = clock
        self._known: dict[int, tuple[float, frozenset[int]]] = {}
        self._loading: dict[int, asyncio.Future[frozenset[int]]] = {}

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        return user_id in await self.admins(chat_id)

    async def admins(self, chat_id: int) -> frozenset[int]:
        known = self._known.get(chat_id)
        if known is not None and known[0] > self._now():
            return known[1]
        pending = self._loading.get(chat_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[frozenset[int]] = asyncio.get_running_loop().create_future()
        self._loading[chat_id] = future
        try:
            admins = await self._fetch(chat_id)
        except BaseException as error:  # the waiters must not hang
            if isinstance(error, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(error)
                future.exception()  # retrieved, even when nobody else was waiting
            raise
        else:
            future.set_result(admins)
            return admins
        finally:
            del self._loading[chat_id]

    async def _fetch(self, chat_id: int) -> frozenset[int]:
        try:
            members = await self.bot.get_chat_administrators(chat_id)
        except TelegramError as error:  # not cached: the next command asks again
            log.warning("could not list the administrators of a group: %s", error.message)
            return frozenset()
        admins = frozenset(member.user.id for member in members)
        if len(self._known) >= 10_000:
            now = self._now()
            self._known = {k: v for k, v in self._known.items() if v[0] > now}
        self._known[chat_id] = (self._now() + self.ttl, admins)
        return admins

    def forget(self, chat_id: int) -> None:
        self._known.pop(chat_id, None)
