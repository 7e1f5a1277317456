"""The dispatcher drains the outbox through the adapters, one message at a time per worker.

Pacing: a token bucket per platform with no initial burst, so a broadcast runs at the platform's limit
from the first message without meeting a 429. A transient failure (429, timeout, 5xx) is retried with
exponential backoff, honouring the platform's retry_after; a permanent one (blocked bot, DMs closed, chat
gone) is final and marks the resident unreachable. A message still waiting after its `not_after` (a
reminder for an event that has started) is dropped, not sent late.
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

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.outbox.codec import reply_from_json
from bot.replies import DeliveryError, Send
from bot.runtime import Runtime
from storage import outbox as store
from storage.tables import OutboxMessage

log = logging.getLogger(__name__)

BACKOFF_CAP = 300.0
MAX_ATTEMPTS = 8


class Pacer:
    """A token bucket that starts empty: `rate` messages a second, never a burst."""

    SAFETY = 0.98  # aim just under the limit: scheduling jitter must not turn into a 429

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / (rate * self.SAFETY) if rate else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self._next <= now:
            self._next = now + self.interval
            return
        delay = self._next - now
        self._next += self.interval
        await asyncio.sleep(delay)


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0


class Dispatcher:
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

    @property
    def _clock(self):  # type: ignore[no-untyped-def]
        return self.runtime.engine.clock

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    async def drain(self) -> int:
        """Deliver everything due now; returns how many rows were handled."""
        handled = 0
        db = self.runtime.engine.db
        async with db.relaxed_connection() as connection:
            while True:
                rows = await store.claim(
                    db, worker=self.worker, now=self._clock.now(), lease=self.lease, limit=self.batch
                )
                if not rows:
                    return handled
                done: tuple[int, str, str | None] | None = None
                for row in rows:
                    assert row.id is not None
                    now = self._clock.now()
                    if row.not_after is not None and now >= row.not_after:
                        await self._record(connection, done)
                        done = (row.id, store.DROPPED, None)
                        self.stats.dropped += 1
                        continue
                    await store.advance(
                        connection, done=done, start=row.id, worker=self.worker, now=now, lease=self.lease
                    )
                    done = await self._send(row, self._pacer(row.platform))
                    handled += 1
                await self._record(connection, done)

    async def _record(self, connection: AsyncConnection, done: tuple[int, str, str | None] | None) -> None:
        """Write an outcome now rather than with the next row's start (the end of a batch, a dropped row)."""
        if done is not None:
            await store.advance(
                connection, done=done, start=None, worker=self.worker, now=self._clock.now(), lease=self.lease
            )

    def _pacer(self, platform: str) -> Pacer:
        return self.pacers.setdefault(platform, Pacer(None))

    async def _send(self, row: OutboxMessage, pacer: Pacer) -> tuple[int, str, str | None] | None:
        """Hand one row to its adapter, at the platform's pace (waited for last, right before the call, so
        that nothing between the wait and the send can bunch two sends together). Returns the outcome to
        record with the next commit, or None when it was already recorded (a retry, a final failure)."""
        assert row.id is not None
        db = self.runtime.engine.db
        reply = reply_from_json(json.loads(row.payload))
        if isinstance(reply, Send) and reply.idempotency_key is None:
            reply = replace(reply, idempotency_key=f"civicbot-{row.id}")
        await pacer.wait()
        try:
            ref = await self.runtime.send(reply)
        except DeliveryError as error:
            if error.permanent or row.attempts + 1 >= MAX_ATTEMPTS:
                await store.finish(db, row.id, state=store.FAILED, error=error.reason)
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
            await store.retry_later(
                db, row.id, at=self._clock.now() + timedelta(seconds=delay), error=error.reason
            )
            self.stats.retried += 1
            return None
        except Exception as error:  # an adapter bug: keep the row, try again later
            log.exception("outbox delivery crashed")
            await store.retry_later(
                db, row.id, at=self._clock.now() + timedelta(seconds=30), error=repr(error)
            )
            self.stats.retried += 1
            return None
        self.stats.sent += 1
        return (row.id, store.SENT, ref.message_id if ref is not None else None)

    # -- running ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await store.release(self.runtime.engine.db, self.worker)

    async def _run(self) -> None:
        while True:
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox dispatcher pass failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll)
