"""The dispatcher drains the outbox through the adapters, one message at a time per worker.

Pacing: a `Pacer` per platform with no initial burst, so a broadcast runs at the platform's limit from the
first message without event a 429. The rows' state marks go through `storage.outbox_queue`. A transient
failure (429, timeout, 5xx) is retried with exponential backoff, honouring the platform's retry_after; a
permanent one (blocked bot, DMs closed, chat gone) is final and marks the resident unreachable. A message
still waiting after its `not_after` (a reminder for an event that has started) is dropped, not sent late.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.clock import Clock
from bot.outbox.codec import reply_from_json
from bot.replies import DeliveryError, Send
from bot.runtime import Runtime
from storage import outbox as store
from storage.outbox_queue import Claimed, Done, OutboxQueue

log = logging.getLogger(__name__)

BACKOFF_CAP = 300.0
MAX_ATTEMPTS = 8


class Pacer:
    """Paces sends at `rate` a second, never in a burst, by the generic cell rate algorithm (a token
    bucket in its virtual-scheduling form): each send has a theoretical time, one interval after the
    previous one's, and may go at most `EARLY` of an interval before it; a platform enforcing the same
    rule with any tolerance of at least `EARLY` sees no 429.

    The event loop sleeps in whole milliseconds, late by up to one: at hundreds of messages a second that
    would lose a few percent of the rate. So the pacer sleeps to within `PRECISION` of the instant and
    yields to the loop for the rest (other tasks keep running; the cost is at most that much CPU time per
    message, only when the limit is what holds sends back)."""

    SAFETY = 0.98  # aim just under the limit: the platform's clock is not ours
    EARLY = 0.4
    PRECISION = 0.0015

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / (rate * self.SAFETY) if rate else 0.0
        self._theoretical = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        earliest = self._theoretical - self.EARLY * self.interval
        if (ahead := earliest - time.monotonic()) > self.PRECISION:
            await asyncio.sleep(ahead - self.PRECISION)
        # a known instant, not an event to wait for: yield to the loop until it comes
        while time.monotonic() < earliest:  # noqa: ASYNC110
            await asyncio.sleep(0)
        self._theoretical = max(self._theoretical, time.monotonic()) + self.interval


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0


class Dispatcher:
    STOP_GRACE = 30.0  # seconds a send in flight may take to finish at shutdown

    def __init__(
        self,
        runtime: Runtime,
        *,
        worker: str | None = None,
        rates: dict[str, float] | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 100,
        idle_poll: float = 1.0,
    ) -> None:
        self.runtime = runtime
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.pacers = {platform: Pacer(rate) for platform, rate in (rates or {}).items()}
        self.lease = lease
        self.batch = batch
        self.idle_poll = idle_poll
        self.stats = DispatchStats()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._outbox: OutboxQueue | None = None
        self._stopping = False

    @property
    def _clock(self) -> Clock:
        return self.runtime.engine.clock

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    async def drain(self) -> int:
        """Deliver everything due now; returns how many rows were handled."""
        handled = 0
        queue = self._queue()
        while True:
            rows = await queue.claim(now=self._clock.now(), limit=self.batch)
            if not rows:
                return handled
            done: Done | None = None
            for row in rows:
                if self._stopping:
                    break  # the rows not started go back to the queue with `release()`
                now = self._clock.now()
                if row.not_after is not None and now >= row.not_after:
                    await self._record(done)
                    done = (row.id, store.DROPPED, None)
                    self.stats.dropped += 1
                    continue
                taken = await queue.advance(done=done, start=row.id, now=now)
                done = await self._send(row, self._pacer(row.platform)) if taken else None
                handled += taken
            await self._record(done)
            if self._stopping:
                return handled

    def _queue(self) -> OutboxQueue:
        if self._outbox is None:
            self._outbox = OutboxQueue(self.runtime.engine.db, self.worker, self.lease)
        return self._outbox

    async def _record(self, done: Done | None) -> None:
        """Write an outcome now rather than with the next row's start (the end of a batch, a dropped row)."""
        if done is not None:
            await self._queue().advance(done=done, start=None, now=self._clock.now())

    def _pacer(self, platform: str) -> Pacer:
        return self.pacers.setdefault(platform, Pacer(None))

    async def _send(self, row: Claimed, pacer: Pacer) -> Done | None:
        """Hand one row to its adapter, at the platform's pace (waited for last, right before the call, so
        that nothing between the wait and the send can bunch two sends together). Returns the outcome to
        record with the next commit, or None when it was already recorded (a retry, a final failure)."""
        queue = self._queue()
        reply = reply_from_json(json.loads(row.payload))
        if isinstance(reply, Send) and reply.idempotency_key is None:
            reply = replace(reply, idempotency_key=f"civicbot-{row.id}")
        await pacer.wait()
        try:
            ref = await self.runtime.send(reply)
        except DeliveryError as error:
            if error.permanent or row.attempts + 1 >= MAX_ATTEMPTS:
                await queue.finish(row.id, state=store.FAILED, error=error.reason)
                self.stats.failed += 1
                chat = getattr(reply, "to", None)
                if error.permanent and chat is not None and chat.is_private:
                    await self.runtime.engine.mark_unreachable(chat.platform, chat.chat_id)
                return None
            delay = (
                error.retry_after
                if error.retry_after is not None
                else min(BACKOFF_CAP, 2.0 ** (row.attempts + 1))
            )
            await queue.retry_later(
                row.id, at=self._clock.now() + timedelta(seconds=delay), error=error.reason
            )
            self.stats.retried += 1
            return None
        except Exception as error:  # an adapter bug: keep the row, try again later
            log.exception("outbox delivery crashed")
            await queue.retry_later(row.id, at=self._clock.now() + timedelta(seconds=30), error=repr(error))
            self.stats.retried += 1
            return None
        self.stats.sent += 1
        return (row.id, store.SENT, ref.message_id if ref is not None else None)

    # -- running ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox dispatcher")

    async def stop(self) -> None:
        """Stop claiming, let the send in flight finish and be recorded, and give back the rows claimed but
        not started: a clean shutdown (a deploy) leaves no row `sending`, so only a crash can cost a
        duplicate. A send that hangs longer than `STOP_GRACE` is abandoned like a crash would."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), self.STOP_GRACE)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        if self._outbox is not None:
            with contextlib.suppress(Exception):
                await self._outbox.release()
            await self._outbox.close()
            self._outbox = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox dispatcher pass failed")
            if self._stopping:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll)
