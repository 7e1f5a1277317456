"""Public events from residents' and organizers' point of view: the card and its one-tap answers, edits and
cancellation with their notifications, calendar files, and reminders to the right people at the right time.

The scenarios speak English (the square and the residents chose it): the French catalog is the lead's to
update, and English labels keep these scenarios independent of it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import icalendar
from sqlalchemy import func
from sqlmodel import col, select

from bot.replies import Attachment, Send
from storage.tables import OutboxMessage
from tests.drivers.base import last, texts

# The drivers' clock starts on Thursday 26 November 2026, 10:00 in Paris. "samedi 19h" is Saturday 28
# November 19:00 in Paris, 18:00 UTC.
SATURDAY_7PM = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
EVENT = "/event Public event on the 2027 budget | samedi 19h | Village hall | Bring your questions"


async def deliver_outbox(driver) -> None:
    """Deliver what decisions queued in the outbox, whoever drains it (the console driver's settle(), or a
    dispatcher running in the background): the one place to simplify once every driver's settle() waits
    for the outbox."""
    for _ in range(500):
        await driver.app.dispatcher.drain()
        async with driver.app.db.read() as session:
            query = select(func.count()).where(
                col(OutboxMessage.state).in_(["pending", "sending"]),
                OutboxMessage.next_attempt_at <= driver.clock.now(),
            )
            if not (await session.exec(query)).one():
                break
        await asyncio.sleep(0.01)
    await driver.settle()


async def run_due(driver) -> None:
    """Let the deadline runner decide what the clock made due, and wait until it has (what it queued stays
    in the outbox: `deliver_outbox` sends it)."""
    await driver.app.deadlines.settle()


async def speak_english(driver, *people: str) -> None:
    """The square's language becomes English, and each person opens a private chat in English."""
    await driver.send("alice", "/lang en")
    for person in people:
        await driver.send(person, "/lang en", chat="@" + person)


def capture_files(driver) -> list[Attachment]:
    """Every file the engine hands to the adapter, as sent (the platform-neutral way to read its bytes)."""
    files: list[Attachment] = []
    engine = driver.app.engine
    original = engine.handle

    async def handle(event):
        replies = await original(event)
        files.extend(r.attachment for r in replies if isinstance(r, Send) and r.attachment is not None)
        return replies

    engine.handle = handle
    return files


def card(driver, chat: str = "square"):
    return next(m for m in driver.messages(chat) if "Event no." in m.text and "Where:" in m.text)


async def test_an_organizer_announces_an_event_and_residents_answer_in_one_tap(driver):
    await speak_english(driver)
    posted = len(driver.messages("square"))
    await driver.send("alice", EVENT)
    shown = last(driver)
    assert "Public event on the 2027 budget" in shown
    assert "When: Saturday, November 28, 7:00 PM – 9:00 PM" in shown, "2 hours unless said otherwise"
    assert "Where: Village hall" in shown
    assert "Bring your questions" in shown
    assert "I'm coming: 0 · Maybe: 0 · Not coming: 0" in shown
    assert shown.buttons == ["I'm coming", "Maybe", "Not coming", "Add to my calendar"]

    assert await driver.press("bob", "I'm coming") == "Answer recorded: I'm coming"
    await driver.press("carol", "Maybe")
    await driver.press("dave", "Not coming")
    await driver.press("erin", "I'm coming")
    shown = last(driver)
    assert "I'm coming: 2 · Maybe: 1 · Not coming: 1" in shown
    assert shown.edited
    assert len(driver.messages("square")) == posted + 1, "the card is edited in place, not posted again"


async def test_a_resident_changes_their_answer_by_tapping_another_button(driver):
    await speak_english(driver)
    await driver.send("alice", EVENT)
    await driver.press("bob", "I'm coming")
    toast = await driver.press("bob", "I'm coming")
    assert toast == "You had already answered: I'm coming. Tap another button to change it."
    assert "I'm coming: 1 · Maybe: 0" in last(driver)
    assert await driver.press("bob", "Not coming") == "Answer changed to: Not coming"
    assert "I'm coming: 0 · Maybe: 0 · Not coming: 1" in last(driver)


