"""Events have an end: two hours after the start unless the organizer says otherwise (« 19h-21h »), shown on
the card, in /events and in the calendar file, changed with /event_edit or moved along with the start; an end
before the start is refused clearly."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar

from tests.drivers.base import last, texts
from tests.scenarios.test_events import capture_files, deliver_outbox, speak_english

# 3 December 2026 is a Thursday: 19:00 in Paris is 18:00 UTC
THURSDAY_7PM = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def card(driver, chat: str = "square"):
    return next(m for m in driver.messages(chat) if "Événement n°" in m.text and "Où :" in m.text)


async def test_an_end_given_with_the_start_shows_on_the_card_in_events_and_in_the_calendar_file(driver):
    for person in ("bob",):
        await driver.send(person, "/start", chat="@" + person)
    await driver.send("alice", "/evenement Conseil municipal | 3 décembre 19h-21h | Mairie")
    assert "Quand : jeudi 3 décembre, 19 h 00 – 21 h 00" in card(driver)

    await driver.send("bob", "/evenements")
    listed = last(driver).text
    assert "Conseil municipal — jeudi 3 décembre, 19 h 00 – 21 h 00 — Mairie" in listed

    files = capture_files(driver)
    await driver.press("bob", "Ajouter à mon agenda")
    assert "jeudi 3 décembre, 19 h 00 – 21 h 00" in files[0].alt_text
    event = icalendar.Calendar.from_ical(files[0].data).events[0]
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert isinstance(start, datetime) and isinstance(end, datetime)
    assert start.astimezone(UTC) == THURSDAY_7PM
    assert end.astimezone(UTC) == datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
    assert str(end.tzinfo) == "Europe/Paris"


async def test_without_an_end_an_event_lasts_two_hours_and_its_end_can_be_changed_or_moved_with_it(driver):
    await speak_english(driver, "bob")
    await driver.send("alice", "/event Town council | 3 décembre 19h | Town hall")
    await driver.press("bob", "I'm coming")
    assert "When: Thursday, December 3, 7:00 PM – 9:00 PM" in card_en(driver)

    await driver.send("alice", "/event_edit 1 end 22h30")
    await deliver_outbox(driver)
    assert "When: Thursday, December 3, 7:00 PM – 10:30 PM" in card_en(driver)
    told = last(driver, "@bob").text
    assert "Changed: end time." in told and "7:00 PM – 10:30 PM" in told

    await driver.send("alice", "/event_edit 1 when vendredi 4 décembre 18h")
    await deliver_outbox(driver)
    assert "When: Friday, December 4, 6:00 PM – 9:30 PM" in card_en(driver), "it keeps its length"
    assert "Changed: date." in last(driver, "@bob")

    await driver.send("alice", "/event_edit 1 end samedi 5 décembre 1h")
    assert "Friday, December 4 at 6:00 PM – Saturday, December 5 at 1:00 AM" in card_en(driver)


async def test_an_end_before_the_start_is_refused_clearly_and_changes_nothing(driver):
    await driver.send("alice", "/evenement Conseil municipal | 3 décembre 19h-18h | Mairie")
    assert last(driver).text == (
        "Un événement se termine après son début : jeudi 3 décembre, 19 h 00 – 18 h 00 ne va pas. "
        "Écrivez par exemple « jeudi 19h-21h » ; pour une fin un autre jour, donnez son jour : "
        "/modifier_evenement NUMÉRO fin samedi 1h."
    )
    assert "Événement n°" not in texts(driver), "nothing is announced"

    await driver.send("alice", "/evenement Conseil municipal | 3 décembre 19h | Mairie")
    await driver.send("alice", "/modifier_evenement 1 fin 17h")
    assert "Un événement se termine après son début" in last(driver)
    assert "Quand : jeudi 3 décembre, 19 h 00 – 21 h 00" in card(driver)
    assert not card(driver).edited


async def test_the_guided_event_takes_an_end_with_its_start(driver):
    await driver.send("alice", "/evenement", chat="@alice")
    await driver.send("alice", "Pique-nique", chat="@alice")
    assert "Sans heure de fin, il dure 2 heures." in last(driver, "@alice")
    await driver.send("alice", "samedi 12h-12h", chat="@alice")
    assert "Un événement se termine après son début" in last(driver, "@alice")
    await driver.send("alice", "samedi 12h-15h30", chat="@alice")
    await driver.send("alice", "Parc de la rivière", chat="@alice")
    await driver.send("alice", "-", chat="@alice")
    assert "Quand : samedi 28 novembre, 12 h 00 – 15 h 30" in last(driver, "@alice")
    await driver.press("alice", "Place du village", chat="@alice")
    assert "Quand : samedi 28 novembre, 12 h 00 – 15 h 30" in card(driver)


def card_en(driver, chat: str = "square"):
    return next(m for m in driver.messages(chat) if "Event no." in m.text and "Where:" in m.text)
