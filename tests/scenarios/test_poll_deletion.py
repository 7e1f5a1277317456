"""Deleting a poll: its organizers delete it with one tap on a confirmation; its ballots and its key are gone,
every card of it says it was deleted and has no button left, and whatever still points to it (an old vote
button, /results, /close, /mydata, /forget) says so or no longer shows it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from storage.tables import Ballot
from tests.drivers.base import last, texts
from tests.scenarios.test_micro_polls import normalized
from tests.scenarios.test_poll_corrections import audited

DELETED = "Sondage supprimé par les organisateurs"
CONFIRM = "Supprimer le sondage n° 1"


async def ballots(driver) -> int:
    async with driver.app.db.read() as session:
        return (await session.exec(select(func.count()).select_from(Ballot))).one()


async def post_in_both_communities(driver) -> None:
    await driver.send("alice", "/sondage Fusion des deux fêtes ? | Oui | Non", chat="@alice")
    await driver.press("alice", "Place du village", chat="@alice")
    await driver.press("alice", "Annexe", chat="@alice")
    await driver.press("alice", "Publier", chat="@alice")


async def test_an_organizer_deletes_a_poll_with_one_tap_and_every_card_says_so(driver):
    await post_in_both_communities(driver)
    await driver.press("bob", "Oui", chat="square")
    await driver.press("carol", "Non", chat="annex")
    oui = driver.button_action("Oui", chat="square")  # as a resident's phone still shows it
    assert driver.app.db.keys.get("poll-1") is not None

    await driver.send("alice", "/supprimer_sondage 1", chat="@alice")
    asked = last(driver, "@alice")
    assert "Supprimer le sondage n° 1 ? Fusion des deux fêtes ?" in asked
    assert "2 habitants ont voté : leurs votes sont effacés définitivement." in asked
    assert asked.buttons == [CONFIRM, "Le garder"]
    assert "Sondage supprimé" not in texts(driver, "square"), "nothing happens before the tap"

    assert await driver.press("alice", CONFIRM, chat="@alice") == "Supprimé."
    answered = last(driver, "@alice")
    assert answered.text == "Le sondage n° 1 est supprimé." and answered.buttons == []
    for chat in ("square", "annex"):
        card = driver.messages(chat)[0]
        assert card.text.startswith(DELETED), chat
        assert "Fusion" not in card and card.buttons == [] and card.edited, chat
    assert await ballots(driver) == 0
    assert driver.app.db.keys.get("poll-1") is None, "its key is destroyed"
    assert await audited(driver, "poll.delete") == [f"{driver.identity('alice')} 1 open, 2 ballots erased"]

    toast = await driver.press_raw("dave", oui)
    assert toast == "Ce sondage a été supprimé par ses organisateurs : il ne prend plus de votes."
    await driver.send("bob", "/resultats 1")
    assert last(driver).text == "Le sondage n° 1 n'existe plus : ses organisateurs l'ont supprimé."
    await driver.send("alice", "/clore 1", chat="@alice")
    assert last(driver, "@alice").text == "Le sondage n° 1 n'existe plus : ses organisateurs l'ont supprimé."
    await driver.send("bob", "/resultats")
    assert last(driver).text == "Il n'y a encore aucun sondage dans cette conversation."
    await driver.send("alice", "/sondage Et maintenant ? | A | B")
    assert "sondage n° 2" in last(driver), "a new poll never takes the deleted one's number"


async def test_only_the_organizer_who_asked_confirms_and_only_for_a_few_minutes(driver):
    await driver.send("alice", "/sondage Un banc de plus ? | Oui | Non")
    await driver.send("alice", "/supprimer_sondage 1")
    assert await driver.press("bob", CONFIRM) == "Seul l'organisateur qui l'a demandé peut répondre."
    assert await driver.press("alice", "Le garder") == "Gardé."
    assert last(driver).text == "Le sondage n° 1 est gardé."
    card = driver.messages("square")[0]
    assert "Un banc de plus ?" in card and card.buttons == ["Oui", "Non"]

    await driver.send("alice", "/supprimer_sondage 1")
    driver.clock.advance(timedelta(minutes=11))
    toast = await driver.press("alice", CONFIRM)
    assert toast == "Cette confirmation a expiré : envoyez de nouveau /supprimer_sondage 1."
    assert driver.messages("square")[0].buttons == ["Oui", "Non"], "the poll is still there"

    await driver.send("bob", "/supprimer_sondage 1")
    assert "seuls les organisateurs" in last(driver)


async def test_a_deleted_polls_announcements_no_longer_name_anyone_and_mydata_forget_agree(driver):
    for person in ("bob", "carol"):
        await driver.send(person, "/start", chat="@" + person)
    await driver.send("alice", "/sondage --public Nettoyage ? | Présent | Absent")
    await driver.press("bob", "Présent")
    await driver.send("alice", "/clore 1")
    announcement = next(m for m in driver.messages("square") if "Le sondage n° 1 est clos." in m.text)
    assert "Bob" in announcement
    await driver.send("alice", "/sondage Fête ? | Oui | Non")
    await driver.press("carol", "Oui")
    await driver.send("bob", "/mesdonnees", chat="@bob")
    assert "Nettoyage ? → Présent (public)" in last(driver, "@bob")
    await driver.send("carol", "/mesdonnees", chat="@carol")
    assert "Fête ? → Oui (anonyme, en cours)" in last(driver, "@carol")

    for number in (1, 2):
        await driver.send("alice", f"/supprimer_sondage {number}")
        await driver.press("alice", f"Supprimer le sondage n° {number}")
    announcement = next(m for m in driver.messages("square") if m.text.startswith(DELETED) and m.edited)
    posted = [normalized(m.text) for m in driver.messages("square")]
    assert not any("Bob" in text or "Présent" in text for text in posted), "the announcement is rewritten"
    assert announcement.buttons == []

    await driver.send("bob", "/mesdonnees", chat="@bob")
    bob = last(driver, "@bob").text
    assert "Nettoyage" not in bob and "annonces qui citent votre nom" not in bob.lower()
    await driver.send("carol", "/mesdonnees", chat="@carol")
    assert "Fête ?" not in last(driver, "@carol")
    await driver.send("alice", "/mesdonnees", chat="@alice")
    alice = last(driver, "@alice").text
    assert "Sondage n° 1" not in alice and "Sondage n° 2" not in alice, "a deleted poll has no author left"
    assert "poll.delete poll 2" in alice, "her action is in the audit log she sees"

    await driver.send("carol", "/oublier", chat="@carol")
    await driver.press("carol", "Oui, effacer mes données", chat="@carol")
    assert "retiré" not in last(driver, "@carol"), "no vote left to withdraw"
