"""Correcting a poll: its organizers may change its question, options, settings or closing date until its
first vote, written again as /poll reads it; its cards are edited in place. Once a vote exists, the
correction is refused and the organizer is told why and what to do instead."""

from __future__ import annotations

from sqlmodel import col, select

from storage.tables import AuditEntry
from tests.drivers.base import last, texts
from tests.scenarios.test_closing import closing_jobs
from tests.scenarios.test_micro_polls import normalized

POLL = "/sondage Un marché le dimanche ? | Oui | Non"


async def audited(driver, action: str) -> list[str]:
    async with driver.app.db.read() as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
        return [
            f"{entry.actor} {entry.object_id} {entry.detail}" for entry in (await session.exec(query)).all()
        ]


async def test_an_organizer_corrects_a_poll_before_its_first_vote_and_its_card_is_edited_in_place(driver):
    await driver.send("alice", POLL)
    await driver.send(
        "alice",
        "/modifier_sondage 1 --multi --closes demain 18h Un marché le samedi ? | Oui | Non | Peut-être",
    )
    card = driver.messages("square")[0]
    assert "Un marché le samedi ?" in card and "dimanche" not in card.text
    assert card.buttons == ["Oui", "Non", "Peut-être"]
    assert "plusieurs choix possibles" in card
    assert "Clôture le vendredi 27 novembre à 18 h 00" in card
    assert card.edited
    told = last(driver).text
    assert "Le sondage n° 1 est corrigé : question, options, réglages, date de clôture." in told
    assert "Clôture le vendredi 27 novembre à 18 h 00." in told
    assert len(driver.messages("square")) == 2, "the card is edited, not posted again"
    assert await audited(driver, "poll.edit") == [
        f"{driver.identity('alice')} 1 version 2: question, options, multi, closes_at"
    ]
    await driver.app.deadlines.sync()
    assert closing_jobs(driver) == {"poll-close:1"}, "the corrected deadline closes it"

    assert await driver.press("bob", "Peut-être") == "Vote enregistré : Peut-être"
    await driver.press("bob", "Oui")
    text = normalized(driver.messages("square")[0].text)
    assert "Peut-être : 1 (100 %)" in text and "Oui : 1 (100 %)" in text and "1 votant" in text

    await driver.send("alice", "/modifier_sondage 1 Un marché le samedi ? | Oui | Non")
    assert "a déjà reçu des votes" in last(driver)


async def test_once_someone_has_voted_a_correction_is_refused_with_what_to_do_instead(driver):
    await driver.send("alice", POLL)
    await driver.press("bob", "Oui")
    await driver.send("alice", "/modifier_sondage 1 Un marché le samedi ? | Oui | Non")
    told = last(driver).text
    assert told == (
        "Le sondage n° 1 a déjà reçu des votes : il ne peut plus être corrigé, puisqu'ils répondent au "
        "sondage tel qu'il se lit. Pour demander autre chose, clôturez-le (/clore 1) et publiez un nouveau "
        "sondage (/sondage)."
    )
    card = driver.messages("square")[0]
    assert "Un marché le dimanche ?" in card and card.buttons == ["Oui", "Non"]
    assert "Oui : 1 (100 %)" in normalized(card.text), "the vote stays as it was cast"
    assert await audited(driver, "poll.edit") == []


async def test_a_vote_button_shown_before_a_correction_is_refused_clearly(driver):
    await driver.send("alice", POLL)
    non = driver.button_action("Non")  # option 2, as a resident's phone still shows it
    await driver.send("alice", "/modifier_sondage 1 Un marché le dimanche ? | Non | Oui")  # now option 1
    toast = await driver.press_raw("bob", non)
    assert (
        toast
        == "Ce sondage a été corrigé depuis : votez de nouveau sur sa carte telle qu'elle se lit maintenant."
    )
    assert "0 votant" in driver.messages("square")[0]
    assert await driver.press("bob", "Non") == "Vote enregistré : Non"
    assert "Non : 1 (100 %)" in normalized(driver.messages("square")[0].text)


async def test_the_poll_alone_shows_it_as_a_line_to_copy_and_correct(driver):
    await driver.send("alice", "/sondage --public --closes demain 18h Un marché le dimanche ? | Oui | Non")
    await driver.send("alice", "/modifier_sondage 1")
    shown = last(driver).text
    assert "Pour corriger le sondage n° 1, renvoyez-le tel qu'il doit se lire" in shown
    line = next(line for line in shown.splitlines() if line.startswith("/modifier_sondage 1 "))
    assert "2026-11-27 18:00" in line and "--public" in line and "| Oui | Non" in line

    await driver.send("alice", line.replace("dimanche", "samedi"))
    assert "Le sondage n° 1 est corrigé : question." in last(driver)
    card = driver.messages("square")[0]
    assert "Un marché le samedi ?" in card and "vote public" in card
    assert "Clôture le vendredi 27 novembre à 18 h 00" in card, "what was copied is kept"

    await driver.send("alice", "/modifier_sondage 1 Un marché le samedi ? | Oui | Non")
    told = last(driver).text
    assert "Le sondage n° 1 est corrigé : réglages, date de clôture." in told
    assert "Il n'a plus de date de clôture." in told, "a deadline left out is said to be gone"
    await driver.app.deadlines.sync()
    assert closing_jobs(driver) == set()


async def test_only_the_organizers_of_its_community_may_correct_a_poll_and_bad_lines_change_nothing(driver):
    await driver.send("olivia", "/aide", chat="square")
    await driver.send("oscar", "/aide", chat="annex")
    await driver.send("olivia", POLL)
    await driver.send("bob", "/modifier_sondage 1 Piraté ? | Oui | Non")
    assert "seuls les organisateurs" in last(driver)
    await driver.send("oscar", "/modifier_sondage 1 Piraté ? | Oui | Non", chat="@oscar")
    assert last(driver, "@oscar").text == "Il n'y a pas de sondage n° 1."
    await driver.send("olivia", "/modifier_sondage Piraté ? | Oui | Non")
    assert "Indiquez d'abord le numéro du sondage" in last(driver)
    await driver.send("olivia", "/modifier_sondage 1 Une seule option ? | Oui")
    assert "au moins 2 options" in last(driver)
    await driver.send("olivia", "/modifier_sondage 1 Un marché le dimanche ? | Oui | Non")
    assert "Rien n'a changé" in last(driver)
    card = next(m for m in driver.messages("square") if "sondage n° 1" in m.text)
    assert "Un marché le dimanche ?" in card and not card.edited
    assert "corrigé :" not in texts(driver)
    assert await audited(driver, "poll.edit") == []
