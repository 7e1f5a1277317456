"""Deadlines and reminders set on the days Paris changes its clocks: what the organizer typed is a local
hour, and the poll closes, and the reminder goes out, at that local hour, never an hour early or late.

Summer time begins on Sunday 28 March 2027 (02:00 becomes 03:00, UTC+1 → UTC+2); it ends on Sunday
25 October 2026 (03:00 becomes 02:00, UTC+2 → UTC+1). Each scenario starts on the change day itself, in
the small hours, before the change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.drivers.base import last, texts

MINUTE = timedelta(minutes=1)

# (the day the scenario starts on, before the change; that day's 18:00 in Paris; the next day's 19:00)
CHANGES = [
    pytest.param(
        datetime(2027, 3, 28, 0, 30, tzinfo=UTC),  # 01:30 in Paris, winter time
        datetime(2027, 3, 28, 16, 0, tzinfo=UTC),  # 18:00 summer time
        datetime(2027, 3, 29, 17, 0, tzinfo=UTC),
        id="summer-time-begins",
    ),
    pytest.param(
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 in Paris, summer time
        datetime(2026, 10, 25, 17, 0, tzinfo=UTC),  # 18:00 winter time
        datetime(2026, 10, 26, 18, 0, tzinfo=UTC),
        id="summer-time-ends",
    ),
]


def local_day(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d")


async def closed(driver) -> bool:
    await driver.settle()
    return "Sondage clos" in driver.messages("square")[0]


@pytest.mark.parametrize(("start", "six_pm", "next_seven_pm"), CHANGES)
async def test_a_poll_set_to_close_at_6_pm_on_the_change_day_closes_at_6_pm_local(
    driver, start, six_pm, next_seven_pm
):
    driver.clock.set(start)
    await driver.send("alice", f'/poll --closes "{local_day(start)} 18:00" Marché nocturne ? | Oui | Non')
    assert "à 18 h 00" in last(driver)
    await driver.press("bob", "Oui")

    driver.clock.set(six_pm - MINUTE)
    assert not await closed(driver), "a minute before 18:00 in Paris, the poll is still open"
    driver.clock.set(six_pm)
    assert await closed(driver), "at 18:00 in Paris it closes"
    assert "Le sondage n° 1 est clos." in last(driver)


@pytest.mark.parametrize(("start", "six_pm", "next_seven_pm"), CHANGES)
async def test_a_deadline_in_hours_counts_elapsed_hours_across_the_change(
    driver, start, six_pm, next_seven_pm
):
    driver.clock.set(start)
    await driver.send("alice", "/poll --closes dans 3 heures Fermeture de la rue ? | Oui | Non")
    # 3 hours after 01:30 winter time is 05:30 summer time; after 02:30 summer time, 04:30 winter time
    shown = "à 5 h 30" if start.month == 3 else "à 4 h 30"
    assert shown in last(driver)

    driver.clock.set(start + timedelta(hours=3) - MINUTE)
    assert not await closed(driver)
    driver.clock.set(start + timedelta(hours=3))
    assert await closed(driver), "three hours of real time, whatever the wall clock shows"


@pytest.mark.parametrize(("start", "six_pm", "next_seven_pm"), CHANGES)
async def test_the_day_before_reminder_of_a_event_after_the_change_comes_at_the_same_local_hour(
    driver, start, six_pm, next_seven_pm
):
    driver.clock.set(start)
    event_day = local_day(next_seven_pm)
    await driver.send("alice", f"/event Réunion publique | {event_day} 19:00 | Salle des fêtes")
    await driver.press("bob", "Je viens")
    await driver.send("bob", "/start", chat="@bob")  # bob can be reminded in private
    square_before = len(driver.messages("square"))

    day_before = next_seven_pm - timedelta(days=1)  # 19:00 in Paris on the change day
    driver.clock.set(day_before - MINUTE)
    await driver.settle()
    assert len(driver.messages("square")) == square_before, "not a minute before 19:00 local"

    driver.clock.set(day_before)
    await driver.settle()
    assert "Rappel : Réunion publique" in last(driver)
    assert "Rappel : Réunion publique" in last(driver, "@bob")

    driver.clock.set(next_seven_pm - timedelta(hours=1))  # 18:00 local on the day
    await driver.settle()
    assert sum("Rappel : Réunion publique" in m.text for m in driver.messages("square")) == 2
    assert texts(driver, "@bob").count("Rappel : Réunion publique") == 2
