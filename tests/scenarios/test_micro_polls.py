"""Micro-polls from residents' and organizers' point of view: one tap votes, the card shows live results."""

from __future__ import annotations

from tests.drivers.base import last


def normalized(text: str) -> str:
    """French number formatting uses narrow no-break spaces; compare with plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


async def test_residents_vote_in_one_tap_and_the_card_shows_live_counts(driver):
    await driver.send("alice", "/poll Quel jour pour la fête des voisins ? | Samedi | Dimanche")
    card = last(driver)
    assert "Quel jour pour la fête des voisins ?" in card
    assert card.buttons == ["Samedi", "Dimanche"]

    assert await driver.press("bob", "Samedi") == "Vote enregistré : Samedi"
    await driver.press("carol", "Dimanche")
    await driver.press("dave", "Samedi")

    card = last(driver)
    assert "Samedi : 2 (67 %)" in normalized(card.text)
    assert "Dimanche : 1 (33 %)" in normalized(card.text)
    assert "3 votants" in card
    assert "vote anonyme" in card
    assert card.edited
    assert len(driver.messages("square")) == 1, "the card is edited in place, not posted again"


async def test_tapping_the_same_option_again_withdraws_the_vote(driver):
    await driver.send("alice", "/poll Un banc place de l'église ? | Oui | Non")
    await driver.press("bob", "Oui")
    assert await driver.press("bob", "Oui") == "Vote retiré : Oui"
    assert "0 votant" in last(driver)
    assert "Oui : 0 (0 %)" in normalized(last(driver).text)


async def test_tapping_another_option_moves_a_single_choice_vote(driver):
    await driver.send("alice", "/poll Horaires de la bibliothèque ? | Matin | Soir")
    await driver.press("bob", "Matin")
    assert await driver.press("bob", "Soir") == "Vote déplacé vers : Soir"
    text = normalized(last(driver).text)
    assert "Matin : 0 (0 %)" in text
    assert "Soir : 1 (100 %)" in text
    assert "1 votant" in text


async def test_a_multi_choice_poll_counts_each_option_a_resident_picks(driver):
    await driver.send("alice", "/poll --multi Quels ateliers ? | Vélo | Compost | Couture")
    await driver.press("bob", "Vélo")
    await driver.press("bob", "Compost")
    await driver.press("carol", "Compost")
    text = normalized(last(driver).text)
    assert "Vélo : 1 (50 %)" in text
    assert "Compost : 2 (100 %)" in text
    assert "Couture : 0 (0 %)" in text
    assert "2 votants" in text
    assert "plusieurs choix possibles" in text
    await driver.press("bob", "Compost")  # withdraws only that option
    text = normalized(last(driver).text)
    assert "Compost : 1 (50 %)" in text
    assert "Vélo : 1 (50 %)" in text


async def test_a_public_poll_shows_who_voted_for_what_and_an_anonymous_one_never_does(driver):
    await driver.send("alice", "/poll --public Qui vient au nettoyage ? | Moi | Pas moi")
    await driver.press("bob", "Moi")
    await driver.press("carol", "Pas moi")
    public_card = last(driver).text
    assert "vote public, noms affichés" in public_card
    bob_line = next(line for line in public_card.splitlines() if "Bob" in line)
    assert "Carol" not in bob_line
    assert public_card.index("Moi :") < public_card.index("Bob") < public_card.index("Pas moi :")

    await driver.send("alice", "/poll Et pour la fête ? | Oui | Non")
    await driver.press("bob", "Oui")
    anonymous_card = last(driver).text
    assert "Bob" not in anonymous_card
    assert "vote anonyme" in anonymous_card


async def test_hidden_results_show_only_after_closing(driver):
    await driver.send("alice", "/poll --hidden Budget participatif ? | Parc | Piste cyclable")
    await driver.press("bob", "Parc")
    await driver.press("carol", "Parc")
    card = last(driver).text
    assert "cachés" in card
    assert "Parc :" not in card
    assert "2 votants" in card

    await driver.send("bob", "/results")
    assert "cachés" in last(driver).text and "Parc :" not in last(driver).text

    await driver.send("alice", "/close")
    closed_card = driver.messages("square")[0]
    assert "Sondage clos" in closed_card
    assert "Parc : 2 (100 %)" in normalized(closed_card.text)


async def test_one_poll_posted_in_two_communities_counts_each_resident_once(driver):
    await driver.send("alice", "/poll Fusion des deux fêtes ? | Oui | Non", chat="@alice")
    await driver.press("alice", "Place du village", chat="@alice")
    await driver.press("alice", "Annexe", chat="@alice")
    await driver.press("alice", "Publier", chat="@alice")
    assert "publié" in last(driver, "@alice")

    await driver.press("bob", "Oui", chat="square")
    await driver.press("bob", "Oui", chat="annex")  # the same resident, the other copy: withdraws
    await driver.press("bob", "Non", chat="annex")
    await driver.press("carol", "Oui", chat="annex")
    for chat in ("square", "annex"):
        text = normalized(last(driver, chat).text)
        assert "Oui : 1 (50 %)" in text, chat
        assert "Non : 1 (50 %)" in text, chat
        assert "2 votants" in text, chat
