"""The pieces of events on their own: reminder offsets, reading /event and /event_edit, reminder times across
daylight-saving changes, the card in French, and the calendar file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest

from bot.actions import ActionSigner
from bot.events.card import card_buttons, render_card
from bot.events.commands import delivery_failures
from bot.events.ics import calendar_bytes, event_file, uid
from bot.events.offsets import OffsetError, label, labels, parse_offsets, spoken
from bot.events.reminders import reminder_time
from bot.events.spec import EventSpecError, parse_changes, parse_event_command, split_id
from bot.formatting import PLAIN, render
from bot.i18n import translator
from storage.events import Counts, Undelivered
from storage.tables import Event

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thursday, 10:00 in Paris
EN = translator("en")


def an_event(**fields) -> Event:
    values: dict[str, Any] = {
        "id": 42,
        "title": "Réunion publique — budget 2027",
        "place": "Salle des fêtes",
        "description": "Ordre du jour : le budget.",
        "starts_at": datetime(2026, 12, 3, 18, 0, tzinfo=UTC),
        "timezone": "Europe/Paris",
        "language": "fr",
        "platform": "console",
        "chat_id": "square",
        "created_at": NOW,
    }
    values.update(fields)
    values.setdefault("ends_at", values["starts_at"] + timedelta(hours=2))
    return Event(**values)


# -- offsets ------------------------------------------------------------------------------------------------


def test_offsets_are_read_sorted_merged_and_labelled_canonically():
    assert parse_offsets("1h, 24h") == (timedelta(hours=24), timedelta(hours=1))
    assert labels(parse_offsets("1d,24h,60m,15min")) == "24h,1h,15m"
    assert labels(parse_offsets("2 heures, 90 minutes, 2j")) == "48h,2h,90m"
    assert parse_offsets("none") == () == parse_offsets("aucun")
    assert label(timedelta(minutes=90)) == "90m"


@pytest.mark.parametrize("text", ["", "soon", "0h", "-1h", "31d", "1h,2h,3h,4h,5h,6h", "24", "h"])
def test_unreadable_offsets_are_refused(text):
    with pytest.raises(OffsetError):
        parse_offsets(text)


# -- reading /event and /event_edit --------------------------------------------------------------------------


def test_an_event_command_is_read_in_the_community_time_zone():
    spec = parse_event_command(
        "--reminders 2h,15m Réunion | jeudi 3 décembre 19h | Salle des fêtes | Venez | nombreux",
        now=NOW,
        timezone="Europe/Paris",
        t=translator("fr"),
    )
    assert spec.title == "Réunion"
    assert spec.starts_at == datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
    assert spec.place == "Salle des fêtes"
    assert spec.description == "Venez | nombreux"
    assert spec.reminders == "2h,15m"
    martinique = parse_event_command(
        "Carnaval | 2027-02-06 15:00 | Fort-de-France", now=NOW, timezone="America/Martinique", t=EN
    )
    assert martinique.starts_at == datetime(2027, 2, 6, 19, 0, tzinfo=UTC)
    assert martinique.reminders is None, "the default offsets"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("Title | jeudi 19h", "To announce an event"),
        (" | jeudi 19h | Hall", "The event has no title."),
        ("Title | later | Hall", "I could not read the date “later”"),
        ("Title | 2026-01-01 10:00 | Hall", "The date “2026-01-01 10:00” is already past."),
        ("Title | jeudi | Hall", "Say at what time the event starts"),
        ("Title | jeudi 19h | ", "Say where the event takes place."),
        ("--colour red Title | jeudi 19h | Hall", "Unknown setting --colour."),
        ("--reminders Title | jeudi 19h | Hall", "I could not read the reminders “Title”"),
        ("--reminders | jeudi 19h | Hall", "Say which reminders after --reminders"),
        ("T" * 201 + " | jeudi 19h | Hall", "the limit is 200"),
        ("Title | jeudi 19h | Hall | " + "d" * 1001, "the limit is 1000"),
    ],
)
def test_bad_event_commands_are_explained(args, message):
    with pytest.raises(EventSpecError) as refused:
        parse_event_command(args, now=NOW, timezone="Europe/Paris", t=EN)
    assert message in str(refused.value)


def test_an_explicit_2359_is_accepted():
    spec = parse_event_command("New year | 2026-12-31 23:59 | Square", now=NOW, timezone="Europe/Paris", t=EN)
    assert spec.starts_at == datetime(2026, 12, 31, 22, 59, tzinfo=UTC)


def test_edits_name_a_field_or_repeat_the_whole_event():
    assert split_id("#12 place Hall", EN, "event_edit") == (12, "place Hall")
    with pytest.raises(EventSpecError):
        split_id("place Hall", EN, "event_edit")
    start = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)  # Saturday 19:00 in Paris
    read = lambda rest: parse_changes(  # noqa: E731
        rest, now=NOW, timezone="Europe/Paris", starts_at=start, t=translator("fr")
    )
    assert read("lieu Mairie") == {"place": "Mairie"}
    assert read("quand samedi 20h") == {"starts_at": datetime(2026, 11, 28, 19, 0, tzinfo=UTC)}
    assert read("description -") == {"description": ""}
    assert read("rappels 3h") == {"reminder_offsets": "3h"}
    assert read("reminders none") == {"reminder_offsets": ""}
    assert read("Nouveau titre | samedi 20h | Mairie") == {
        "title": "Nouveau titre",
        "starts_at": datetime(2026, 11, 28, 19, 0, tzinfo=UTC),
        "place": "Mairie",
    }
    with pytest.raises(EventSpecError):
        read("couleur bleue")
    with pytest.raises(EventSpecError):
        read("title ")
    assert read("fin 21h30") == {"ends_at": datetime(2026, 11, 28, 20, 30, tzinfo=UTC)}, "on the start's day"
    assert read("end dimanche 1h") == {"ends_at": datetime(2026, 11, 29, 0, 0, tzinfo=UTC)}
    assert read("quand dimanche 18h-20h") == {
        "starts_at": datetime(2026, 11, 29, 17, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 11, 29, 19, 0, tzinfo=UTC),
    }
    with pytest.raises(EventSpecError, match="ne va pas"):
        read("fin 18h")


SATURDAY = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)  # 19:00 in Paris


@pytest.mark.parametrize(
    ("when", "hours"),
    [
        ("samedi 19h-21h", 2),
        ("samedi 19h - 21h30", 2.5),
        ("samedi 19 h à 22 h", 3),
        ("samedi à 19h jusqu'à 20h", 1),
        ("samedi 19h–0h", 5),  # midnight: the end of its day
        ("2026-11-28 19:00-20:15", 1.25),
        ("Saturday 7pm to 9pm", 2),
        ("samedi 19h", None),  # no end said: the default length
        ("samedi à 19h", None),
    ],
)
def test_when_may_say_the_time_the_event_ends_on_its_day(when, hours):
    spec = parse_event_command(f"Réunion | {when} | Mairie", now=NOW, timezone="Europe/Paris", t=EN)
    assert spec.starts_at == SATURDAY
    assert spec.ends_at == (None if hours is None else SATURDAY + timedelta(hours=hours))


@pytest.mark.parametrize("when", ["samedi 19h-18h", "samedi 22h-1h", "samedi 19h-19h"])
def test_an_end_before_the_start_is_refused_with_the_way_to_write_one(when):
    french = translator("fr")
    with pytest.raises(EventSpecError) as refused:
        parse_event_command(f"Réunion | {when} | Mairie", now=NOW, timezone="Europe/Paris", t=french)
    assert "ne va pas" in str(refused.value)
    assert "/modifier_evenement NUMÉRO fin samedi 1h" in str(refused.value)


# -- reminder times -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "offset", "expected"),
    [
        # whole days keep the local time across a change of offset: 19:00 the day before
        (
            datetime(2027, 3, 28, 17, 0, tzinfo=UTC),
            timedelta(hours=24),
            datetime(2027, 3, 27, 18, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 10, 25, 18, 0, tzinfo=UTC),
            timedelta(hours=24),
            datetime(2026, 10, 24, 17, 0, tzinfo=UTC),
        ),
        (
            datetime(2027, 3, 29, 17, 0, tzinfo=UTC),
            timedelta(days=2),
            datetime(2027, 3, 27, 18, 0, tzinfo=UTC),
        ),
        # shorter offsets are elapsed time
        (
            datetime(2027, 3, 28, 17, 0, tzinfo=UTC),
            timedelta(hours=1),
            datetime(2027, 3, 28, 16, 0, tzinfo=UTC),
        ),
        (
            datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
            timedelta(hours=2),
            datetime(2027, 3, 27, 23, 30, tzinfo=UTC),
        ),
        # no change in between: plain arithmetic
        (
            datetime(2026, 12, 3, 18, 0, tzinfo=UTC),
            timedelta(hours=24),
            datetime(2026, 12, 2, 18, 0, tzinfo=UTC),
        ),
    ],
)
def test_reminder_times_in_paris(start, offset, expected):
    assert reminder_time(start, offset, "Europe/Paris") == expected


# -- the card ----------------------------------------------------------------------------------------------


def test_the_card_gives_the_date_in_words_and_the_counts_and_loses_its_buttons_when_cancelled():
    signer = ActionSigner(b"k" * 32)
    fr = translator("fr")
    text = render_card(an_event(), Counts(yes=3, maybe=1, no=0), fr, now=NOW).plain
    assert "jeudi 3 décembre, 19 h 00 – 21 h 00" in text
    assert "Salle des fêtes" in text and "Ordre du jour" in text
    assert "3" in text and "42" in text
    buttons = card_buttons(an_event(), signer, EN)
    assert [b.label for row in buttons for b in row] == [
        "I'm coming",
        "Maybe",
        "Not coming",
        "Add to my calendar",
    ]
    assert all(signer.verify(b.action) for row in buttons for b in row)
    cancelled = an_event(cancelled_at=NOW, version=2)
    assert card_buttons(cancelled, signer, EN) == ()
    assert render_card(cancelled, Counts(), EN, now=NOW).plain.startswith("Event cancelled")
    french = render_card(cancelled, Counts(), translator("fr"), now=NOW).plain
    assert french.startswith("Événement annulé"), "the banner says what the cancellation notice says"


def test_a_date_next_year_shows_its_year():
    text = render_card(
        an_event(starts_at=datetime(2027, 1, 14, 18, 0, tzinfo=UTC)), Counts(), translator("fr"), now=NOW
    )
    assert "jeudi 14 janvier 2027, 19 h 00 – 21 h 00" in text.plain


# -- the calendar file ------------------------------------------------------------------------------------


def test_the_calendar_file_carries_the_time_zone_the_instant_the_version_and_the_status():
    attachment = event_file(an_event(version=3), EN, now=NOW)
    assert attachment.filename == "event-42.ics" and attachment.media_type == "text/calendar"
    assert "Thursday, December 3, 7:00 PM – 9:00 PM" in attachment.alt_text
    parsed = icalendar.Calendar.from_ical(attachment.data)
    assert [tz.tz_name for tz in parsed.timezones] == ["Europe/Paris"]
    event = parsed.events[0]
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
    assert b"DTSTART;TZID=Europe/Paris:20261203T190000" in attachment.data
    assert b"DTEND;TZID=Europe/Paris:20261203T210000" in attachment.data
    assert str(event["UID"]) == uid(an_event())
    assert event.sequence == 3
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["DESCRIPTION"]) == "Ordre du jour : le budget."
    cancelled = icalendar.Calendar.from_ical(calendar_bytes([an_event(cancelled_at=NOW)], now=NOW))
    assert str(cancelled.events[0]["STATUS"]) == "CANCELLED"


def test_the_instant_survives_a_daylight_saving_change():
    summer = an_event(starts_at=datetime(2027, 3, 28, 17, 0, tzinfo=UTC))  # 19:00 summer time
    winter = an_event(id=43, starts_at=datetime(2026, 10, 25, 18, 0, tzinfo=UTC))  # 19:00 winter time
    events = icalendar.Calendar.from_ical(calendar_bytes([summer, winter], now=NOW)).events
    assert [e.decoded("DTSTART").astimezone(UTC) for e in events] == [summer.starts_at, winter.starts_at]
    assert [e.start.strftime("%H:%M") for e in events] == ["19:00", "19:00"]


def test_delivery_failures_name_each_community_message_with_its_reason_and_count_private_ones():
    failed = [
        Undelivered(
            "event:42:reminder:24h:20261128T1800Z:community", "Forbidden: bot was kicked from the group chat"
        ),
        Undelivered("event:42:edit:2:community", "403 50013: Missing Permissions <b>"),
        Undelivered("event:42:cancel:telegram:12", "Forbidden: bot was blocked by the user"),
        Undelivered("event:42:reminder:1h:20261128T1800Z:telegram:13", "Forbidden: user is deactivated"),
    ]
    shown = render(delivery_failures(failed, EN), PLAIN)
    assert "In the community, the reminder 24h before: Forbidden: bot was kicked from the group chat" in shown
    assert "In the community, the notice of a change: 403 50013: Missing Permissions <b>" in shown
    assert "2 private messages could not be delivered" in shown
    assert "blocked by the user" not in shown, "private reasons stay private"
    french = render(delivery_failures(failed[:1], translator("fr")), PLAIN)
    assert "le rappel 24 h avant" in french, "offsets read like the times beside them (« 19 h 00 »)"


@pytest.mark.parametrize(
    ("offset", "french", "english"),
    [
        (timedelta(hours=24), "24 h", "24h"),
        (timedelta(hours=1, minutes=30), "1 h 30", "1h 30m"),
        (timedelta(minutes=45), "45 min", "45m"),
        ("2h", "2 h", "2h"),
    ],
)
def test_a_reminder_offset_reads_in_the_style_of_its_language(offset, french, english):
    assert spoken(offset, "fr") == french
    assert spoken(offset, "en") == english
