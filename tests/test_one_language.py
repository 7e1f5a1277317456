"""Every reply speaks one language: a broad session of residents and organizers in French reads no English
word, and the same session in English reads no French one.

The check is a stop-word heuristic (tests/languages.py, which the catalog's check shares); every command a
reply names is named as the reader types it (/lancer in French), and no date is written the ISO way. What
residents and organizers type (poll questions, answers) is typed in the language of the session.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.feature import Registry
from bot.features import FEATURES
from bot.i18n import translator
from tests import languages
from tests.databases import database_url
from tests.drivers.console import ConsoleDriver, make_driver

REGISTRY = Registry(FEATURES)
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "examples" / "place-du-marche.yaml"


def foreign_words(text: str, language: str) -> set[str]:
    return languages.foreign_words(text, language)


def test_the_heuristics_find_a_mixed_reply_and_spare_commands_flags_and_placeholders() -> None:
    assert foreign_words("Consultation imported: Réaménagement de la place", "en") == {"de", "la"}
    assert foreign_words("Poll no. 3 is closed; vote with /sondage --fin", "fr") == {"is", "with"}
    assert foreign_words("Voir /resultats --filtre ; console:bob ; {when} ; at_least", "fr") == set()
    assert commands_named_in_another_language("Lancez-la avec /launch place-du-marche", "fr") == {"/launch"}
    assert commands_named_in_another_language("Launch it with /launch place-du-marche", "en") == set()


@pytest.fixture
async def driver(tmp_path: Path) -> AsyncIterator[ConsoleDriver]:
    async with database_url("sqlite", tmp_path) as url:
        instance = make_driver(url, tmp_path)
        await instance.start()
        try:
            yield instance
        finally:
            await instance.stop()


class Session:
    """Everything one language's session read: each message in each chat, and each toast."""

    def __init__(self, driver: ConsoleDriver, language: str) -> None:
        self.driver = driver
        self.t = translator(language)
        self.toasts: list[str] = []

    async def send(self, person: str, text: str, chat: str = "square") -> None:
        await self.driver.send(person, text, chat=chat)

    async def press(self, person: str, msgid: str, chat: str = "square") -> None:
        toast = await self.driver.press(person, self.t._(msgid), chat=chat)
        if toast:
            self.toasts.append(toast)

    def everything(self) -> list[str]:
        chats = self.driver.console.chats
        return [m.text for messages in chats.values() for m in messages] + self.toasts


SESSIONS = {
    "fr": {
        "poll": "/sondage Une fête de quartier en juin ? | Oui, le samedi | Oui, le dimanche | Non",
        "timed": "/sondage --multi --fin demain 18h Quels stands ? | Buvette | Brocante | Jeux",
        "answer": "Oui, le samedi",
        "event": "/evenement Réunion publique sur le budget | samedi 19h | Salle des fêtes | Venez nombreux",
        "bad": [
            "/sondage",
            "/sondage Une seule option ? | Oui",
            "/sondage --fin hier Trop tard ? | Oui | Non",
            "/sondage --inconnu Quoi ? | Oui | Non",
            "/evenement Sans date",
            "/clore 99",
            "/resultats 99",
            "/resultats inconnue",
            "/lancer inconnue",
            "/modifier_evenement 99 lieu Mairie",
            "/annuler_evenement 99",
            "/fuseau Lune/Mer",
        ],
        "views": [
            "/resultats place-du-marche --filtre transport=avion",
            "/resultats place-du-marche --filtre velo",
            "/resultats place-du-marche --filtre transport=velo --filtre frequence=daily",
            "/resultats place-du-marche --croiser satisfaction transport",
            "/resultats place-du-marche --croiser frequence",
            "/resultats place-du-marche --filtre idees=rien",
            "/resultats place-du-marche --filtre age=vieux",
            "/resultats place-du-marche --filtre pietonne>oui",
            "/resultats place-du-marche --filtre pietonne=peut-être",
            "/resultats place-du-marche --filtre transport=velo --croiser frequence transport",
            "/resultats place-du-marche --tri frequence",
            "/resultats 1 --filtre frequence=daily",
        ],
    },
    "en": {
        "poll": "/poll A street party in June? | Yes, on Saturday | Yes, on Sunday | No",
        "timed": "/poll --multi --closes tomorrow 6pm Which stalls? | Refreshments | Flea market | Games",
        "answer": "Yes, on Saturday",
        "event": "/event Public meeting on the budget | saturday 7pm | Village hall | Everyone welcome",
        "bad": [
            "/poll",
            "/poll A single option? | Yes",
            "/poll --closes yesterday Too late? | Yes | No",
            "/poll --unknown What? | Yes | No",
            "/event Without a date",
            "/close 99",
            "/results 99",
            "/results unknown",
            "/launch unknown",
            "/event_edit 99 place Town hall",
            "/event_cancel 99",
            "/tz Moon/Sea",
        ],
        "views": [
            "/results place-du-marche --where transport=plane",
            "/results place-du-marche --where bike",
            "/results place-du-marche --where transport=bike --where frequence=daily",
            "/results place-du-marche --cross satisfaction transport",
            "/results place-du-marche --cross frequence",
            "/results place-du-marche --where idees=nothing",
            "/results place-du-marche --where age=old",
            "/results place-du-marche --where pietonne>yes",
            "/results place-du-marche --where pietonne=maybe",
            "/results place-du-marche --where transport=bike --cross frequence transport",
            "/results place-du-marche --sort frequence",
            "/results 1 --where frequence=daily",
        ],
    },
}


