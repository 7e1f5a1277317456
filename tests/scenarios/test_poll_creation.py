"""Creating polls: in one line in a community, or guided step by step in a private chat."""

from __future__ import annotations

from tests.drivers.base import last, texts


async def test_an_organizer_creates_a_poll_in_one_line_with_all_options(driver):
    await driver.send(
        "alice",
        '/poll --multi --public --hidden --closes "2026-12-05 18:30" Quels travaux ? | Trottoirs | Éclairage',
    )
    card = last(driver)
    assert "Quels travaux ?" in card
    assert "plusieurs choix possibles" in card
    assert "vote public, noms affichés" in card
    assert "cachés" in card
    assert "Clôture le samedi 5 décembre à 18 h 30" in card
    assert card.buttons == ["Trottoirs", "Éclairage"]


async def test_a_guided_poll_asks_step_by_step_in_private_and_posts_where_chosen(driver):
    await driver.send("alice", "/poll", chat="@alice")
    assert "Quelle est votre question ?" in last(driver, "@alice")
    await driver.send("alice", "Faut-il une boîte à livres devant la mairie ?", chat="@alice")
    assert "Étape 2 sur 4" in last(driver, "@alice")
    await driver.send("alice", "Oui\nNon\nSans avis", chat="@alice")
    settings_panel = last(driver, "@alice")
    assert "Étape 3 sur 4" in settings_panel
    assert "✓ Un seul choix" in settings_panel.buttons

    await driver.press("alice", "Plusieurs choix", chat="@alice")
    assert "✓ Plusieurs choix" in last(driver, "@alice").buttons
    await driver.press("alice", "Aux organisateurs seulement", chat="@alice")
    assert "résultats aux organisateurs seulement" in last(driver, "@alice")
    await driver.press("alice", "Date de clôture…", chat="@alice")
    await driver.send("alice", "n'importe quand", chat="@alice")
    assert "Je n'ai pas compris la date" in texts(driver, "@alice") or "pas pu lire" in texts(
        driver, "@alice"
    )
    await driver.send("alice", "jeudi 19h", chat="@alice")
    assert "clôture le jeudi 26 novembre à 19 h 00" in last(driver, "@alice")
    await driver.press("alice", "Continuer →", chat="@alice")
    assert "Étape 4 sur 4" in last(driver, "@alice")
    await driver.press("alice", "Place du village", chat="@alice")
    await driver.press("alice", "Publier", chat="@alice")

    assert "publié" in last(driver, "@alice")
    card = last(driver, "square")
    assert "Faut-il une boîte à livres devant la mairie ?" in card
    assert card.buttons == ["Oui", "Non", "Sans avis"]
    assert "plusieurs choix possibles" in card
    assert "seulement aux organisateurs du sondage" in card, "--private-results, chosen with a button"
    assert driver.messages("annex") == []


async def test_options_sent_one_message_each_are_asked_again_all_in_one_message(driver):
    await driver.send("alice", "/poll", chat="@alice")
    await driver.send("alice", "Quel jour pour la brocante ?", chat="@alice")
    assert "séparer par |" in last(driver, "@alice"), "the first prompt says | works too"
    await driver.send("alice", "Samedi", chat="@alice")
    again = last(driver, "@alice")
    assert "Un sondage doit avoir au moins 2 options." in again
    assert "toutes les options dans un seul message : une par ligne, ou séparées par |" in again
    await driver.send("alice", "Samedi | Dimanche", chat="@alice")
    assert "Étape 3 sur 4" in last(driver, "@alice")


async def test_the_guided_poll_resumes_where_it_stopped_after_a_restart(driver):
    await driver.send("alice", "/poll", chat="@alice")
    await driver.send("alice", "Un composteur partagé ?", chat="@alice")
    await driver.restart()
    await driver.send("alice", "Oui | Non", chat="@alice")
    assert "Étape 3 sur 4" in last(driver, "@alice")
    assert "Un composteur partagé ?" in last(driver, "@alice")


async def test_poll_without_arguments_in_a_community_invites_to_a_private_chat(driver):
    await driver.send("alice", "/poll")
    invitation = last(driver)
    assert "conversation privée" in invitation
    assert invitation.buttons, "an invitation is one tap away"
    await driver.press("alice", invitation.buttons[0])
    assert "Quelle est votre question ?" in last(driver, "@alice")


async def test_start_poll_typed_in_a_community_opens_the_guided_poll_in_private(driver):
    await driver.send("alice", "/start poll")
    invitation = last(driver)
    assert "La suite se passe en conversation privée" in invitation, "not the welcome"
    await driver.press("alice", invitation.buttons[0])
    assert "Quelle est votre question ?" in last(driver, "@alice")


async def test_an_organizer_can_cancel_a_guided_poll(driver):
    await driver.send("alice", "/poll", chat="@alice")
    await driver.send("alice", "/cancel", chat="@alice")
    assert "Rien n'a été publié" in last(driver, "@alice")
    await driver.send("alice", "Une question perdue ?", chat="@alice")
    assert "/aide" in last(driver, "@alice")
