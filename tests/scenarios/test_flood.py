"""Nobody can flood a group through the bot: a resident going faster than a human is told once and then
ignored for a while, a community receives a bounded number of answers, and neither silences the others."""

from __future__ import annotations

from datetime import timedelta

from tests.drivers.base import last
from tests.scenarios.test_events import deliver_outbox

SLOW_DOWN = "Please slow down: I will answer you again in 1 minute."
HELP = "What I can do"


async def test_a_flooding_resident_is_warned_once_then_ignored_and_the_square_gets_at_most_its_cap(driver):
    await driver.send("alice", "/lang en")
    await driver.send("alice", "/poll Which day for the street party? | Saturday | Sunday")
    before = len(driver.messages("square"))

    def card():
        return driver.messages("square")[before - 1]

    for _ in range(15):
        await driver.send("bob", "/help")
    answers = driver.messages("square")[before:]
    assert [HELP in m for m in answers] == [True] * 10 + [False], "10 answers within his limit"
    assert answers[-1].text == SLOW_DOWN, "then one polite warning, and nothing more"

    await driver.send("bob", "/help")
    assert len(driver.messages("square")) == before + 11, "paused: no answer"
    await driver.send("carol", "/help")
    assert HELP in last(driver), "bob's pause is his alone"
    assert await driver.press("bob", "Saturday") is None, "paused: not even a toast"
    assert await driver.press("carol", "Sunday") == "Vote recorded: Sunday"
    assert "Sunday: 1" in card() and "1 voter" in card(), "bob's tap stored nothing"

    for _ in range(12):  # a second flood: the square has room for 8 more answers (20 a minute)
        await driver.send("dave", "/help")
    answers = driver.messages("square")[before:]
    assert len(answers) == 20
    assert sum(m.text == SLOW_DOWN for m in answers) == 1, "dave's warning no longer fits in the square"

    # the square is full for residents; live cards, announcements and organizers' posts are not capped
    assert await driver.press("carol", "Saturday") == "Vote moved to: Saturday"
    assert "Saturday: 1" in card() and "Sunday: 0" in card()
    await driver.send("alice", "/close")
    await deliver_outbox(driver)
    assert "Poll no. 1 is closed." in last(driver) and "1 voter" in last(driver)
    await driver.send("alice", "/poll And the time? | Noon | Evening")
    assert last(driver).buttons == ["Noon", "Evening"]

    driver.clock.advance(timedelta(seconds=61))
    await driver.send("bob", "/help")
    assert HELP in last(driver), "after the pause, bob is served again"
