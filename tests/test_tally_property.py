"""Property: whatever residents do — vote, withdraw, move, in any order, with closes in between — the
displayed tally is what a plain model of the rules says."""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.databases import database_url
from tests.drivers.console import ConsoleDriver, console_settings

RESIDENTS = ["bob", "carol", "dave", "eve", "frank"]
OPTIONS = ["Rouge", "Vert", "Bleu", "Jaune"]

actions = st.lists(
    st.one_of(
        st.tuples(st.just("tap"), st.sampled_from(RESIDENTS), st.integers(0, len(OPTIONS) - 1)),
        st.just(("close", "", 0)),
    ),
    max_size=40,
)


def model(steps: list[tuple[str, str, int]], multi: bool) -> tuple[list[int], int]:
    choices: dict[str, set[int]] = {r: set() for r in RESIDENTS}
    closed = False
    for kind, resident, option in steps:
        if kind == "close":
            closed = True
        elif not closed:
            mine = choices[resident]
            if option in mine:
                mine.discard(option)
            elif multi:
                mine.add(option)
            else:
                mine.clear()
                mine.add(option)
    counts = [sum(option in mine for mine in choices.values()) for option in range(len(OPTIONS))]
    return counts, sum(bool(mine) for mine in choices.values())


def displayed(card: str) -> tuple[list[int], int]:
    counts = [shown(rf"^{name} : (\d+) ", card) for name in OPTIONS]
    voters = shown(r"(\d+) votants?", card)
    return counts, voters


def shown(pattern: str, card: str) -> int:
    """The number the card shows where `pattern` matches (the test fails when it shows none)."""
    found = re.search(pattern, card, re.MULTILINE)
    assert found is not None, pattern
    return int(found.group(1))


async def play(steps: list[tuple[str, str, int]], multi: bool, folder: Path) -> tuple[list[int], int]:
    async with database_url("sqlite", folder) as url:  # a copy of a migrated file: quicker than migrating
        driver = ConsoleDriver(console_settings(url, folder), folder)
        await driver.start()
        try:
            kind_of_poll = "--multi " if multi else ""
            await driver.send("alice", f"/poll {kind_of_poll}Couleur ? | " + " | ".join(OPTIONS))
            poll_id = 1  # a fresh database for each example
            for kind, resident, option in steps:
                if kind == "close":
                    await driver.send("alice", f"/close {poll_id}")
                else:
                    action = driver.app.engine.signer.sign("v", poll_id, option)
                    await driver.press_raw(resident, action)
            card = driver.messages("square")[0].text
            return displayed(card.replace("\u202f", " ").replace("\xa0", " "))
        finally:
            await driver.stop()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions, multi=st.booleans())
def test_the_displayed_tally_always_matches_a_plain_model_of_the_rules(steps, multi):
    with tempfile.TemporaryDirectory() as folder:
        assert asyncio.run(play(steps, multi, Path(folder))) == model(steps, multi)
