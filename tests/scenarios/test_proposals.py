"""Residents' proposals, as residents and organizers live them: a resident proposes in private, an organizer
moderates, neighbours support it on its card, the threshold calls for an official answer, the organizers
answer, and everyone who cared is told; with the refusals that keep bad input out.

The first stories speak French (the square's language); those that say so speak English.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage.tables import Proposal, ProposalSupport
from tests.drivers.base import last, texts
from tests.scenarios.test_events import capture_files, deliver_outbox, speak_english

TITLE = "Un banc sous le tilleul"
DESCRIPTION = "Pour que les anciens puissent s'asseoir à l'ombre, place du marché."


def card(driver, number: int = 1, chat: str = "square"):
    """The proposal's card as the community sees it now."""
    return next(
        m for m in driver.messages(chat) if f"Proposal no. {number}" in m or f"Proposition n° {number}" in m
    )


async def write_proposal(driver, person: str, title: str = TITLE, description: str = DESCRIPTION) -> None:
    """`person` opens /propose in private and types a title and a description (they write in the square
    first: that is how the bot learns it is their community)."""
    await driver.send(person, "/start", chat="@" + person)
    await driver.send(person, "/help")
    await driver.send(person, "/proposer", chat="@" + person)
    await driver.send(person, title, chat="@" + person)
    await driver.send(person, description, chat="@" + person)


async def stored(driver) -> list[Proposal]:
    async with driver.app.db.read() as session:
        return list((await session.exec(select(Proposal))).all())


async def test_a_resident_proposes_an_organizer_approves_it_and_neighbours_support_it(driver):
    await driver.send("alice", "/start", chat="@alice")  # an organizer the bot may write to
    await driver.send("bob", "/proposer")
    assert "Écrivez votre proposition dans une conversation privée" in last(driver)
    await driver.press("bob", "Ouvrir la conversation privée")
    assert "Étape 1 sur 2 — Que proposez-vous ?" in last(driver, "@bob")
    await driver.send("bob", TITLE, chat="@bob")
    assert "Étape 2 sur 2 — Décrivez votre idée" in last(driver, "@bob")
    await driver.send("bob", DESCRIPTION, chat="@bob")
    panel = last(driver, "@bob")
    assert "Votre nom doit-il apparaître ?" in panel and TITLE in panel
    assert panel.buttons == ["Envoyer, signée Bob", "Envoyer, signée « un·e habitant·e »", "Annuler"]
    assert await driver.press("bob", "Envoyer, signée Bob", chat="@bob") == "Envoyée."
    assert "Votre proposition n° 1 est envoyée aux organisateurs" in last(driver, "@bob")
    await deliver_outbox(driver)
    assert TITLE not in texts(driver), "nothing is published before the moderation"
    assert "attend la modération" in last(driver, "@alice"), "the organizers are told in private"

    await driver.send("olivia", "/moderation", chat="@olivia")
    queue = last(driver, "@olivia")
    assert "Modération : 1 sur 1" in queue and TITLE in queue and "Proposée par Bob" in queue
    assert await driver.press("olivia", "Approuver et publier", chat="@olivia") == "Approuvée et publiée."
    assert "Aucune proposition n'attend la modération." in last(driver, "@olivia")
    await deliver_outbox(driver)
    shown = card(driver)
    assert TITLE in shown and DESCRIPTION in shown and "Proposée par Bob" in shown
    assert "Statut : ouverte aux soutiens" in shown and "0 soutien · seuil : 25" in shown
    assert shown.buttons == ["Je soutiens", "Suivre"]
    assert "Votre proposition est approuvée et publiée" in last(driver, "@bob")

    assert (
        await driver.press("carol", "Je soutiens")
        == "Votre soutien est enregistré. Touchez encore pour le retirer."
    )
    await driver.press("dave", "Je soutiens")
    assert "2 soutiens · seuil : 25" in card(driver) and card(driver).edited
    toast = await driver.press("carol", "Je soutiens")
    assert toast == "Votre soutien est enregistré (touchez encore dans un instant pour le retirer).", (
        "a double tap"
    )
    assert "2 soutiens" in card(driver)
    driver.clock.advance(timedelta(minutes=1))
    assert await driver.press("carol", "Je soutiens") == "Votre soutien est retiré."
    assert "1 soutien · seuil : 25" in card(driver)
    assert "Carol" not in texts(driver) and "Dave" not in texts(driver), "supporters are never listed"


