"""Reminders on a controlled clock: the right local time across daylight-saving changes, the right people
(answers changed before a reminder count, muted and unreachable residents get no private message), nothing
after a cancellation, nothing late once the event has started, one row however often it is decided, and a
scheduler whose reminder jobs always match the database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from storage.tables import OutboxMessage
from tests.drivers.base import last
from tests.scenarios.consultation_fixture import SOURCE
from tests.scenarios.test_events import SATURDAY_7PM, deliver_outbox, run_due, speak_english

EVENT = "/event Public event | samedi 19h | Village hall"


async def rows(driver, prefix: str = "") -> dict[str, str]:
    """The outbox as dedup key → state."""
    async with driver.app.db.read() as session:
        query = select(OutboxMessage).where(col(OutboxMessage.dedup_key).startswith(prefix))
        return {row.dedup_key: row.state for row in (await session.exec(query)).all()}


async def at(driver, instant: datetime) -> None:
    """Move the clock and let the process do what falls due (as a scheduler job would)."""
    driver.clock.set(instant)
    await run_due(driver)


async def jobs(driver) -> dict[str, datetime]:
    await driver.app.deadlines.sync()
    return driver.app.deadlines.jobs()


def private_keys(keys, person: str) -> list[str]:
    return sorted(k for k in keys if k.endswith(f":console:{person}"))


# -- the right local time --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "day_before", "hour_before"),
    [
        # summer time starts on Sunday 28 March 2027 at 02:00: 19:00 is UTC+2 that day, UTC+1 the day before
        (
            "2027-03-28 19:00",
            datetime(2027, 3, 27, 18, 0, tzinfo=UTC),
            datetime(2027, 3, 28, 16, 0, tzinfo=UTC),
        ),
        # summer time ends on Sunday 25 October 2026 at 03:00: 19:00 is UTC+1 that day, UTC+2 the day before
        (
            "2026-10-25 19:00",
            datetime(2026, 10, 24, 17, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 17, 0, tzinfo=UTC),
        ),
    ],
)
async def test_reminders_go_out_at_the_right_local_time_across_a_daylight_saving_change(
    driver, start, day_before, hour_before
):
    driver.clock.set(datetime(2026, 10, 1, 8, 0, tzinfo=UTC))
    await driver.send("alice", f"/event Public event | {start} | Village hall")
    await driver.press("bob", "Je viens")
    wanted = await driver.app.deadlines.wanted()
    assert wanted["event-reminder:1:24h"] == day_before, "the day before, at the same local time (19:00)"
    assert wanted["event-reminder:1:1h"] == hour_before, "an hour before is 18:00 local"
    scheduled = await jobs(driver)
    assert scheduled["event-reminder:1:24h"] == day_before
    assert scheduled["event-reminder:1:1h"] == hour_before

    await at(driver, day_before - timedelta(minutes=1))
    assert await rows(driver, "event:1:reminder:") == {}
    await at(driver, day_before)
    assert list(await rows(driver, "event:1:reminder:24h:")) == [
        f"event:1:reminder:24h:{wanted_stamp(start)}:community"
    ]
    await at(driver, hour_before)
    assert len(await rows(driver, "event:1:reminder:1h:")) == 1


def wanted_stamp(start: str) -> str:
    local = {"2027-03-28 19:00": "20270328T1700Z", "2026-10-25 19:00": "20261025T1800Z"}
    return local[start]


# -- the right people --------------------------------------------------------------------------------------


async def test_answers_changed_before_a_reminder_decide_who_gets_it_and_muted_residents_get_none(driver):
    await speak_english(driver, "bob", "carol", "dave", "frank")
    await driver.send("frank", "/reminders off", chat="@frank")
    assert "Private reminders are off" in last(driver, "@frank")
    await driver.send("alice", EVENT)
    await driver.press("bob", "I'm coming")
    await driver.press("carol", "I'm coming")
    await driver.press("dave", "Not coming")
    await driver.press("frank", "Maybe")
    await driver.press("erin", "I'm coming")  # no private chat with the bot
    await driver.press("carol", "Not coming")  # changes her mind
    await driver.press("dave", "Maybe")  # so does he

    await at(driver, SATURDAY_7PM - timedelta(hours=24))
    keys = await rows(driver, "event:1:reminder:24h:")
    assert [k.rsplit(":", 2)[-1] for k in private_keys(keys, "bob") + private_keys(keys, "dave")] == [
        "bob",
        "dave",
    ]
    assert private_keys(keys, "carol") == [], "answered no before the reminder"
    assert private_keys(keys, "frank") == [], "muted"
    assert private_keys(keys, "erin") == [], "unreachable privately: counted, not messaged"
    assert len(keys) == 3  # the community, bob, dave
    await deliver_outbox(driver)
    assert "2 residents who answered could not be reminded privately" not in last(driver).text
    assert "1 resident who answered could not be reminded privately" in last(driver)

    await driver.send("frank", "/reminders on", chat="@frank")
    await at(driver, SATURDAY_7PM - timedelta(hours=1))
    assert private_keys(await rows(driver, "event:1:reminder:1h:"), "frank") != []


async def test_a_resident_whose_private_messages_fail_is_counted_as_unreachable(driver):
    await speak_english(driver, "bob")
    await driver.send("alice", EVENT)
    await driver.press("bob", "I'm coming")
    await driver.app.engine.mark_unreachable("console", "bob")  # e.g. the dispatcher saw "blocked"
    await at(driver, SATURDAY_7PM - timedelta(hours=24))
    keys = await rows(driver, "event:1:reminder:")
    assert private_keys(keys, "bob") == []
    await deliver_outbox(driver)
    assert "1 resident who answered could not be reminded privately" in last(driver)
    await driver.send("alice", "/events 1")
    assert "1 resident who answered cannot be reminded privately" in last(driver)


# -- nothing more after a cancellation, nothing late ------------------------------------------------------


async def test_a_cancelled_event_sends_nothing_more_not_even_a_reminder_already_queued(driver):
    await speak_english(driver, "bob")
    await driver.send("alice", EVENT)
    await driver.press("bob", "I'm coming")
    await at(driver, SATURDAY_7PM - timedelta(hours=24))  # decided, not delivered yet
    assert set((await rows(driver, "event:1:reminder:")).values()) == {"pending"}
    await driver.send("alice", "/event_cancel 1")  # settle() delivers what is left
    assert set((await rows(driver, "event:1:reminder:")).values()) == {"dropped"}
    assert "Event cancelled" in last(driver, "@bob")
    assert "Reminder" not in "\n".join(m.text for m in driver.messages("@bob"))

    await at(driver, SATURDAY_7PM - timedelta(hours=1))
    await at(driver, SATURDAY_7PM - timedelta(minutes=1))
    assert set(await rows(driver, "event:1:")) == {
        *(await rows(driver, "event:1:reminder:24h:")),
        "event:1:cancel:community",
        "event:1:cancel:console:bob",
    }
    assert await driver.press_raw("bob", driver.app.engine.signer.sign("m", "r", 1, "y")) == (
        "This event is cancelled."
    )


async def test_a_reminder_missed_by_an_outage_longer_than_the_event_is_dropped(driver):
    await speak_english(driver, "bob")
    await driver.send("alice", EVENT)
    await driver.press("bob", "I'm coming")
    await driver.app.stop()  # the process is down from Friday morning…
    driver.clock.set(SATURDAY_7PM + timedelta(minutes=5))  # …until after the start
    await driver.restart()
    await run_due(driver)
    assert await rows(driver, "event:1:") == {}, "never sent after the event started"
    assert driver.app.deadlines.job_ids() == set()


async def test_a_reminder_missed_by_a_shorter_outage_is_sent_late_at_restart(driver):
    await speak_english(driver, "bob")
    await driver.send("alice", EVENT)
    await driver.press("bob", "I'm coming")
    driver.clock.set(SATURDAY_7PM - timedelta(hours=20))  # the 24h reminder was due 4 hours ago
    await driver.restart()  # the runner does what fell due at once
    await run_due(driver)
    assert driver.app.deadlines.job_ids() == {"event-reminder:1:1h"}
    assert len(await rows(driver, "event:1:reminder:24h:")) == 2
    await deliver_outbox(driver)
    assert "Reminder: Public event" in last(driver, "@bob")
    assert "in 20 hours" in last(driver, "@bob")


async def test_a_reminder_whose_time_was_before_the_announcement_is_skipped(driver):
    driver.clock.set(SATURDAY_7PM - timedelta(hours=3))
    await driver.send("alice", EVENT)
    assert set(await jobs(driver)) == {"event-reminder:1:1h"}, "announced 3 hours before: no day-before"
    await at(driver, SATURDAY_7PM - timedelta(hours=1))
    assert list(await rows(driver, "event:1:reminder:")) == ["event:1:reminder:1h:20261128T1800Z:community"]


# -- deciding twice, and the scheduler following the database ----------------------------------------------


async def test_deciding_the_same_reminder_twice_queues_one_row_per_recipient(driver):
    await speak_english(driver, "bob")
    await driver.send("alice", EVENT)
    await driver.press("bob", "I'm coming")
    driver.clock.set(SATURDAY_7PM - timedelta(hours=24))
    await asyncio.gather(*(driver.app.runtime.run_due() for _ in range(4)))  # passes racing the runner
    await run_due(driver)
    from bot.events.reminders import decide_due

    assert await decide_due(driver.app.engine) == 0, "already decided: nothing left to decide"
    assert sorted(await rows(driver, "event:1:reminder:")) == [
        "event:1:reminder:24h:20261128T1800Z:community",
        "event:1:reminder:24h:20261128T1800Z:console:bob",
    ]
    await deliver_outbox(driver)
    assert sum("Reminder:" in m.text for m in driver.messages("@bob")) == 1


async def test_reminder_jobs_follow_edits_and_cancellation_without_orphans(driver):
    await speak_english(driver)
    await driver.send("alice", "/event --reminders 2h,15m Public event | samedi 19h | Village hall")
    await driver.send("alice", EVENT)
    assert await jobs(driver) == {
        "event-reminder:1:2h": SATURDAY_7PM - timedelta(hours=2),
        "event-reminder:1:15m": SATURDAY_7PM - timedelta(minutes=15),
        "event-reminder:2:24h": SATURDAY_7PM - timedelta(hours=24),
        "event-reminder:2:1h": SATURDAY_7PM - timedelta(hours=1),
    }
    await driver.send("alice", "/event_edit 1 reminders 30m")
    await driver.send("alice", "/event_edit 2 when dimanche 10h")  # Sunday 29 November, 09:00 UTC
    assert await jobs(driver) == {
        "event-reminder:1:30m": SATURDAY_7PM - timedelta(minutes=30),
        "event-reminder:2:24h": datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        "event-reminder:2:1h": datetime(2026, 11, 29, 8, 0, tzinfo=UTC),
    }
    await driver.send("alice", "/event_edit 1 reminders none")
    assert set(await jobs(driver)) == {"event-reminder:2:24h", "event-reminder:2:1h"}
    await at(driver, datetime(2026, 11, 28, 9, 0, tzinfo=UTC))  # the day-before reminder of event 2
    assert set(await jobs(driver)) == {"event-reminder:2:1h"}, "a decided reminder leaves no job"
    await driver.send("alice", "/event_cancel 2")
    assert await jobs(driver) == {}
    await driver.restart()
    assert driver.app.deadlines.job_ids() == set()


async def test_moving_an_event_after_a_reminder_makes_its_reminders_new_decisions(driver):
    await speak_english(driver, "bob")
    await driver.send("alice", EVENT)
    await driver.press("bob", "I'm coming")
    await at(driver, SATURDAY_7PM - timedelta(hours=24))
    await deliver_outbox(driver)
    await driver.send("alice", "/event_edit 1 when dimanche 19h")
    assert set(await jobs(driver)) == {"event-reminder:1:24h", "event-reminder:1:1h"}
    await at(driver, SATURDAY_7PM)  # the day before the new date
    await deliver_outbox(driver)
    reminders = [m.text for m in driver.messages("@bob") if "Reminder:" in m.text]
    assert len(reminders) == 2
    assert "Sunday, November 29, 7:00 PM – 9:00 PM" in reminders[-1]


# -- polls and consultations closing soon ------------------------------------------------------------------


async def test_a_poll_with_a_closing_date_is_recalled_the_day_before_in_its_community(driver):
    await driver.send("alice", '/poll --closes "2026-11-30 18:00" Un marché le dimanche ? | Oui | Non')
    await driver.send("alice", "/poll --closes dans 5 heures Trop tard pour un rappel ? | Oui | Non")
    assert (await jobs(driver)).get("poll-reminder:1:24h") == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    assert "poll-reminder:2:24h" not in await jobs(driver), "posted less than a day before it closes"
    await at(driver, datetime(2026, 11, 29, 17, 0, tzinfo=UTC))
    await at(driver, datetime(2026, 11, 29, 17, 30, tzinfo=UTC))
    assert await rows(driver, "poll:1:") == {"poll:1:reminder:24h:console:c:square": "pending"}
    assert await rows(driver, "poll:2:reminder") == {}
    await deliver_outbox(driver)
    assert "Un marché le dimanche ?" in last(driver)
    assert "poll-reminder:1:24h" not in await jobs(driver)


async def test_a_consultation_is_recalled_in_its_community_and_to_residents_with_a_draft(driver):
    await speak_english(driver, "bob", "carol")
    await driver.upload("alice", "place.yaml", SOURCE.encode(), chat="@alice")
    await driver.send("alice", "/launch place-test")
    await driver.send("bob", "/consult place-test", chat="@bob")  # starts, never submits
    await driver.send("alice", "/lang fr")
    closes = datetime(2026, 12, 20, 17, 0, tzinfo=UTC)  # 18:00 in Paris
    assert (await jobs(driver))["consultation-reminder:1:24h"] == closes - timedelta(hours=24)
    await at(driver, closes - timedelta(hours=24))
    assert sorted(await rows(driver, "consultation:")) == [
        "consultation:1:reminder:24h:console:bob",
        "consultation:1:reminder:24h:console:c:square",
    ]
    await deliver_outbox(driver)
    assert "/consult place-test" in last(driver, "@bob")
    assert last(driver).buttons, "the community reminder offers to take part"


@pytest.fixture
def driver(console_driver):
    return console_driver
