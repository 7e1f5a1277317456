"""A resident sees everything stored about them, and can erase it."""

from __future__ import annotations

from tests.drivers.base import last
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
    assert "2 votes" in last(driver, "@bob")

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


async def test_forget_can_be_declined(driver):
    await driver.send("bob", "/forget", chat="@bob")
    assert await driver.press("bob", "Non", chat="@bob") == "Rien n'a été effacé."
