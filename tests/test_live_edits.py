"""Live edits of a card under a crowd: requests for one card are coalesced into a refresh running and at most
one waiting, the last one reads the last state, and `settle()` returns only once every refresh is done."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from bot.runtime import Runtime


@dataclass
class Watch:
    """What the slow card's refreshes saw: the counter each one read, and how many ran at once."""

    count: int = 0
    read: list[int] = field(default_factory=list)
    alive: int = 0
    most: int = 0


async def test_a_crowd_of_requests_for_a_slow_card_is_a_few_refreshes_and_settle_waits_for_the_last(
    console_driver, monkeypatch: pytest.MonkeyPatch
):
    runtime: Runtime = console_driver.app.runtime
    runtime.edit_interval = 0.01
    state = Watch()

    async def refresh(key: str) -> list[object]:
        state.alive += 1
        state.most = max(state.most, state.alive)
        state.read.append(state.count)
        await asyncio.sleep(0.03)  # a slow database
        state.alive -= 1
        return []

    monkeypatch.setattr(console_driver.app.engine, "refresh", refresh)
    for _ in range(60):
        state.count += 1
        await runtime.request_refresh("proposal:1")
        await asyncio.sleep(0.002)
    await runtime.settle()

    assert state.read[-1] == 60, "the last refresh read the last state"
    assert len(state.read) < 30, "coalesced"
    assert state.most == 1, "one refresh of a card at a time"
    left = [t for t in asyncio.all_tasks() if t.get_name().startswith("refresh ")]
    assert left == [], "settle() returned with refreshes still waiting or running"
