"""Closing a poll: by an organizer's command or at its deadline, even across a restart; never twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.drivers.base import last
from tests.scenarios.test_micro_polls import normalized


async def wait_until(condition, within: float = 5.0, *, driver=None) -> None:
    """Wait for what a scheduler job does in the background (delivering the outbox meanwhile)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
        if driver is not None:
            await driver.settle()


async def test_an_organizer_closes_the_latest_poll_and_votes_are_refused_afterwards(driver):
    await driver.send("alice", "/poll Un marché le dimanche ? | Oui | Non")
    await driver.press("bob", "Oui")
    await driver.send("alice", "/close")
    card = driver.messages("square")[0]
    assert "Sondage clos" in card
    assert card.buttons == [], "a closed poll has no buttons left"
    announcement = last(driver)
    assert "Le sondage n° 1 est clos." in announcement
    assert "Oui : 1 (100 %)" in normalized(announcement.text)


async def test_a_stale_button_of_a_closed_poll_is_refused_clearly(driver):
    await driver.send("alice", "/poll Un marché le dimanche ? | Oui | Non")
    oui = driver.button_action("Oui")  # the button as a resident's phone still shows it
    await driver.send("alice", "/close")
    toast = await driver.press_raw("bob", oui)
    assert toast == "Ce sondage est clos : les votes ne sont plus acceptés."
    await driver.send("bob", "/results 1")
    assert "Oui : 0 (0 %)" in normalized(last(driver).text)


async def test_closing_twice_is_harmless(driver):
    await driver.send("alice", "/poll Question ? | A | B")
    await driver.send("alice", "/close 1")
    before = len(driver.messages("square"))
    await driver.send("alice", "/close 1")
    assert "déjà clos" in last(driver)
    assert len(driver.messages("square")) == before + 1


async def test_a_poll_closes_by_itself_at_its_deadline(driver):
    await driver.send("alice", "/poll --closes demain 18h Un concert sur la place ? | Oui | Non")
    card = last(driver)
    assert "Clôture le vendredi 27 novembre à 18 h 00" in card
    await driver.press("bob", "Oui")
    driver.clock.advance(timedelta(days=1, hours=9))  # Friday 19:00 in Paris
    await driver.app.deadlines.sync()
    await wait_until(lambda: "Sondage clos" in driver.messages("square")[0].text)
    await driver.settle()
    assert "Le sondage n° 1 est clos." in last(driver)
    assert "Oui : 1 (100 %)" in normalized(last(driver).text)


async def test_a_deadline_that_passed_while_the_bot_was_down_closes_the_poll_at_restart(driver):
    await driver.send("alice", "/poll --closes dans 2 heures Fermeture de la rue ? | Oui | Non")
    await driver.press("bob", "Non")
    driver.clock.advance(timedelta(hours=5))
    await driver.restart()
    await wait_until(lambda: "Sondage clos" in driver.messages("square")[0].text)
    await driver.settle()
    assert "Le sondage n° 1 est clos." in last(driver)
    assert "Non : 1 (100 %)" in normalized(last(driver).text)
    assert closing_jobs(driver) == set()


def closing_jobs(driver) -> set[str]:
    return {job for job in driver.app.deadlines.job_ids() if job.startswith("poll-close:")}


async def test_the_scheduler_holds_exactly_one_closing_job_per_open_deadline(driver):
    await driver.send("alice", "/poll --closes demain 18h A ? | 1 | 2")
    await driver.send("alice", "/poll --closes jeudi 19h B ? | 1 | 2")
    await driver.send("alice", "/poll C sans date ? | 1 | 2")
    await driver.app.deadlines.sync()
    assert closing_jobs(driver) == {"poll-close:1", "poll-close:2"}
    await driver.send("alice", "/close 1")
    await driver.app.deadlines.sync()
    assert closing_jobs(driver) == {"poll-close:2"}
    await driver.restart()
    assert closing_jobs(driver) == {"poll-close:2"}