async def test_a_proposal_reaches_its_threshold_is_answered_and_everyone_who_cared_is_told(driver):
    """In English: the square and its residents chose it."""
    await speak_english(driver, "alice", "bob", "carol", "dave", "olivia")
    await driver.send("alice", "/proposals_settings threshold 2 moderation off")
    settings = last(driver)
    assert "Threshold: 2 supports" in settings and "Moderation: off" in settings
    await driver.send("bob", "/propose")
    await driver.send("bob", "/propose", chat="@bob")
    await driver.send("bob", "A book box at the bus stop", chat="@bob")
    await driver.send("bob", "Residents leave and take books while they wait.", chat="@bob")
    await driver.press("bob", "Send, signed “a resident”", chat="@bob")
    assert "Your proposal no. 1 is published in" in last(driver, "@bob")
    await deliver_outbox(driver)
    assert "Proposed by a resident" in card(driver) and "Bob" not in card(driver).text

    assert await driver.press("erin", "Follow") == (
        "You follow this proposal. Write to me in private once, so that I can tell you of its steps."
    )
    toast = await driver.press("carol", "Follow")
    assert toast == "You follow this proposal: I will tell you in private of each of its steps."
    await driver.press("carol", "I support")
    await driver.press("dave", "I support")
    await deliver_outbox(driver)
    shown = card(driver)
    assert "2 supports · threshold reached: an official answer is due by December 26, 2026" in shown
    assert "reached its support threshold" in last(driver, "@alice")

    await driver.send("olivia", "/answer 1 accepted | The council voted it on December 12.", chat="@olivia")
    assert "Proposal no. 1 is now “accepted”." in last(driver, "@olivia")
    await deliver_outbox(driver)
    shown = card(driver)
    assert "Status: accepted" in shown and "The council voted it on December 12." in shown
    assert "Official answer (November 26, 2026)" in shown
    told = "Proposal no. 1: A book box at the bus stop — accepted"
    assert told in last(driver), "the community is told under the card"
    for person in ("bob", "carol", "dave"):  # the author, a supporter who follows too, a supporter
        assert [m.text for m in driver.messages("@" + person)].count(last(driver, "@" + person).text) == 1
        assert told in last(driver, "@" + person), person
    assert told not in texts(driver, "@erin"), "erin never opened a private chat: nothing is sent there"

    await driver.send("dave", "/proposal 1", chat="@dave")
    history = last(driver, "@dave")
    assert "History" in history and "November 26, 2026 — published" in history
    assert "November 26, 2026 — accepted: The council voted it on December 12." in history


async def test_organizers_are_reminded_of_an_answer_owed_even_across_a_restart(driver):
    await speak_english(driver, "alice", "bob", "dave", "olivia")
    await driver.send("alice", "/proposals_settings threshold 1 delay 10 moderation off")
    await driver.send("bob", "/propose")
    await driver.send("bob", "/propose", chat="@bob")
    await driver.send("bob", "Lights on the footpath", chat="@bob")
    await driver.send("bob", "The path to the school is dark in winter.", chat="@bob")
    await driver.press("bob", "Send, signed Bob", chat="@bob")
    await deliver_outbox(driver)
    await driver.press("dave", "I support")
    await deliver_outbox(driver)
    assert "an official answer is due by December 6, 2026" in last(driver, "@alice")

    await driver.restart()
    driver.clock.advance(timedelta(days=3, minutes=1))  # seven days before it is due
    await driver.settle()
    await deliver_outbox(driver)
    assert "Reminder: this proposal is owed an official answer by December 6, 2026." in last(driver, "@alice")
    driver.clock.advance(timedelta(days=7))  # the day it is due
    await driver.settle()
    await deliver_outbox(driver)
    assert "was due on December 6, 2026" in last(driver, "@alice")
    await driver.send("alice", "/proposals", chat="@alice")
    assert "⚠ answer overdue since December 6, 2026" in last(driver, "@alice")
    await driver.send("dave", "/proposals")
    assert "overdue" not in last(driver), "the flag is the organizers' alone"

    await driver.send("olivia", "/answer 1 under study", chat="@olivia")
    await deliver_outbox(driver)
    reminded = texts(driver, "@alice").count("Reminder:")
    driver.clock.advance(timedelta(days=30))
    await driver.settle()
    await deliver_outbox(driver)
    assert texts(driver, "@alice").count("Reminder:") == reminded == 2, "answered: no more reminders"


