"""A crowd on a proposal's card, through the engine and the runtime's coalesced live edits: one resident's
200 simultaneous taps on « Je soutiens » are one support, on both databases, and once the last edit is out
the card says exactly what the database holds."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from storage.tables import ProposalSupport
from tests.databases import BACKENDS, database_url
from tests.drivers.console import ConsoleDriver, console_settings
from tests.scenarios.test_events import deliver_outbox
from tests.scenarios.test_proposals import card, write_proposal


@pytest.fixture(params=BACKENDS)
async def crowd(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ConsoleDriver]:
    """The console on both databases, with flood limits no crowd reaches (they are not what is tested) and
    live edits coalesced as in production (one per 50 ms per card)."""
    async with database_url(request.param, tmp_path) as url:
        settings = console_settings(url, tmp_path).model_copy(update={"flood_limit": "100000 per minute"})
        driver = ConsoleDriver(settings, tmp_path)
        await driver.start()
        try:
            yield driver
        finally:
            await driver.stop()


async def test_two_hundred_simultaneous_taps_by_one_resident_are_one_support_and_the_card_counts_right(
    crowd, monkeypatch
):
    driver = crowd
    await driver.send("alice", "/reglages_propositions moderation non")
    await write_proposal(driver, "bob")
    await driver.press("bob", "Envoyer, signée Bob", chat="@bob")
    await deliver_outbox(driver)
    shown = card(driver)
    message = next(m for m in driver.console.chats["square"] if "Proposition n° 1" in m.text)
    button = next(b for row in message.buttons for b in row if b.label == "Je soutiens")
    edits = 0
    deliver = driver.console.deliver

    async def counting(reply, *, event):
        nonlocal edits
        edits += type(reply).__name__ == "Edit"
        return await deliver(reply, event=event)

    monkeypatch.setattr(driver.console, "deliver", counting)
    driver.app.runtime.edit_interval = 0.05
    taps = [driver.console.press("dave", "square", message, button) for _ in range(200)]
    taps += [driver.console.press(f"voisin{n}", "square", message, button) for n in range(30)]
    await asyncio.gather(*taps)
    await driver.settle()

    async with driver.app.db.read() as session:
        supporters = (await session.exec(select(ProposalSupport.resident_id))).all()
        total = (await session.exec(select(func.count()).select_from(ProposalSupport))).one()
    assert len(supporters) == len(set(supporters)) == total == 31, "dave once, and each neighbour once"
    shown = card(driver)
    counted = re.search(r"(\d+) soutiens", shown.text)
    assert counted is not None and counted.group(1) == "31", "the last edit shows the database"
    assert edits < 230 / 4, "taps are coalesced into a few edits, not one each"
