"""Bad input always gets a clear message in the person's language, and changes nothing."""

from __future__ import annotations

import pytest

from tests.drivers.base import last, texts
from tests.scenarios.test_micro_polls import normalized


@pytest.mark.parametrize(
    ("command", "explanation"),
    [
        ("/poll Une seule option ? | Oui", "au moins 2 options"),
        ("/poll Trop ? | " + " | ".join(f"Option {n}" for n in range(13)), "12 options au maximum"),
        ("/poll Vide ? | Oui | | Non", "option est vide"),
        ("/poll Doublon ? | Oui | oui", "Les options 1 et 2 se ressemblent : « Oui » et « oui »"),
        ("/poll " + "x" * 301 + " | Oui | Non", "301 caractères"),
        ("/poll --closes n'importe-quand Question ? | Oui | Non", "date de clôture"),
        ('/poll --closes "2020-01-01 10:00" Question ? | Oui | Non', "déjà passée"),
        ("/poll --closes hier Test D ? | Oui | Non", "La date de clôture « hier » est déjà passée"),
        ("/poll Pas de séparateur", "/sondage Question ? | Option 1 | Option 2"),
        ("/poll --secret Question ? | Oui | Non", "--secret"),
    ],
)
async def test_a_malformed_poll_is_explained_and_nothing_is_posted(driver, command, explanation):
    await driver.send("alice", command)
    answer = last(driver)
    assert explanation in answer.text
    assert answer.buttons == []
    await driver.send("alice", "/results")
    assert "aucun sondage" in last(driver)


async def test_html_characters_and_emoji_are_shown_exactly_as_typed(driver):
    question = "Fête <b>&</b> « apéro » 🎉 ? a<b && c>d"
    await driver.send("alice", f"/poll {question} | Oui 👍 | Non <script>")
    card = last(driver)
    assert question in card
    assert card.buttons == ["Oui 👍", "Non <script>"]
    assert await driver.press("bob", "Non <script>") == "Vote enregistré : Non <script>"


async def test_a_forged_button_is_refused_and_counts_nothing(driver):
    await driver.send("alice", "/poll Question ? | Oui | Non")
    genuine = driver.button_action("Oui")
    forged = genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB")
    assert "valide" in await driver.press_raw("bob", forged)
    assert "valide" in await driver.press_raw("bob", "v.1.0")
    assert "valide" in await driver.press_raw("bob", "n'importe quoi <>&")
    assert "valide" in await driver.press_raw("bob", driver.app.engine.signer.sign("v", 1, 7))
    assert "0 votant" in last(driver)


async def test_a_vote_for_a_poll_of_another_chat_is_refused(driver):
    await driver.send("alice", "/poll Question du village ? | Oui | Non")
    oui = driver.button_action("Oui")
    await driver.send("alice", "/poll Question de l'annexe ? | A | B", chat="annex")
    toast = await driver.press_raw("bob", oui, chat="annex")
    assert "autre conversation" in toast
    assert "Oui : 0 (0 %)" in normalized(driver.messages("square")[0].text)


async def test_unknown_poll_numbers_are_explained(driver):
    await driver.send("alice", "/close 999")
    assert "Il n'y a pas de sondage n° 999" in last(driver)
    await driver.send("alice", "/results abc")
    assert "Il n'y a pas de consultation « abc »" in last(driver)


async def test_a_resident_cannot_use_organizer_commands(driver):
    await driver.send("bob", "/poll Question ? | Oui | Non")
    assert "seuls les organisateurs" in last(driver)
    await driver.send("alice", "/poll Question ? | Oui | Non")
    await driver.send("bob", "/close")
    assert "seuls les organisateurs" in last(driver)
    assert "Sondage clos" not in driver.messages("square")[-2]
    await driver.send("bob", "/poll", chat="@bob")
    assert "seuls les organisateurs" in last(driver, "@bob")


async def test_a_community_administrator_organizes_in_their_community(driver):
    await driver.send("olivia", "/poll Question d'Olivia ? | Oui | Non")
    assert driver.messages("square")[-1].buttons == ["Oui", "Non"]
    await driver.send("olivia", "/close")
    assert "Sondage clos" in driver.messages("square")[0]


async def test_a_deep_link_to_the_guided_poll_does_not_bypass_the_organizer_check(driver):
    await driver.send("bob", "/start poll", chat="@bob")
    assert "seuls les organisateurs" in last(driver, "@bob")


BUDGET = """\
id: budget-test
title: "Budget participatif"
description: "Deux questions."
thanks: "Merci !"
closes: "2026-12-20 18:00"
questions:
  - id: montant
    type: number
    text: "Quel montant proposez-vous ?"
  - id: idee
    type: free_text
    text: "Votre idée ?"
"""


async def test_look_alike_invisible_and_control_characters_and_endless_numbers(driver):
    """Text that reads the same is the same, invisible characters vanish, a control character or a number
    nobody can read is refused with its reason, and nothing is stored meanwhile."""
    for options, first, second in (
        ("Café | cafe\u0301", "1 et 2", "« Café » et « café »"),  # the same word, accent written two ways
        ("Paris | Pa\u200bris", "1 et 2", "« Paris » et « Paris »"),  # a zero-width space inside
        ("Marché | Halle | M\u0430rché", "1 et 3", "« Marché » et « M\u0430rché »"),  # a Cyrillic "а"
    ):
        await driver.send("alice", f"/poll Où ? | {options}")
        assert f"Les options {first} se ressemblent : {second}" in last(driver)
    await driver.send("alice", "/poll Question\x00 ? | Oui | Non")
    assert "caractère de contrôle invisible (U+0000)" in last(driver)
    assert last(driver).buttons == []

    await driver.send("alice", "/poll Pa\u200bris ou \u202eLyon ? | Pa\u200bris | Lyon")
    assert "Paris ou Lyon ?" in last(driver) and last(driver).buttons == ["Paris", "Lyon"]
    await driver.send("alice", "/event Réunion\u200b publique | samedi 19h | Salle\u2066 des fêtes\u2069")
    assert "Réunion publique" in last(driver) and "Salle des fêtes" in last(driver)

    await driver.upload("alice", "budget.yaml", BUDGET.encode(), chat="@alice")
    assert "Consultation importée" in last(driver, "@alice")
    await driver.send("alice", "/launch budget-test")
    await driver.press("bob", "Participer")
    await driver.send("bob", "1" * 40, chat="@bob")
    assert "Répondez par un nombre de 15 chiffres au maximum." in texts(driver, "@bob")
    assert "Quel montant proposez-vous ?" in last(driver, "@bob"), "the question is asked again"
    await driver.send("bob", "1 500", chat="@bob")
    assert "Votre idée ?" in last(driver, "@bob")
    await driver.send("bob", "Des bancs\x00", chat="@bob")
    assert "caractère de contrôle invisible (U+0000)" in texts(driver, "@bob")
    assert "Votre idée ?" in last(driver, "@bob")
    await driver.send("bob", "Des\u200b bancs \u202eà l'ombre", chat="@bob")
    assert "« Des bancs à l'ombre »" in last(driver, "@bob")


async def test_french_speakers_read_the_commands_under_their_french_names(driver):
    await driver.send("bob", "/clore")
    assert "Désolé, seuls les organisateurs peuvent utiliser /clore." in last(driver).text
    await driver.send("alice", "/clore", chat="@alice")
    assert "/resultats 12" in last(driver, "@alice").text
    await driver.send("alice", "/aide", chat="@alice")
    shown = last(driver, "@alice").text
    assert "/sondage" in shown and "/clore" in shown and "/poll" not in shown
