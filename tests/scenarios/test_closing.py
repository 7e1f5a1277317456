"""Closing a poll: by an organizer's command or at its deadline, even across a restart; never twice."""

from __future__ import annotations

from datetime import timedelta

from tests.drivers.base import last
from tests.scenarios.test_micro_polls import normalized


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
    driver.clock.advance(timedelta(days=1, hours=7, minutes=59))  # Friday 17:59 in Paris
    await driver.settle()
    assert "Sondage clos" not in driver.messages("square")[0], "not a minute early"
    driver.clock.advance(timedelta(minutes=1))  # 18:00: moving the clock is what closes it
    await driver.settle()
    assert "Sondage clos" in driver.messages("square")[0]
    assert "Le sondage n° 1 est clos." in last(driver)
    assert "Oui : 1 (100 %)" in normalized(last(driver).text)


async def test_a_deadline_that_passed_while_the_bot_was_down_closes_the_poll_at_restart(driver):
    await driver.send("alice", "/poll --closes dans 2 heures Fermeture de la rue ? | Oui | Non")
    await driver.press("bob", "Non")
    driver.clock.advance(timedelta(hours=5))
    await driver.restart()
    await driver.settle()
    assert "Sondage clos" in driver.messages("square")[0]
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
