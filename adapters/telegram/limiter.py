"""Outgoing pace within Telegram's flood limits, plugged into python-telegram-bot as its rate limiter.

Why our own: PTB's `AIORateLimiter` lets a burst as large as the rate through at once, and its pause after a
429 is reopened by any other request that finishes. bench/telegram.py, 3,000 messages against a fake
enforcing the limit: with its defaults about one message in eight meets a 429 and is lost (RetryAfter is
raised to the caller); with retries none is lost but a fifth meet a 429 and it reaches 0.9 of the limit —
civicbot's limiter reaches 0.96 with no 429 at all. Here a limited request first waits for its chat's
schedule, then for its turn in one queue for the whole bot, released one per 1/rate seconds by a single
pump (a late timer cannot release a burst); a 429 pauses everything for `retry_after` and the *same*
request is sent again — a refused request was not delivered, so the retry can never duplicate a message.
Network errors are not retried: the message may have arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# PTB 22 warns on every RetryAfter that `retry_after` becomes a timedelta in version 23; opt in now (this
# adapter reads durations as timedeltas only), so flood control does not fill the logs with warnings.
os.environ.setdefault("PTB_TIMEDELTA", "true")

# What Telegram counts against flood control: messages and their edits (callback answers, reads and
# getUpdates are not paced, so a crowd of taps is acknowledged at once).
PACED = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendmediagroup",
        "copymessage",
        "forwardmessage",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
        "editmessagemedia",
    }
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's documented limits. `None` disables a limit (the tests' fake enforces none by default)."""

    per_second: float | None = 30.0  # the whole bot
    headroom: float = 0.98  # pace just under the limit (see Pacer)
    per_chat_per_second: float | None = 1.0  # any one chat
    per_chat_burst: int = 3  # short bursts in one chat are tolerated (an answer in two messages)
    per_group_per_minute: float | None = 20.0  # a group or supergroup
    per_group_burst: int = 20
    max_retries: int = 8  # 429s in a row before giving up on one request

    @classmethod
    def unlimited(cls) -> Limits:
        return cls(per_second=None, per_chat_per_second=None, per_group_per_minute=None)


class Schedule:
    """Virtual scheduling (GCRA): slot n is at most `burst - 1` intervals ahead of the steady pace.
    Slots are reserved in call order, so waiting requests keep their order."""

    __slots__ = ("_due", "_interval", "_tolerance")

    def __init__(self, per_second: float, burst: int = 1) -> None:
        self._interval = 1.0 / per_second
        self._tolerance = (max(burst, 1) - 1) * self._interval
        self._due = float("-inf")  # the theoretical time of the next slot

    def earliest(self, now: float) -> float:
        return max(now, self._due - self._tolerance)

    def book(self, at: float) -> None:
        self._due = max(self._due, at) + self._interval

    def idle_since(self, now: float) -> bool:
        return self._due < now


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, without touching PTB's deprecated int-or-timedelta property."""
    value = getattr(error, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) if value is not None else 1.0


class Pacer:
    """The whole bot's queue: waiting requests are released in arrival order, one per `1/rate` seconds.
    A wake-up late by up to `catch_up` slots keeps the schedule (the next release comes sooner, so timer
    granularity costs no throughput); later than that, or after idling or a pause, the schedule restarts
    from now, so nothing is ever released as a burst. A pause (a 429) holds everything back.

    The limiter paces a little under the limit (`Limits.headroom`): at exactly the limit, Telegram's token
    level would drift like a random walk with every jitter of the network and eventually run dry."""

    def __init__(self, per_second: float | None, catch_up: int = 1) -> None:
        self._interval = 1.0 / per_second if per_second else 0.0
        self._tolerance = catch_up * self._interval
        self._next = float("-inf")  # when the next release is due
        self._paused_until = float("-inf")
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._pump: asyncio.Task[None] | None = None

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, asyncio.get_running_loop().time() + seconds)

    async def after_pause(self) -> None:
        loop = asyncio.get_running_loop()
        while True:  # a pause may be extended while we wait
            wait = self._paused_until - loop.time()
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    async def turn(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if not self._waiters and self._ready_at() <= now:
            self._release(now)
            return
        future: asyncio.Future[None] = loop.create_future()
        self._waiters.append(future)
        if self._pump is None or self._pump.done():
            self._pump = loop.create_task(self._run(), name="telegram pacer")
        await future

    def _ready_at(self) -> float:
        return max(self._paused_until, self._next)

    def _release(self, now: float) -> None:
        on_schedule = now - self._next <= self._tolerance
        self._next = (self._next if on_schedule else now) + self._interval

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiters:
            now = loop.time()
            ready_at = self._ready_at()
            if ready_at > now:
                await asyncio.sleep(ready_at - now)
                continue
            future = self._waiters.popleft()
            if not future.done():  # a cancelled request gives its turn to the next
                self._release(now)
                future.set_result(None)


class TelegramRateLimiter(BaseRateLimiter[int]):
    """`rate_limit_args`, when given to a Bot method, is the number of 429 retries for that request."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        rate = self.limits.per_second
        self._pacer = Pacer(rate * self.limits.headroom if rate else None)
        self._chats: dict[int | str, tuple[Schedule, ...]] = {}
        self.retries = 0  # 429s met (and retried), for the bench and the logs

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        paced = endpoint.lower() in PACED
        retries = self.limits.max_retries if rate_limit_args is None else rate_limit_args
        if paced:
            await self._chat_turn(data.get("chat_id"))
        attempt = 0
        while True:
            await (self._pacer.turn() if paced else self._pacer.after_pause())
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_seconds(error)
                self._pacer.pause(seconds)
                self.retries += 1
                if attempt >= retries:
                    raise
                attempt += 1
                log.info("Telegram asked to slow down: %s retried in %.1f s", endpoint, seconds)

    # -- pacing --------------------------------------------------------------------------------------------

    async def _chat_turn(self, chat_id: object) -> None:
        schedules = self._schedules(chat_id)
        if not schedules:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        at = max(schedule.earliest(now) for schedule in schedules)
        for schedule in schedules:
            schedule.book(at)
        if at > now:
            await asyncio.sleep(at - now)

    def _schedules(self, chat_id: object) -> tuple[Schedule, ...]:
        if chat_id is None:
            return ()
        key: int | str = str(chat_id)
        with contextlib.suppress(ValueError):
            key = int(str(chat_id))
        known = self._chats.get(key)
        if known is not None:
            return known
        limits = self.limits
        schedules: list[Schedule] = []
        if limits.per_chat_per_second:
            schedules.append(Schedule(limits.per_chat_per_second, limits.per_chat_burst))
        is_group = isinstance(key, str) or key < 0  # private chats have the user's (positive) id
        if is_group and limits.per_group_per_minute:
            schedules.append(Schedule(limits.per_group_per_minute / 60.0, limits.per_group_burst))
        if len(self._chats) >= 50_000:
            self._forget_idle_chats()
        self._chats[key] = tuple(schedules)
        return self._chats[key]

    def _forget_idle_chats(self) -> None:
        now = asyncio.get_running_loop().time()
        self._chats = {k: v for k, v in self._chats.items() if not all(s.idle_since(now) for s in v)}