async def test_bad_input_is_refused_clearly_and_nothing_is_stored(driver):
    await driver.send("bob", "/help")
    await driver.send("bob", "/proposer", chat="@bob")
    await driver.send("bob", "\u200b", chat="@bob")  # a zero-width space: nothing to read
    assert "Le titre est vide : dites en quelques mots ce que vous proposez." in last(driver, "@bob")
    if driver.name != "discord":  # (Discord's form itself refuses a longer text)
        await driver.send("bob", "x" * 121, chat="@bob")
        assert "Ce texte fait 121 caractères ; la limite est de 120." in last(driver, "@bob")
    await driver.send("bob", TITLE, chat="@bob")
    if driver.name != "discord":
        await driver.send("bob", "y" * 1001, chat="@bob")
        assert "Ce texte fait 1001 caractères ; la limite est de 1000." in last(driver, "@bob")
    await driver.send("bob", "/annuler", chat="@bob")
    assert await stored(driver) == []

    await driver.send("alice", "/reglages_propositions non")
    assert "Propositions : fermées" in last(driver)
    await driver.send("bob", "/proposer", chat="@bob")
    assert "Les propositions ne sont pas ouvertes dans vos communautés." in last(driver, "@bob")
    await driver.send("alice", "/reglages_propositions oui moderation non seuil douze")
    assert "« douze » n'est pas un nombre entier de 1 à 100000." in last(driver)

    await driver.send("alice", "/reglages_propositions oui moderation non")
    await write_proposal(driver, "carol")
    await driver.press("carol", "Envoyer, signée Carol", chat="@carol")
    await deliver_outbox(driver)
    stale = driver.button_action("Je soutiens")
    await driver.send("olivia", "/repondre 1 non retenue", chat="@olivia")
    assert "Une proposition non retenue demande sa raison" in last(driver, "@olivia")
    await driver.send(
        "olivia", "/repondre 1 non retenue | Le terrain n'appartient pas à la commune.", chat="@olivia"
    )
    await deliver_outbox(driver)
    assert card(driver).buttons == ["Suivre"], "not accepted: no more supports"
    toast = await driver.press_raw("dave", stale)
    assert toast == "Cette proposition est non retenue : elle ne reçoit plus de soutiens."
    assert await driver.press_raw("dave", stale[:-3] + "xyz") == "Ce bouton n'est pas (ou plus) valide."
    async with driver.app.db.read() as session:
        assert (await session.exec(select(ProposalSupport))).all() == []

    await driver.send("oscar", "/aide", chat="annex")  # the annex's organizer, known as such there
    await driver.send("oscar", "/repondre 1 retenue | Finalement oui.", chat="@oscar")
    assert "Il n'y a pas de proposition n° 1 dans vos communautés." in last(driver, "@oscar")
    assert "Statut : non retenue" in card(driver)


async def test_the_moderation_sends_back_for_changes_and_rejects_with_a_reason(driver):
    await write_proposal(driver, "bob", "Des toilettes", "Au parc.")
    await driver.press("bob", "Envoyer, signée Bob", chat="@bob")
    await driver.send("olivia", "/moderation", chat="@olivia")
    await driver.press("olivia", "Demander des modifications", chat="@olivia")
    await driver.send("olivia", "Précisez lequel des deux parcs.", chat="@olivia")
    assert "Renvoyée à son auteur·e, avec ce qu'il faut changer." in texts(driver, "@olivia")
    await deliver_outbox(driver)
    asked = last(driver, "@bob")
    assert "Précisez lequel des deux parcs." in asked and asked.buttons == ["Modifier ma proposition"]
    await driver.press("bob", "Modifier ma proposition", chat="@bob")
    await driver.send("bob", "Des toilettes au parc des Tilleuls", chat="@bob")
    await driver.send("bob", "Près de l'aire de jeux.", chat="@bob")
    assert "Votre proposition n° 1 est renvoyée aux organisateurs." in last(driver, "@bob")

    await driver.send("oscar", "/aide", chat="annex")  # another community's organizer
    await driver.send("oscar", "/moderation", chat="@oscar")
    assert "Aucune proposition n'attend la modération." in last(driver, "@oscar")
    await driver.send("olivia", "/moderation", chat="@olivia")
    assert "Des toilettes au parc des Tilleuls" in last(driver, "@olivia")
    await driver.press("olivia", "Refuser", chat="@olivia")
    await driver.press("olivia", "Une proposition semblable existe déjà.", chat="@olivia")
    await deliver_outbox(driver)
    told = last(driver, "@bob")
    assert "n'a pas été publiée" in told and "Une proposition semblable existe déjà." in told
    assert "Des toilettes" not in texts(driver), "a rejected proposal is never published"
    await driver.send("bob", "/proposition 1", chat="@bob")
    history = last(driver, "@bob")
    assert "soumise" in history and "à modifier : Précisez lequel des deux parcs." in history
    assert "refusée par la modération : Une proposition semblable existe déjà." in history
    await driver.send("dave", "/proposition 1", chat="@dave")
    assert "Il n'y a pas de proposition n° 1." in last(driver, "@dave"), "not published: its author's alone"


