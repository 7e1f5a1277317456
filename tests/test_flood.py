"""The flood limits, unit by unit, on a clock the tests move: who is served, warned or ignored, what a
community receives, and that memory does not grow with everyone ever seen."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from limits import parse
from pydantic import ValidationError

from bot.clock import ManualClock
from bot.flood import FloodGuard, FloodLimits, Verdict
from bot.formatting import PLAIN, doc, render
from bot.i18n import translator
from bot.inbound import ButtonPress, ChatRef, Command, Inbound, MessageRef, Person, TextMessage
from bot.replies import Edit, Notice, Reply, Send
from config.settings import Settings

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SQUARE = ChatRef("console", "square")
DEFAULTS = FloodLimits.from_settings(Settings(_env_file=None))


def person(name: str) -> Person:
    return Person("console", name, name.capitalize())


def command(name: str, chat: ChatRef = SQUARE, *, admin: bool = False) -> Command:
    return Command(sender=person(name), chat=chat, name="help", sender_is_admin=admin)


def private(name: str) -> ChatRef:
    return ChatRef.private("console", name)


def answer(to: ChatRef) -> Send:
    return Send(to=to, body=doc("answer"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def guard(clock: ManualClock) -> FloodGuard:
    return FloodGuard(DEFAULTS, clock)


def verdicts(guard: FloodGuard, event: Inbound, times: int, *, organizer: bool = False) -> list[Verdict]:
    return [guard.admit(event, organizer=organizer) for _ in range(times)]


def test_the_defaults_are_the_documented_ones():
    assert (
        FloodLimits(
            person=parse("10 per 20 seconds"),
            private=parse("30 per minute"),
            organizer=parse("30 per minute"),
            community=parse("20 per minute"),
            pause_seconds=60,
        )
        == DEFAULTS
    )


def test_a_resident_over_the_limit_is_warned_once_then_ignored_until_the_pause_ends(guard, clock):
    assert verdicts(guard, command("bob"), 12) == [Verdict.SERVE] * 10 + [Verdict.WARN, Verdict.IGNORE]
    clock.advance(timedelta(seconds=59))
    assert guard.admit(command("bob"), organizer=False) is Verdict.IGNORE
    assert guard.admit(command("bob", private("bob")), organizer=False) is Verdict.IGNORE, "everywhere"
    clock.advance(timedelta(seconds=1))
    assert verdicts(guard, command("bob"), 11) == [Verdict.SERVE] * 10 + [Verdict.WARN], "a fresh window"


def test_one_residents_pause_does_not_touch_another(guard):
    verdicts(guard, command("bob"), 11)
    assert guard.paused("console:bob")
    assert guard.admit(command("carol"), organizer=False) is Verdict.SERVE
    assert not guard.paused("console:carol")


def test_a_human_pace_is_never_limited(guard, clock):
    for _ in range(300):  # one command every 2 seconds for 10 minutes
        assert guard.admit(command("bob"), organizer=False) is Verdict.SERVE
        clock.advance(timedelta(seconds=2))


def test_organizers_have_a_higher_limit_not_none(guard):
    assert verdicts(guard, command("olivia", admin=True), 31, organizer=True) == [Verdict.SERVE] * 30 + [
        Verdict.WARN
    ]


def test_in_private_the_private_limit_applies(guard):
    assert verdicts(guard, command("bob", private("bob")), 31) == [Verdict.SERVE] * 30 + [Verdict.WARN]


def test_plain_messages_in_a_community_count_only_when_answered(guard):
    chatter = TextMessage(sender=person("bob"), chat=SQUARE, text="hello")
    for _ in range(50):
        assert guard.admit(chatter, organizer=False) is Verdict.SERVE
        assert guard.charge(chatter, [], organizer=False, verdict=Verdict.SERVE) == []
    for _ in range(10):  # answered: a step of a flow typed in the group
        assert guard.admit(chatter, organizer=False) is Verdict.SERVE
        guard.charge(chatter, [answer(SQUARE)], organizer=False, verdict=Verdict.SERVE)
    assert guard.admit(chatter, organizer=False) is Verdict.WARN


def test_the_warning_is_localized_a_toast_for_a_tap_and_a_message_otherwise(guard):
    french = guard.slow_down(command("bob"), translator("fr"))
    assert isinstance(french, Send) and french.to == SQUARE
    assert (
        render(french.body, PLAIN)
        == "Doucement, s'il vous plaît : je vous répondrai à nouveau dans 1 minute."
    )
    tap = ButtonPress(sender=person("bob"), chat=SQUARE, action="x")
    assert guard.slow_down(tap, translator("en")) == Notice(
        text="Please slow down: I will answer you again in 1 minute.", alert=True
    )
    odd = FloodGuard(replace(DEFAULTS, pause_seconds=90), ManualClock(START))
    slowed = odd.slow_down(tap, translator("en"))
    assert isinstance(slowed, Notice) and slowed.text.endswith("again in 90 seconds.")


def test_a_community_receives_at_most_its_cap_in_reply_to_residents(guard, clock):
    sent: list[Reply] = []
    for n in range(25):  # 25 residents, each once: only the community's cap stops them
        event = command(f"resident{n}")
        if guard.admit(event, organizer=False) is Verdict.SERVE:
            sent += guard.charge(
                event,
                [answer(SQUARE), answer(private(f"resident{n}"))],
                organizer=False,
                verdict=Verdict.SERVE,
            )
    assert sum(not r.to.is_private for r in sent if isinstance(r, Send)) == 20
    assert sum(r.to.is_private for r in sent if isinstance(r, Send)) == 20, (
        "typed requests stop once it is full"
    )

    tap = ButtonPress(sender=person("carol"), chat=SQUARE, action="x")
    assert guard.admit(tap, organizer=False) is Verdict.SERVE, "a vote is still served"
    card = Edit(target=MessageRef(SQUARE, "1"), body=doc("card"))
    toast = Notice(text="Vote recorded")
    assert guard.charge(tap, [toast, card, answer(SQUARE)], organizer=False, verdict=Verdict.SERVE) == [
        toast,
        card,
    ], "toasts and card edits pass, a new message does not"

    organizer = command("olivia", admin=True)
    assert guard.admit(organizer, organizer=True) is Verdict.SERVE
    assert guard.charge(organizer, [answer(SQUARE)], organizer=True, verdict=Verdict.SERVE) == [
        answer(SQUARE)
    ]

    clock.advance(timedelta(minutes=1))
    assert guard.admit(command("late"), organizer=False) is Verdict.SERVE, "room again after a minute"


async def test_an_ignored_event_reaches_no_handler_and_a_warned_one_neither(guard):
    class Engine:
        handled = 0

        def is_global_admin(self, identity: str) -> bool:
            return False

        def language_for(self, event: Inbound) -> str:
            return "en"

        async def handle(self, event: Inbound) -> list[Reply]:
            self.handled += 1
            return [answer(event.chat)]

    engine = Engine()
    results = [await guard.screen(command("bob"), engine) for _ in range(15)]
    assert engine.handled == 10
    assert [len(r) for r in results] == [1] * 11 + [0] * 4
    assert render(results[10][0].body, PLAIN) == "Please slow down: I will answer you again in 1 minute."


def test_memory_holds_only_the_people_of_the_last_window(guard, clock):
    for n in range(1000):
        guard.admit(command(f"resident{n}", private(f"resident{n}")), organizer=False)
    assert len(guard.storage) >= 1000
    clock.advance(timedelta(minutes=2))
    guard.admit(command("bob"), organizer=False)
    assert len(guard.storage) <= 2


@pytest.mark.parametrize("bad", ["fast", "0 per minute", "10 per fortnight"])
def test_a_malformed_limit_stops_the_start(bad):
    with pytest.raises(ValidationError):
        Settings(_env_file=None, flood_limit=bad)


def test_limits_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CIVICBOT_FLOOD_COMMUNITY_LIMIT", "5/minute")
    monkeypatch.setenv("CIVICBOT_FLOOD_PAUSE", "120")
    limits = FloodLimits.from_settings(Settings(_env_file=None))
    assert (limits.community, limits.pause_seconds) == (parse("5/minute"), 120)