async def test_an_edit_updates_the_card_and_tells_those_coming_or_maybe(driver):
    await speak_english(driver, "bob", "carol", "dave")
    await driver.send("alice", EVENT)
    await driver.press("bob", "I'm coming")
    await driver.press("carol", "Maybe")
    await driver.press("dave", "Not coming")

    await driver.send("alice", "/event_edit 1 place Town hall, room 2")
    await deliver_outbox(driver)
    shown = card(driver)
    assert "Where: Town hall, room 2" in shown and "Village hall" not in shown.text
    assert shown.edited
    assert "I'm coming: 1 · Maybe: 1 · Not coming: 1" in shown, "answers survive an edit"
    assert "Event changed: Public event on the 2027 budget" in last(driver)
    assert "Changed: place." in last(driver)
    for person, answer in (("bob", "I'm coming"), ("carol", "Maybe")):
        notice = last(driver, "@" + person)
        assert "Event changed" in notice and "Town hall, room 2" in notice, person
        assert f"You answered: {answer}" in notice
    assert "Event changed" not in texts(driver, "@dave"), "not coming: not told"

    await driver.send("alice", "/event_edit 1 Budget 2027: public event | dimanche 18h | Town hall")
    await deliver_outbox(driver)
    shown = card(driver)
    assert "Budget 2027: public event" in shown
    assert "When: Sunday, November 29, 6:00 PM – 8:00 PM" in shown, "moved, it keeps its length"
    assert "Bring your questions" in shown, "the description is kept when not given"
    assert "Changed: title, date, place." in last(driver, "@bob")


async def test_cancelling_marks_the_card_notifies_and_then_nothing_more_is_sent(driver):
    await speak_english(driver, "bob", "carol")
    await driver.send("alice", EVENT)
    await driver.press("bob", "I'm coming")
    await driver.press("carol", "Not coming")
    stale = driver.button_action("Maybe")

    await driver.send("alice", "/event_cancel 1")
    await deliver_outbox(driver)
    shown = card(driver)
    assert shown.text.startswith("Event cancelled"), "the banner says the same as the notice"
    assert shown.buttons == [], "a cancelled event has no buttons left"
    assert "Event cancelled: Public event on the 2027 budget" in last(driver)
    assert "Event cancelled" in last(driver, "@bob")
    assert "Event cancelled" not in texts(driver, "@carol")
    assert await driver.press_raw("dave", stale) == "This event is cancelled."

    await driver.send("alice", "/event_cancel 1")
    assert "already cancelled" in last(driver)
    before = {chat: len(driver.messages(chat)) for chat in ("square", "@bob")}
    driver.clock.set(SATURDAY_7PM - timedelta(minutes=30))
    await driver.app.deadlines.sync()
    await run_due(driver)
    await deliver_outbox(driver)
    assert {chat: len(driver.messages(chat)) for chat in ("square", "@bob")} == before, "no reminder"
    assert driver.app.deadlines.job_ids() == set()


async def test_the_calendar_button_gives_an_ics_file_with_the_right_instant(driver):
    await speak_english(driver, "bob")
    await driver.send("alice", EVENT)
    files = capture_files(driver)
    toast = await driver.press("bob", "Add to my calendar")
    assert toast == "I sent you the calendar file in our private chat."
    got = last(driver, "@bob")
    assert got.files and "event-1.ics" in got.files[0]
    assert files and files[0].media_type == "text/calendar"
    assert "Saturday, November 28, 7:00 PM – 9:00 PM" in files[0].alt_text

    event = icalendar.Calendar.from_ical(files[0].data).events[0]
    assert event.decoded("DTSTART").astimezone(UTC) == SATURDAY_7PM
    assert str(event.decoded("DTSTART").tzinfo) == "Europe/Paris"
    assert str(event["SUMMARY"]) == "Public event on the 2027 budget"
    assert str(event["LOCATION"]) == "Village hall"
    assert event.sequence == 1
    uid = str(event["UID"])

    # carol never wrote to the bot in private: she gets the file where she tapped
    assert await driver.press("carol", "Add to my calendar") == "Here is the calendar file."
    assert "event-1.ics" in last(driver).files[0]

    await driver.send("alice", "/event_edit 1 when dimanche 18h")
    await driver.press("bob", "Add to my calendar")
    event = icalendar.Calendar.from_ical(files[-1].data).events[0]
    assert str(event["UID"]) == uid, "the same event for calendars: an update, not a second entry"
    assert event.sequence == 2
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)


async def test_calendar_sends_the_communitys_upcoming_events_as_one_file(driver):
    await speak_english(driver)
    await driver.send("alice", EVENT)
    await driver.send("alice", "/event Street cleaning | 2026-12-05 09:30 | Church square")
    await driver.send("alice", "/event Old event | demain 18h | Library")
    await driver.send("alice", "/event_cancel 3")
    files = capture_files(driver)
    await driver.send("bob", "/calendar")
    assert "calendar.ics" in last(driver).files[0]
    events = icalendar.Calendar.from_ical(files[0].data).events
    starts = {str(e["SUMMARY"]): (e.decoded("DTSTART").astimezone(UTC), str(e["STATUS"])) for e in events}
    assert starts == {
        "Public event on the 2027 budget": (SATURDAY_7PM, "CONFIRMED"),
        "Street cleaning": (datetime(2026, 12, 5, 8, 30, tzinfo=UTC), "CONFIRMED"),
        "Old event": (datetime(2026, 11, 27, 17, 0, tzinfo=UTC), "CANCELLED"),
    }