async def test_a_resident_sees_their_proposals_in_mydata_and_forget_keeps_the_text_without_the_name(driver):
    await driver.send("alice", "/reglages_propositions moderation non")
    await write_proposal(driver, "bob")
    await driver.press("bob", "Envoyer, signée Bob", chat="@bob")
    await deliver_outbox(driver)
    await driver.press("bob", "Je soutiens")
    await driver.press("dave", "Je soutiens")
    await driver.send("bob", "/mesdonnees", chat="@bob")
    mine = last(driver, "@bob")
    assert f"Proposition n° 1 : {TITLE} (ouverte aux soutiens)" in mine
    assert "Propositions que vous soutenez" in mine

    await driver.send("bob", "/oublier", chat="@bob")
    await driver.press("bob", "Oui, effacer mes données", chat="@bob")
    done = last(driver, "@bob")
    assert "Vos soutiens et vos suivis de propositions sont retirés." in done
    assert "Vos propositions restent, sans votre nom." in done
    shown = card(driver)
    assert TITLE in shown and "Proposée par un·e habitant·e" in shown and "Bob" not in shown.text
    assert "1 soutien" in shown


async def test_a_resident_about_to_propose_an_idea_already_proposed_supports_it_instead(driver):
    await driver.send("alice", "/reglages_propositions moderation non")
    await write_proposal(driver, "bob", "Installer des bancs sous les tilleuls", DESCRIPTION)
    await driver.press("bob", "Envoyer, signée Bob", chat="@bob")
    await write_proposal(driver, "carol", "Une boîte à livres", "À l'arrêt de bus.")
    await driver.press("carol", "Envoyer, signée Carol", chat="@carol")
    await deliver_outbox(driver)

    await write_proposal(driver, "dave", "Un banc sous le tilleul", "Il manque de quoi s'asseoir.")
    panel = last(driver, "@dave")
    assert (
        "Des propositions de" in panel and "n° 1 — Installer des bancs sous les tilleuls — 0 soutien" in panel
    )
    assert "boîte à livres" not in panel.text, "only what looks alike"
    assert panel.buttons[0] == "Soutenir plutôt le n° 1"
    assert await driver.press("dave", "Soutenir plutôt le n° 1", chat="@dave") == "Soutien enregistré."
    assert "Vous soutenez la proposition n° 1" in last(driver, "@dave")
    assert "1 soutien · seuil : 25" in card(driver, 1)
    assert len(await stored(driver)) == 2, "dave's own is not sent"


async def test_an_organizer_exports_the_proposals_as_open_data_without_who_supported_them(driver):
    await driver.send("alice", "/reglages_propositions moderation non")
    await write_proposal(driver, "bob")
    await driver.press("bob", "Envoyer, signée Bob", chat="@bob")
    await deliver_outbox(driver)
    await driver.press("dave", "Je soutiens")
    files = capture_files(driver)
    await driver.send("alice", "/start", chat="@alice")
    await driver.send("alice", "/exporter_propositions", chat="@alice")
    names = [name for m in driver.messages("@alice")[-2:] for name in m.files]
    assert any("proposals.csv" in n for n in names) and any("proposals.json" in n for n in names)
    exported = b"".join(f.data for f in files).decode()
    assert TITLE in exported and "Bob" in exported and "Dave" not in exported and "dave" not in exported
    assert '"supports": 1' in exported
    await driver.send("bob", "/exporter_propositions", chat="@bob")
    assert "seuls les organisateurs" in last(driver, "@bob")
