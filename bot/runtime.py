"""The runtime joins the engine to the adapters: it routes each reply to the adapter of its platform,
coalesces live edits, skips edits that would change nothing, and reports delivery failures back."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from typing import Protocol

from bot.engine import Engine
from bot.flood import FloodGuard
from bot.formatting import PLAIN, render
from bot.inbound import Inbound, MessageRef
from bot.replies import (
    AskInput,
    CalendarEntry,
    DeliveryError,
    Edit,
    Forgotten,
    Invite,
    Notice,
    Refresh,
    Reply,
    Send,
)

log = logging.getLogger(__name__)


class Outlet(Protocol):
    """What an adapter offers the runtime: deliver one reply on its platform."""

    platform: str

    async def deliver(self, reply: Reply, *, event: Inbound | None) -> MessageRef | None:
        """Carry out one reply. `event` is the event being answered when the reply belongs to it (the
        adapter may then use the interaction: a toast, an interaction response). Returns the posted
        message for a Send. Raises DeliveryError when the platform refused it."""
        ...

    async def finish(self, event: Inbound) -> None:
        """Every reply to `event` was delivered: acknowledge the interaction if nothing else did."""
        ...


def _fingerprint(edit: Edit) -> str:
    text = render(edit.body, PLAIN) + repr(edit.buttons)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class Runtime:
    def __init__(self, engine: Engine, *, edit_interval: float | None = None) -> None:
        self.engine = engine
        self.outlets: dict[str, Outlet] = {}
        self.edit_interval = engine.settings.live_edit_interval if edit_interval is None else edit_interval
        self._last_flush: dict[str, float] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}  # a refresh per key that has not read the state yet
        self._tasks: set[asyncio.Task[None]] = set()  # every refresh not finished, waiting or running
        self._locks: dict[str, asyncio.Lock] = {}
        self._shown: OrderedDict[MessageRef, str] = OrderedDict()
        self.flood = FloodGuard.of(engine)

    def attach(self, outlet: Outlet) -> None:
        self.outlets[outlet.platform] = outlet

    async def dispatch(self, event: Inbound) -> list[Reply]:
        """Handle one event and deliver everything it calls for. Returns the replies (for drivers)."""
        replies = await self.flood.screen(event, self.engine)  # the engine's answer, within the limits
        await self.deliver(replies, event=event)
        outlet = self.outlets.get(event.sender.platform)
        if outlet is not None:
            await outlet.finish(event)
        return replies

    async def deliver(self, replies: list[Reply], *, event: Inbound | None = None) -> None:
        for reply in replies:
            if isinstance(reply, Refresh):
                await self.request_refresh(reply.key)
                continue
            await self._deliver_one(reply, event)

    def _platform_of(self, reply: Reply, event: Inbound | None) -> str | None:
        if isinstance(reply, (Send, Invite, AskInput, Forgotten)):
            return reply.to.platform
        if isinstance(reply, Edit):
            return reply.target.chat.platform
        if isinstance(reply, Notice):
            return event.sender.platform if event else None
        if isinstance(reply, CalendarEntry):
            return reply.community.platform
        return None

    async def send(self, reply: Reply) -> MessageRef | None:
        """Deliver one reply for the outbox dispatcher: failures are raised, not swallowed, so the
        dispatcher decides between retrying and giving up."""
        platform = self._platform_of(reply, None)
        outlet = self.outlets.get(platform or "")
        if outlet is None:
            raise DeliveryError(f"no adapter for {platform}", permanent=False, retry_after=60)
        ref = await outlet.deliver(reply, event=None)
        if isinstance(reply, Edit):
            self._remember(reply.target, _fingerprint(reply))
        return ref

    async def _deliver_one(self, reply: Reply, event: Inbound | None) -> None:
        platform = self._platform_of(reply, event)
        outlet = self.outlets.get(platform or "")
        if outlet is None:
            log.warning("no adapter for platform %s: a %s was dropped", platform, type(reply).__name__)
            return
        if isinstance(reply, Edit):
            fingerprint = _fingerprint(reply)
            if self._shown.get(reply.target) == fingerprint:
                return
        same_platform_event = event if event is not None and event.sender.platform == platform else None
        try:
            ref = await outlet.deliver(reply, event=same_platform_event)
        except DeliveryError as error:
            log.warning(
                "%s delivery failed (%s): %s",
                platform,
                "permanent" if error.permanent else "transient",
                error.reason,
            )
            target = getattr(reply, "to", None)
            if error.permanent and target is not None and target.is_private:
                await self.engine.mark_unreachable(target.platform, target.chat_id)
            return
        if isinstance(reply, Edit):
            self._remember(reply.target, _fingerprint(reply))
        elif isinstance(reply, Send) and ref is not None:
            self._remember(ref, _fingerprint(Edit(target=ref, body=reply.body, buttons=reply.buttons)))
            if reply.track:
                await self.engine.delivered(reply.track, ref)
        elif isinstance(reply, (Invite, CalendarEntry)) and ref is not None and reply.track:
            await self.engine.delivered(reply.track, ref)

    def _remember(self, ref: MessageRef, fingerprint: str) -> None:
        self._shown[ref] = fingerprint
        self._shown.move_to_end(ref)
        while len(self._shown) > 50_000:
            self._shown.popitem(last=False)

    # -- live edits ------------------------------------------------------------------------------------------

    async def request_refresh(self, key: str) -> None:
        """At most one refresh per key per interval; the last state is always shown, because a trailing
        refresh reads the state when it runs, not when it was requested. Per key, at most one refresh waits
        while another runs: a request made meanwhile is the waiting one's."""
        if self.edit_interval <= 0:
            await self._refresh(key)
            return
        if key in self._pending:
            return
        loop = asyncio.get_running_loop()
        wait = self._last_flush.get(key, -1e9) + self.edit_interval - loop.time()
        task = loop.create_task(self._refresh_later(key, max(wait, 0.0)), name=f"refresh {key}")
        self._pending[key] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _refresh_later(self, key: str, delay: float) -> None:
        me = asyncio.current_task()
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            async with self._locks.setdefault(key, asyncio.Lock()):
                # from here on the state is read: a new request must be another refresh, after this one
                if self._pending.get(key) is me:
                    del self._pending[key]
                await self._flush(key)
        finally:
            if self._pending.get(key) is me:
                del self._pending[key]

    async def _refresh(self, key: str) -> None:
        async with self._locks.setdefault(key, asyncio.Lock()):
            await self._flush(key)

    async def _flush(self, key: str) -> None:
        self._last_flush[key] = asyncio.get_running_loop().time()
        try:
            edits = await self.engine.refresh(key)
        except Exception:
            log.exception("refresh of %s failed", key)
            return
        for edit in edits:
            await self._deliver_one(edit, None)

    async def settle(self) -> None:
        """Wait until every coalesced refresh has run, those waiting and those running (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def run_due(self) -> None:
        """Do what fell due, feature by feature (closings, openings, reminders), and deliver what it says."""
        for jobs in self.engine.registry.jobs:
            await self.deliver(list(await jobs.run_due(self.engine)))

    async def close(self) -> None:
        await self.settle()
