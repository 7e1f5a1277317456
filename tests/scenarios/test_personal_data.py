"""A resident sees everything stored about them, and can erase it."""

from __future__ import annotations

from datetime import timedelta

from tests.drivers.base import last, texts
from tests.scenarios.consultation_fixture import with_changes
from tests.scenarios.test_consultations import answer_all, import_and_launch
from tests.scenarios.test_events import SATURDAY_7PM, deliver_outbox, run_due
from tests.scenarios.test_micro_polls import normalized


async def test_mydata_lists_profile_and_votes_including_open_anonymous_ones(driver):
    await driver.send("alice", "/poll Fête ? | Oui | Non")
    await driver.send("alice", "/poll --public Nettoyage ? | Présent | Absent")
    await driver.press("bob", "Présent")
    oui = driver.app.engine.signer.sign("v", 1, 0)
    await driver.press_raw("bob", oui)
    await driver.send("bob", "/mydata", chat="@bob")
    data = last(driver, "@bob").text
    assert "Profil" in data
    assert "Fête ? → Oui (anonyme, en cours)" in data
    assert "Nettoyage ? → Présent (public)" in data


async def test_mydata_in_a_community_answers_only_in_private(driver):
    await driver.send("bob", "/mydata")
    assert "conversation privée" in last(driver)
    assert "Profil" not in last(driver)


async def test_forget_withdraws_open_votes_and_unlinks_closed_ones(driver):
    await driver.send("alice", "/poll --public Ancien sondage ? | A | B")
    await driver.press("bob", "A")
    await driver.send("alice", "/close")
    await driver.send("alice", "/poll Sondage ouvert ? | Oui | Non")
    await driver.press("bob", "Oui")
    await driver.send("alice", "/poll --public Sondage public ouvert ? | X | Y")
    await driver.press("bob", "X")

    await driver.send("bob", "/forget", chat="@bob")
    assert "Effacer" in last(driver, "@bob")
    await driver.press("bob", "Oui, effacer mes données", chat="@bob")
    told = last(driver, "@bob").text
    assert "C'est fait : votre profil est effacé." in told
    assert "2 votes dans des sondages en cours ont été retirés." in told

    square = driver.messages("square")
    closed_card = normalized(square[0].text)
    assert "A : 1 (100 %)" in closed_card, "votes in closed polls stay counted"
    open_cards = [
        normalized(m.text)
        for m in square
        if "Sondage ouvert ?" in m.text or "Sondage public ouvert" in m.text
    ]
    assert all("0 votant" in card for card in open_cards)

    await driver.send("bob", "/mydata", chat="@bob")
    data = last(driver, "@bob").text
    assert "Ancien sondage" not in data
    assert "Sondage ouvert" not in data
    await driver.send("alice", "/results 1")
    assert "A : 1 (100 %)" in normalized(last(driver).text)
    assert "Bob" not in last(driver).text


async def test_forget_without_any_vote_says_the_profile_is_erased_and_counts_no_zero(driver):
    await driver.send("carol", "/start", chat="@carol")
    await driver.send("carol", "/forget", chat="@carol")
    await driver.press("carol", "Oui, effacer mes données", chat="@carol")
    told = last(driver, "@carol").text
    assert told.startswith("C'est fait : votre profil est effacé.")
    assert "0 vote" not in told and "retiré" not in told, "no line about votes nobody cast"


async def test_mydata_gives_the_day_of_first_contact_in_words(driver):
    await driver.send("carol", "/start", chat="@carol")
    await driver.send("carol", "/mydata", chat="@carol")
    assert "Premier contact : 26 novembre 2026" in last(driver, "@carol").text


async def test_forget_can_be_declined(driver):
    await driver.send("bob", "/forget", chat="@bob")
    assert await driver.press("bob", "Non", chat="@bob") == "Rien n'a été effacé."


async def test_mydata_lists_what_names_dave_and_forget_erases_it_for_good_leaving_bob_untouched(driver):
    for person in ("dave", "bob"):
        await driver.send(person, "/start", chat="@" + person)
    await driver.send("alice", "/poll --public Nettoyage ? | Présent | Absent")
    await driver.press("dave", "Présent")
    await driver.press("bob", "Présent")
    await driver.send("alice", "/close")
    await driver.send("alice", "/event Réunion publique | samedi 19h | Salle des fêtes")
    for person in ("dave", "bob"):
        await driver.press(person, "Je viens")
    await import_and_launch(driver, with_changes(anonymous="false"))
    for person in ("dave", "bob"):
        await answer_all(driver, person)
    driver.clock.set(SATURDAY_7PM - timedelta(hours=24))
    await run_due(driver)
    await deliver_outbox(driver)
    assert "Rappel : Réunion publique" in last(driver, "@dave")
    assert "Bob, Dave" in announcement_now(driver)

    await driver.send("dave", "/mydata", chat="@dave")
    listed = normalized(last(driver, "@dave").text)
    assert "Nom : Dave" in listed
    assert "Nettoyage ? → Présent (public)" in listed
    assert "Réaménagement de la place — nominative : vos réponses sont liées à vous" in listed
    assert "Réunion publique → Je viens" in listed
    assert "envoyé — Rappel : Réunion publique" in listed, "the reminder sent to him"
    assert "Le sondage n° 1 est clos. Nettoyage ? (envoyé)" in listed, "the announcement that lists him"

    await driver.send("dave", "/forget", chat="@dave")
    await driver.press("dave", "Oui, effacer mes données", chat="@dave")
    await driver.send("dave", "/mydata", chat="@dave")
    after = last(driver, "@dave").text
    assert "Rien n'est enregistré à votre sujet." in after, "the erasure sticks: /mydata stores nothing"
    assert "Dave" not in after

    # closed poll: the count stays, his name goes, from the card and the announcement already posted
    for message in (driver.messages("square")[0], announcement_now(driver)):
        shown = normalized(message.text)
        assert "Présent : 2 (100 %)" in shown and "Bob" in shown and "Dave" not in shown, shown
    await driver.send("alice", "/results 1")
    assert "Dave" not in last(driver).text
    assert "Je viens : 1 ·" in next(m for m in driver.messages("square") if "Salle des fêtes" in m.text)
    await driver.send("alice", "/results place-test", chat="@alice")
    assert "1 habitant a participé." in texts(driver, "@alice"), (
        "his named answers to an open one are withdrawn"
    )

    await driver.send("bob", "/mydata", chat="@bob")
    bob = normalized(last(driver, "@bob").text)
    for kept in (
        "Nettoyage ? → Présent (public)",
        "Réunion publique → Je viens",
        "Rappel : Réunion publique",
    ):
        assert kept in bob, kept

    await driver.send("dave", "/lang en", chat="@dave")
    await driver.send("dave", "/mydata", chat="@dave")
    again = last(driver, "@dave").text
    assert "Language: en" in again and "Réunion publique" not in again, "only what he did next is stored"


def announcement_now(driver):
    return next(m for m in driver.messages("square") if "Le sondage n° 1 est clos." in m.text)