async def test_events_lists_the_upcoming_events_with_their_numbers(driver):
    await speak_english(driver)
    await driver.send("alice", "/event Street cleaning | 2026-12-05 09:30 | Church square")
    await driver.send("alice", EVENT)
    await driver.send("alice", "/event Gone | demain 18h | Nowhere")
    await driver.send("alice", "/event_cancel 3")
    await driver.press("bob", "I'm coming")
    await driver.send("bob", "/events")
    listing = last(driver).text
    assert "no. 2 — Public event on the 2027 budget" in listing
    assert "no. 1 — Street cleaning" in listing
    assert listing.index("no. 2") < listing.index("no. 1"), "soonest first"
    assert "Gone" not in listing
    await driver.send("bob", "/events 2")
    assert "I'm coming: 1" in last(driver)
    assert "Reminders" not in last(driver), "reminder details are for organizers"
    await driver.send("alice", "/events 2")
    details = last(driver).text
    assert "24h before: Friday, November 27 at 7:00 PM" in details
    assert "1h before: Saturday, November 28 at 6:00 PM" in details
    assert "1 resident who answered cannot be reminded privately" in details


async def test_an_event_s_details_say_tap_a_button_only_with_its_buttons_under_them(driver):
    await speak_english(driver, "bob")
    await driver.send("alice", EVENT)
    await driver.send("bob", "/events 1")
    details = last(driver)
    assert "Tap a button to answer" in details
    assert details.buttons == ["I'm coming", "Maybe", "Not coming", "Add to my calendar"]
    assert await driver.press("bob", "I'm coming") == "Answer recorded: I'm coming", "the buttons work"
    await driver.send("bob", "/events 1", chat="@bob")
    elsewhere = last(driver, "@bob")
    assert "Public event on the 2027 budget" in elsewhere
    assert elsewhere.buttons == [] and "Tap a button" not in elsewhere, "no hint where no button works"


async def test_an_organizer_s_event_details_say_nothing_of_a_count_of_nobody(driver):
    await driver.send("alice", "/event Réunion publique | samedi 19h | Salle des fêtes")
    await driver.send("alice", "/events 1")
    details = last(driver).text
    assert "24 h avant" in details, "offsets read like the times beside them"
    assert "ne peut" not in details and "0 habitant" not in details, "no line about nobody"


async def test_reminders_reach_the_right_residents_at_the_right_times(driver):
    await speak_english(driver, "bob", "carol", "dave", "frank")
    await driver.send("frank", "/reminders off", chat="@frank")
    await driver.send("alice", EVENT)
    await driver.press("bob", "I'm coming")
    await driver.press("carol", "Maybe")
    await driver.press("dave", "Not coming")
    await driver.press("erin", "I'm coming")  # never wrote to the bot in private
    await driver.press("frank", "I'm coming")  # muted private reminders
    square_before = len(driver.messages("square"))

    driver.clock.set(SATURDAY_7PM - timedelta(hours=24, minutes=1))
    await run_due(driver)
    await deliver_outbox(driver)
    assert len(driver.messages("square")) == square_before, "not yet"

    driver.clock.set(SATURDAY_7PM - timedelta(hours=24))  # Friday 19:00 in Paris
    await run_due(driver)
    await deliver_outbox(driver)
    reminder = last(driver)
    assert "Reminder: Public event on the 2027 budget" in reminder
    assert "in 1 day" in reminder
    assert "I'm coming: 3 · Maybe: 1" in reminder
    assert "1 resident who answered could not be reminded privately" in reminder
    for person in ("bob", "carol"):
        assert "Reminder: Public event on the 2027 budget" in last(driver, "@" + person), person
    assert "You answered: Maybe" in last(driver, "@carol")
    for person in ("dave", "frank"):
        assert "Reminder" not in texts(driver, "@" + person), person

    await driver.press("dave", "Maybe")  # changes his mind before the hour-before reminder
    await driver.press("carol", "Not coming")
    driver.clock.set(SATURDAY_7PM - timedelta(hours=1))
    await run_due(driver)
    await run_due(driver)  # deciding twice sends once
    await deliver_outbox(driver)
    assert "in 1 hour" in last(driver)
    assert sum("Reminder:" in m.text for m in driver.messages("square")) == 2
    assert sum("Reminder:" in m.text for m in driver.messages("@bob")) == 2
    assert sum("Reminder:" in m.text for m in driver.messages("@dave")) == 1
    assert sum("Reminder:" in m.text for m in driver.messages("@carol")) == 1


