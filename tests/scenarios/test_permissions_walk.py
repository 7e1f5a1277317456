"""Every command and every button, tried by a resident, by the organizer of another community and by the
organizer of the right one: who may do what is declared once (`CommandSpec.role`, `CommandSpec.targets`) and
this walk shows the declaration is what happens. A new command or button fails here until it is added to
the walk, so nobody can add one without deciding who may use it.

The walk runs on the console driver (on both databases): what it proves is the engine's decision, which is
the same whatever the platform; `test_community_scope.py` proves the platforms report who administers what.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.feature import Registry
from bot.features import FEATURES
from tests.drivers.base import Driver, texts
from tests.scenarios.consultation_fixture import SOURCE

# command → (arguments naming the square's poll no. 1, event no. 1 or consultation, where it is typed:
# "group" = the organizer's own community, "private" = their private chat with the bot)
REGISTRY = Registry(FEATURES)
WALK: dict[str, tuple[str, str]] = {
    "start": ("", "private"),
    "help": ("", "group"),
    "poll": ("Un banc de plus ? | Oui | Non", "group"),
    "results": ("1", "private"),
    "poll_edit": ("1 --public Quel jour pour le marché ? | Samedi | Dimanche", "group"),
    "poll_delete": ("1", "group"),  # (asks for a confirmation nobody gives here)
    "consultations": ("", "private"),
    "launch": ("place-test", "group"),
    "consult": ("place-test", "private"),
    "export": ("place-test", "private"),
    "extend": ("place-test 2026-12-27 18:00", "private"),
    "event": ("Atelier vélo | demain 18h | Garage solidaire", "group"),
    "events": ("1", "private"),
    "event_edit": ("1 place Mairie annexe", "private"),
    "calendar": ("", "private"),
    "tz": ("Europe/Paris", "group"),
    "reminders": ("on", "private"),
    "lang": ("fr", "private"),
    "mydata": ("", "private"),
    "cancel": ("", "private"),
    "forget": ("", "private"),
    "propose": ("", "private"),
    "proposals": ("", "group"),
    "proposal": ("1", "private"),
    "answer": ("1 à l'étude | Le conseil en parlera.", "private"),
    "moderation": ("", "private"),
    "proposals_settings": ("seuil 10", "group"),
    "export_proposals": ("", "private"),
    "close": ("1", "private"),  # last: closing and cancelling change what the commands above act on
    "event_cancel": ("1", "private"),
}

ORGANIZERS_ONLY = "Désolé, seuls les organisateurs peuvent utiliser"
REFUSALS = (
    ORGANIZERS_ONLY,
    "Il n'y a pas de sondage n° 1.",
    "Il n'y a pas d'événement n° 1.",
    "appartient à une autre communauté",
    "ne sont pas publics",
)

# button prefix → why pressing someone else's copy of it cannot act for them
BUTTONS_WALKED = {
    "v": "a vote is the presser's own vote (tested in test_micro_polls and below)",
    "pd": "a poll deletion's confirmation is answered by the organizer who asked alone (test_poll_deletion)",
    "g": "the guided poll's steps are the presser's own flow; a community is checked against theirs (below)",
    "m": "an answer to an event is the presser's own; the guided event's community is checked (below)",
    "l": "a language choice is the presser's own",
    "x": "an erasure erases the presser's own data",
    "c": "a consultation's answer goes into the presser's own draft",
    "ce": "a receipt names one submission (issue: receipts bound to their owner)",
    "cg": "answering from one's list starts the presser's own answers, as /consult does",
    "pr": "a support, a follow or a step of /propose is the presser's own; a moderation, an answer or the "
    "community of a proposal is checked against the presser's communities (test_proposals)",
}


def test_the_walk_names_every_command_and_every_button():
    assert set(WALK) == {spec.name for spec in REGISTRY.commands()}
    assert set(BUTTONS_WALKED) == set(REGISTRY.buttons)


async def _square_owns_a_poll_an_event_and_a_consultation(driver: Driver) -> None:
    await driver.send("olivia", "/aide", chat="square")
    await driver.send("oscar", "/aide", chat="annex")
    await driver.send("bob", "/aide", chat="square")
    await driver.send("olivia", "/sondage --public Quel jour pour le marché ? | Samedi | Dimanche")
    await driver.send("olivia", "/evenement Réunion publique | demain 18h | Salle des fêtes")
    await driver.upload("olivia", "place.yaml", SOURCE.encode(), chat="@olivia")
    await driver.send("olivia", "/lancer place-test")


async def _try(driver: Driver, person: str, command: str, where: str, own_group: str) -> list[str]:
    """What `person` reads, in the chat they typed in and in private, after typing the command."""
    arguments, place = WALK[command]
    chat = own_group if place == "group" and where == "natural" else f"@{person}"
    if where == "group":
        chat = own_group
    chats = {chat, f"@{person}"}
    before = {c: len(driver.messages(c)) for c in chats}
    driver.clock.advance(timedelta(seconds=3))  # at a human pace: the flood limits stay out of the walk
    await driver.send(person, f"/{command} {arguments}".strip(), chat=chat)
    return [m.text for c in chats for m in driver.messages(c)[before[c] :]]


async def test_each_command_refuses_exactly_whom_its_declaration_says(console: Driver):
    driver = console
    await _square_owns_a_poll_an_event_and_a_consultation(driver)
    specs = {spec.name: spec for spec in REGISTRY.commands()}

    for name, spec in specs.items():
        if name == "forget":
            continue  # bob's erasure would make him a stranger to the square for the rest of the walk
        seen = await _try(driver, "bob", name, "group", "square")
        refused = any(ORGANIZERS_ONLY in text for text in seen)
        assert refused == spec.organizer, (name, seen)

    for name, spec in specs.items():
        if not spec.targets:
            continue
        for where in ("group", "private"):
            seen = await _try(driver, "oscar", name, where, "annex")
            if name == "results" or spec.organizer or spec.targets:
                assert any(r in text for text in seen for r in REFUSALS), (name, where, seen)

    for name in WALK:
        seen = await _try(driver, "olivia", name, "natural", "square")
        assert not any(r in text for text in seen for r in REFUSALS), (name, seen)
    assert "Le sondage n° 1 est clos." in texts(driver, "@olivia")


async def _reach_the_community_choice(driver: Driver, person: str, command: str, answers: list[str]) -> None:
    me = f"@{person}"
    await driver.send(person, command, chat=me)
    for answer in answers:
        await driver.send(person, answer, chat=me)
    if command == "/sondage":
        await driver.press(person, "Continuer →", chat=me)


async def test_an_organizer_cannot_post_into_another_community_with_buttons_of_its_panel(console: Driver):
    """oscar reads the data of olivia's "Place du village" button (the community choice of her guided poll
    and guided event) and presses it in his own flow: the square is not his, so nothing is posted there."""
    driver = console
    await driver.send("olivia", "/aide", chat="square")
    await driver.send("oscar", "/aide", chat="annex")
    flows = (
        ("/sondage", ["Un banc de plus ?", "Oui\nNon"], "Publier"),
        ("/evenement", ["Atelier vélo", "demain 18h", "Garage solidaire", "Réparer ensemble"], None),
    )
    for command, answers, publish in flows:
        for person in ("olivia", "oscar"):
            await _reach_the_community_choice(driver, person, command, answers)
        square_button = driver.button_action("Place du village", chat="@olivia")
        before = len(driver.messages("square"))
        toast = await driver.press_raw("oscar", square_button, chat="@oscar")
        if publish:
            await driver.press("oscar", publish, chat="@oscar")
        assert len(driver.messages("square")) == before, (command, toast, texts(driver, "@oscar")[-300:])
        await driver.send("oscar", "/annuler", chat="@oscar")
        await driver.send("olivia", "/annuler", chat="@olivia")


@pytest.fixture
def console(console_driver):
    return console_driver
