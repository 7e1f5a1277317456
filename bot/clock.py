"""Time as a dependency: the engine and its deadline runner ask one clock, so tests move time without
sleeping and a deployment whose wall clock is corrected still runs each deadline at its instant."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...

    async def sleep_until(self, instant: datetime) -> None:
        """Return once `now()` has reached `instant` (at once if it has)."""
        ...


class SystemClock:
    """The machine's wall clock. Sleeps in naps of at most `MAX_NAP` seconds and looks at the clock again
    after each: the event loop's timer runs on the monotonic clock, so a corrected wall clock (NTP, a
    suspended virtual machine) is noticed within one nap rather than never."""

    MAX_NAP = 30.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, instant: datetime) -> None:
        while (left := (instant - self.now()).total_seconds()) > 0:  # noqa: ASYNC110 (a time, not an event)
            await asyncio.sleep(min(left, self.MAX_NAP))


class ShiftedClock(SystemClock):
    """The wall clock, moved so that it starts at `start` and runs on at its normal pace: a terminal demo
    or transcript that reads the same whatever the day (CIVICBOT_SHELL_CLOCK), where deadlines still run."""

    def __init__(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


class ManualClock:
    """A clock that moves only when told to (tests, demos). Moving it wakes whoever sleeps until an
    instant it has now reached: advancing the clock is what makes a deadline run."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self.set(self._now + delta)

    def set(self, instant: datetime) -> None:
        self._now = instant
        for until, woken in self._sleepers:
            if until <= instant and not woken.done():
                woken.set_result(None)

    async def sleep_until(self, instant: datetime) -> None:
        if instant <= self._now:
            return
        sleeper = (instant, asyncio.get_running_loop().create_future())
        self._sleepers.append(sleeper)
        try:
            await sleeper[1]
        finally:
            self._sleepers.remove(sleeper)
