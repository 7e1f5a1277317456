"""One bot, several communities: each community's organizers act on what belongs to it, and residents look up
only what their own communities posted.

The square belongs to olivia (its administrator); the annex to oscar, who administers nothing else (on
Discord it is another server). alice is a global organizer.
"""

from __future__ import annotations

from tests.drivers.base import last, texts
from tests.scenarios.consultation_fixture import SOURCE

NO_POLL = "Il n'y a pas de sondage n° 1."
NO_EVENT = "Il n'y a pas d'événement n° 1."
OTHER_COMMUNITY = "appartient à une autre communauté"


async def meet_the_organizers(driver) -> None:
    """Both administrators have written in their community, so the bot knows what they administer."""
    await driver.send("olivia", "/aide", chat="square")
    await driver.send("oscar", "/aide", chat="annex")


async def test_an_organizer_of_another_community_cannot_read_export_launch_or_replace_a_consultation(driver):
    await meet_the_organizers(driver)
    await driver.upload("olivia", "place.yaml", SOURCE.encode(), chat="@olivia")
    assert "Consultation importée" in last(driver, "@olivia")
    await driver.send("olivia", "/lancer place-test", chat="square")
    assert "Participer" in last(driver, "square").buttons

    await driver.send("oscar", "/consultations", chat="@oscar")
    assert "place-test" not in last(driver, "@oscar")
    await driver.send("oscar", "/resultats place-test", chat="@oscar")
    assert "seront publiés à sa clôture" in last(driver, "@oscar"), "public at the close, not before"
    await driver.send("oscar", "/exporter place-test", chat="@oscar")
    assert OTHER_COMMUNITY in last(driver, "@oscar")
    await driver.send("oscar", "/lancer place-test", chat="annex")
    assert OTHER_COMMUNITY in last(driver, "annex")
    assert "Participer" not in last(driver, "annex").buttons
    hijack = SOURCE.replace("Réaménagement de la place", "Place vendue")
    await driver.upload("oscar", "place.yaml", hijack.encode(), chat="@oscar")
    assert "déjà utilisé par une consultation d'une autre communauté" in last(driver, "@oscar")

    await driver.send("olivia", "/consultations", chat="@olivia")
    assert "place-test" in last(driver, "@olivia") and "Place vendue" not in last(driver, "@olivia")
    await driver.send("olivia", "/exporter place-test", chat="@olivia")
    assert OTHER_COMMUNITY not in texts(driver, "@olivia")
    await driver.send("alice", "/consultations", chat="@alice")
    assert "place-test" in last(driver, "@alice")


async def test_private_lookups_show_only_the_polls_and_events_of_ones_own_communities(driver):
    await meet_the_organizers(driver)
    await driver.send("olivia", "/sondage --public Quel jour pour le marché ? | Samedi | Dimanche")
    await driver.press("bob", "Samedi")
    await driver.send("olivia", "/evenement Réunion publique | demain 18h | Salle des fêtes")
    await driver.send("bob", "/aide", chat="square")  # bob writes in the square: one of its residents

    await driver.send("bob", "/resultats 1", chat="@bob")
    assert "Quel jour pour le marché ?" in last(driver, "@bob")
    await driver.send("bob", "/evenements 1", chat="@bob")
    assert "Réunion publique" in last(driver, "@bob")

    # dave never wrote in the square; oscar runs the annex: for them poll no. 1 does not exist
    for person in ("dave", "oscar"):
        me = f"@{person}"
        await driver.send(person, "/resultats 1", chat=me)
        assert last(driver, me).text.strip() == NO_POLL
        await driver.send(person, "/evenements 1", chat=me)
        assert last(driver, me).text.strip() == NO_EVENT
    await driver.send("oscar", "/resultats 1", chat="annex")
    assert last(driver, "annex").text.strip() == NO_POLL
    assert "Bob" not in texts(driver, "annex")

    # nor may oscar close it or cancel the event, from his group or in private
    await driver.send("oscar", "/clore 1", chat="annex")
    assert last(driver, "annex").text.strip() == NO_POLL
    await driver.send("oscar", "/annuler_evenement 1", chat="@oscar")
    assert last(driver, "@oscar").text.strip() == NO_EVENT
    await driver.send("bob", "/resultats 1", chat="@bob")
    assert "en cours" in last(driver, "@bob")

    await driver.send("olivia", "/clore 1", chat="@olivia")
    assert "Le sondage n° 1 est clos." in last(driver, "@olivia")