async def test_organizers_see_in_the_details_what_could_not_be_delivered(driver):
    await speak_english(driver, "bob", "carol")
    await driver.send("alice", EVENT)
    await driver.press("bob", "I'm coming")
    await driver.press("carol", "I'm coming")
    await driver.send("alice", "/events 1")
    assert "Not delivered" not in last(driver)

    driver.block_bot("carol")
    driver.clock.set(SATURDAY_7PM - timedelta(hours=24))
    await run_due(driver)
    await deliver_outbox(driver)
    assert "Reminder:" in last(driver, "@bob")

    await driver.send("alice", "/events 1")
    details = last(driver).text
    assert "Not delivered" in details
    assert "1 private message could not be delivered (the resident blocked me" in details
    assert "1 resident who answered cannot be reminded privately" in details, "carol now counts as such"
    assert "In the community" not in details, "the community's reminder went out"
    await driver.send("bob", "/events 1")
    assert "Not delivered" not in last(driver), "delivery details are for organizers"


async def test_bad_requests_get_a_clear_answer_and_change_nothing(driver):
    await speak_english(driver)
    await driver.send("alice", "/event Only a title")
    assert "/event Title | WHEN | PLACE" in last(driver)
    await driver.send("alice", "/event Fete | someday maybe | Square")
    assert "I could not read the date “someday maybe”" in last(driver)
    await driver.send("alice", "/event Fete | 2020-01-01 18:00 | Square")
    assert "already past" in last(driver)
    await driver.send("alice", "/event Fete | samedi | Square")
    assert "Say at what time the event starts" in last(driver)
    await driver.send("alice", "/event --reminders soon Fete | samedi 19h | Square")
    assert "I could not read the reminders “soon”" in last(driver)
    await driver.send("alice", "/event Fete | samedi 19h |  ")
    assert "Say where the event takes place." in last(driver)
    await driver.send("bob", EVENT)
    assert "only organizers" in last(driver)
    await driver.send("alice", "/event_edit 7 place Elsewhere")
    assert "There is no event no. 7." in last(driver)
    await driver.send("alice", "/event_edit place Elsewhere")
    assert "Give the event number first" in last(driver)
    await driver.send("alice", "/events")
    assert "No upcoming event here." in last(driver)

    await driver.send("alice", EVENT)
    await driver.send("alice", "/event_edit 1 colour blue")
    assert "/event_edit NUMBER FIELD VALUE" in last(driver)
    await driver.send("alice", "/event_edit 1 when yesterday 18h")
    assert "already past" in last(driver)
    await driver.send("alice", "/event_edit 1 place Village hall")
    assert "Nothing changed" in last(driver)
    await driver.send("alice", "/lang en", chat="annex")
    await driver.send("olivia", "/event_cancel 1", chat="annex")
    assert "only organizers" in last(driver, "annex")
    assert "Where: Village hall" in card(driver) and not card(driver).edited


async def test_an_organizer_sets_the_communitys_time_zone(driver):
    await speak_english(driver)
    await driver.send("alice", "/tz Mars/Olympus_Mons")
    assert "is not a time zone I know" in last(driver)
    await driver.send("bob", "/tz America/Martinique")
    assert "only organizers" in last(driver)
    await driver.send("alice", "/tz america/martinique")
    assert "time zone is now America/Martinique" in last(driver)
    await driver.send("alice", "/event Carnival | 2027-02-06 15:00 | Fort-de-France")
    files = capture_files(driver)
    await driver.press("bob", "Add to my calendar")
    event = icalendar.Calendar.from_ical(files[0].data).events[0]
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2027, 2, 6, 19, 0, tzinfo=UTC)
    assert str(event.decoded("DTSTART").tzinfo) == "America/Martinique"


async def test_the_guided_event_asks_step_by_step_in_private(driver):
    await speak_english(driver, "alice")
    await driver.send("alice", "/event", chat="@alice")
    assert "What is the event called?" in last(driver, "@alice")
    await driver.send("alice", "Neighbours' picnic", chat="@alice")
    assert "When does it start?" in last(driver, "@alice")
    await driver.send("alice", "nobody knows", chat="@alice")
    assert "I could not read the date" in last(driver, "@alice")
    await driver.send("alice", "dimanche 12h", chat="@alice")
    await driver.send("alice", "Riverside park", chat="@alice")
    await driver.send("alice", "-", chat="@alice")
    assert "Where should I post it?" in last(driver, "@alice")
    await driver.press("alice", "Place du village", chat="@alice")
    assert "Event no. 1 is published in: Place du village." in last(driver, "@alice")
    shown = card(driver)
    assert "Neighbours' picnic" in shown
    assert "When: Sunday, November 29, 12:00 PM – 2:00 PM" in shown
    assert "Where: Riverside park" in shown