async def answer_consultation(session: Session, person: str) -> None:
    """Take part, answer the first questions with the first buttons, skip what can be skipped, send."""
    driver, me = session.driver, f"@{person}"
    await session.press(person, "Take part")
    for _ in range(20):
        message = driver.console.chats[me][-1]
        labels = [button.label for row in message.buttons for button in row]
        send, skip, confirm = (session.t._(m) for m in ("Send my answers", "Skip", "Confirm"))
        if send in labels:
            await driver.press(person, send, chat=me)
            return
        choice = skip if skip in labels else labels[0] if labels else None
        if choice is None:
            await session.send(person, "42", me)
            continue
        await driver.press(person, choice, chat=me)
        if confirm in [b.label for row in driver.console.chats[me][-1].buttons for b in row]:
            await driver.press(person, confirm, chat=me)


async def play(driver: ConsoleDriver, language: str) -> Session:
    """A broad session: help, polls good and bad, votes, results, events, a consultation answered and its
    results, filtered views, personal data, forgetting, and refusals."""
    session = Session(driver, language)
    words = SESSIONS[language]
    if language == "en":
        for person in ("alice", "bob", "carol", "dave", "erin", "frank"):
            await session.send(person, "/lang en", f"@{person}")
        await session.send("alice", "/lang en")
    for person, chat in (("bob", "@bob"), ("bob", "square"), ("alice", "@alice")):
        await session.send(person, "/start", chat)
        await session.send(person, "/help", chat)
    await session.send("alice", str(words["poll"]))
    await session.press("bob", str(words["answer"]))
    await session.press("carol", str(words["answer"]))
    await session.send("bob", str(words["poll"]))  # a resident may not
    await session.send("bob", "/results 1")
    await session.send("alice", "/close 1")
    await session.send("alice", str(words["timed"]))
    await session.send("alice", "/poll", "@alice")  # the guided flow, then cancelled
    await session.send("alice", "/cancel", "@alice")
    await session.send("bob", "/reminders off", "@bob")
    await session.send("bob", "/reminders on", "@bob")
    await session.send("alice", str(words["event"]))
    await session.press("bob", "I'm coming")
    await session.press("carol", "Maybe")
    await session.send("bob", "/events")
    await session.send("bob", "/events 1")
    for line in words["bad"]:
        await session.send("alice", line, "@alice")
        await session.send("alice", line)
    await session.driver.upload("alice", "place.yaml", EXAMPLE.read_bytes(), chat="@alice")
    await session.send("alice", "/launch place-du-marche")
    for line in words["views"]:
        await session.send("alice", line, "@alice")
    driver.clock.advance(timedelta(days=6))  # it opens on 1 December
    await driver.settle()
    for person in ("bob", "carol", "dave", "erin", "frank"):
        await answer_consultation(session, person)
    await session.send("bob", "/results place-du-marche")
    await session.send("alice", "/results place-du-marche")
    await session.send("alice", "/results place-du-marche --where frequence=1", "@alice")
    await session.send("alice", "/results place-du-marche --cross frequence transport", "@alice")
    await session.send("bob", "/results place-du-marche --where frequence=1", "@bob")
    await session.send("alice", "/consultations", "@alice")
    await session.send("alice", "/export place-du-marche", "@alice")
    await session.send("bob", "/calendar")
    await session.send("bob", "/mydata", "@bob")
    await session.send("alice", "/mydata", "@alice")
    await session.send("carol", "/forget", "@carol")
    await session.press("carol", "Yes, erase my data", "@carol")
    driver.clock.advance(timedelta(days=30))
    await driver.settle()
    return session


def commands_named_in_another_language(text: str, language: str) -> set[str]:
    """The commands a reply names otherwise than the reader types them (/launch in French: /lancer)."""
    named = set()
    for name in re.findall(r"(?<![\w/])/([a-z_]+)", text):
        spec = REGISTRY.command(name)
        if spec is not None and spec.name_in(language) != name:
            named.add(f"/{name}")
    return named


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_no_reply_mixes_languages(driver: ConsoleDriver, language: str) -> None:
    session = await play(driver, language)
    replies = session.everything()
    assert len(replies) > 140, "a broad session"
    mixed = [(sorted(found), text) for text in replies if (found := foreign_words(text, language))]
    assert not mixed, "\n\n".join(f"{words}:\n{text}" for words, text in mixed)
    renamed = [
        (found, text) for text in replies if (found := commands_named_in_another_language(text, language))
    ]
    assert not renamed, "\n\n".join(f"{found}:\n{text}" for found, text in renamed)
    iso = [text for text in replies if ISO_DATE.search(text)]
    assert not iso, "dates are said in words or the locale's format:\n" + "\n\n".join(iso)
