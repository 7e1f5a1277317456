"""An organizer closes a consultation early or extends it; a resident finds the consultations open to them;
progress through conditional questions never goes back nor past what the invitation announced."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from storage import audit
from tests.drivers.base import last, texts
from tests.scenarios.consultation_fixture import SOURCE, with_changes
from tests.scenarios.test_community_scope import OTHER_COMMUNITY, meet_the_organizers
from tests.scenarios.test_consultations import answer_all, import_and_launch

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "examples" / "place-du-marche.yaml"
TITLE = "Réaménagement de la place"
CLOSED = "La consultation est close. Merci à toutes et à tous"
SATURDAY = '"2026-11-28 18:00"'  # two days after the drivers' start (Thursday 26 November, 10:00 in Paris)


async def audited(driver, action: str) -> list[tuple[str, str]]:
    return [(e.actor, e.detail) for e in await audit.entries(driver.app.db) if e.action == action]


async def consultation_jobs(driver) -> dict[str, datetime]:
    await driver.app.deadlines.sync()
    return {job: at for job, at in driver.app.deadlines.jobs().items() if job.startswith("consultation")}


def card(driver, chat: str = "square"):
    """The invitation card posted at the launch (the first message of the chat with a button)."""
    return next(m for m in driver.messages(chat) if m.buttons)


async def at(driver, instant: datetime) -> None:
    driver.clock.set(instant)
    await driver.settle()


# -- closing early -----------------------------------------------------------------------------------------


async def test_an_organizer_closes_a_consultation_early_exactly_as_its_deadline_would(driver):
    await import_and_launch(driver, with_changes(closes=SATURDAY))
    await answer_all(driver, "bob")  # anonymous: waits sealed for a batch
    await driver.send("alice", "/clore place-test", chat="@alice")
    assert (
        f"La consultation « {TITLE} » est close : ses résultats sont publiés là où elle a été lancée."
        in last(driver, "@alice")
    )
    results = texts(driver, "square").replace("\u202f", " ").replace("\xa0", " ")
    assert CLOSED in results and "1 habitant a participé." in results
    assert "Chaque semaine : 1" in results, "the sealed submission is counted, as at a deadline"
    assert await audited(driver, "consultation.close") == [(driver.identity("alice"), "")]
    assert await consultation_jobs(driver) == {}, "no close nor reminder left to run"

    posted = len(driver.messages("square"))
    await at(driver, datetime(2026, 11, 27, 17, 0, tzinfo=UTC))  # the day-before reminder's time
    await at(driver, datetime(2026, 11, 28, 17, 0, tzinfo=UTC))  # the deadline
    assert len(driver.messages("square")) == posted, "neither a reminder nor a second close"
    await driver.press("carol", "Participer")
    assert "Cette consultation est close" in last(driver, "@carol")


async def test_close_in_english_closes_a_consultation_and_a_number_still_closes_a_poll(driver):
    await import_and_launch(driver)
    await driver.send("alice", "/poll Un banc de plus ? | Oui | Non")
    await driver.send("alice", "/close place-test")
    assert f"La consultation « {TITLE} » est close" in texts(driver, "square")
    await driver.send("alice", "/close 1")
    assert "Le sondage n° 1 est clos." in last(driver)


async def test_closing_a_consultation_early_is_refused_clearly_to_those_it_is_not_for(driver):
    await meet_the_organizers(driver)
    await driver.upload("olivia", "place.yaml", SOURCE.encode(), chat="@olivia")
    await driver.send("olivia", "/lancer place-test", chat="square")
    await driver.send("bob", "/clore place-test")
    assert "Désolé, seuls les organisateurs peuvent utiliser /clore." in last(driver)
    for chat in ("annex", "@oscar"):
        await driver.send("oscar", "/clore place-test", chat=chat)
        assert OTHER_COMMUNITY in last(driver, chat)
    await driver.send("olivia", "/clore place-du-lavoir", chat="@olivia")
    assert "Il n'y a pas de consultation « place-du-lavoir »." in last(driver, "@olivia")
    assert CLOSED not in texts(driver, "square"), "nothing closed so far"

    await driver.send("olivia", "/clore place-test", chat="@olivia")
    await driver.send("olivia", "/clore place-test", chat="@olivia")
    assert f"La consultation « {TITLE} » est déjà close." in last(driver, "@olivia")
    assert texts(driver, "square").count(CLOSED) == 1


# -- extending ---------------------------------------------------------------------------------------------


async def test_an_extended_consultation_closes_at_its_new_deadline_and_its_reminders_follow_it(driver):
    await import_and_launch(driver, with_changes(closes=SATURDAY))
    assert "jusqu'au samedi 28 novembre à 18 h 00" in card(driver)
    await driver.send("carol", "/participer place-test", chat="@carol")  # started, not sent: reminded
    await driver.send("alice", "/prolonger place-test dans 4 jours", chat="@alice")
    assert (
        f"La consultation « {TITLE} » se clôt désormais le lundi 30 novembre à 10 h 00 "
        "(au lieu du samedi 28 novembre à 18 h 00)." in last(driver, "@alice")
    )
    invitation = card(driver)
    assert "jusqu'au lundi 30 novembre à 10 h 00" in invitation and invitation.edited, "the card shows it"
    assert "Participer" in invitation.buttons, "and still opens the private chat"
    assert await consultation_jobs(driver) == {
        "consultation-close:1": datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        "consultation-reminder:1:24h": datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
    }
    assert [actor for actor, _ in await audited(driver, "consultation.extend")] == [driver.identity("alice")]

    await at(driver, datetime(2026, 11, 27, 17, 0, tzinfo=UTC))  # the old deadline's reminder time
    await at(driver, datetime(2026, 11, 28, 17, 0, tzinfo=UTC))  # the old deadline
    assert "Rappel" not in texts(driver, "square") and CLOSED not in texts(driver, "square")
    await driver.press("bob", "Participer", chat="square")
    assert "Question 1" in last(driver, "@bob"), "still open"

    await at(driver, datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    assert "Rappel : la consultation « Réaménagement de la place » se clôt le lundi 30 novembre" in last(
        driver
    )
    assert "lundi 30 novembre" in last(driver, "@carol")
    await at(driver, datetime(2026, 11, 30, 8, 59, tzinfo=UTC))
    assert CLOSED not in texts(driver, "square"), "not a minute early"
    await at(driver, datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    assert CLOSED in texts(driver, "square")


async def test_a_consultation_extended_after_its_reminder_is_recalled_again_before_its_new_deadline(driver):
    await import_and_launch(driver, with_changes(closes=SATURDAY))
    await at(driver, datetime(2026, 11, 27, 17, 0, tzinfo=UTC))
    assert "se clôt le samedi 28 novembre" in last(driver)
    await driver.send("alice", "/prolonger place-test 2026-12-05 18:00", chat="@alice")
    await at(driver, datetime(2026, 12, 4, 17, 0, tzinfo=UTC))
    reminders = [m.text for m in driver.messages("square") if "Rappel" in m.text]
    assert len(reminders) == 2 and "se clôt le samedi 5 décembre" in reminders[-1]


async def test_extending_is_refused_for_a_date_not_later_or_unreadable_and_for_a_closed_consultation(driver):
    await meet_the_organizers(driver)
    await driver.upload("olivia", "place.yaml", with_changes(closes=SATURDAY).encode(), chat="@olivia")
    await driver.send("olivia", "/lancer place-test", chat="square")
    me = "@olivia"
    refusals = {
        "/prolonger place-test": "Dites jusqu'à quand, par exemple /prolonger place-test vendredi 18h.",
        "/prolonger place-test hier 18h": "La date « hier 18h » est déjà passée.",
        "/prolonger place-test vendredi 18h": "court déjà jusqu'au samedi 28 novembre à 18 h 00",
        "/prolonger place-test bientôt": "Je n'ai pas compris la date « bientôt ».",
        "/prolonger place-du-lavoir lundi": "Il n'y a pas de consultation « place-du-lavoir ».",
    }
    for command, refusal in refusals.items():
        await driver.send("olivia", command, chat=me)
        assert refusal in last(driver, me), command
    await driver.send("bob", "/prolonger place-test lundi 18h")
    assert "Désolé, seuls les organisateurs peuvent utiliser /prolonger." in last(driver)
    await driver.send("oscar", "/prolonger place-test lundi 18h", chat="@oscar")
    assert OTHER_COMMUNITY in last(driver, "@oscar")
    assert await audited(driver, "consultation.extend") == [], "nothing moved"
    assert "jusqu'au samedi 28 novembre à 18 h 00" in card(driver) and not card(driver).edited

    await driver.send("olivia", "/clore place-test", chat=me)
    await driver.send("olivia", "/prolonger place-test lundi 18h", chat=me)
    assert f"La consultation « {TITLE} » est close : elle ne peut plus être prolongée." in last(driver, me)


# -- a resident's list ---------------------------------------------------------------------------------------


async def test_a_resident_lists_the_consultations_open_to_them_and_answers_each_in_one_tap(driver):
    await driver.send("bob", "/aide", chat="square")  # bob is one of the square's residents
    await import_and_launch(driver)
    other = SOURCE.replace("place-test", "budget-test").replace(TITLE, "Budget participatif")
    await import_and_launch_elsewhere(driver, other, "budget-test", "annex")
    me = "@bob"

    await driver.send("bob", "/consultations", chat=me)
    listing = last(driver, me)
    assert "Les consultations ouvertes pour vous" in listing
    assert f"{TITLE} — jusqu'au dimanche 20 décembre à 18 h 00 — pas encore répondu" in listing
    assert "Budget participatif" not in listing, "launched in a community bob is not part of"
    await driver.press("bob", f"Répondre : {TITLE}", chat=me)
    assert "Question 1" in last(driver, me)
    await driver.press("bob", "Chaque semaine", chat=me)

    await driver.send("bob", "/consultations", chat=me)
    assert "réponses en cours" in last(driver, me)
    await driver.press("bob", f"Reprendre : {TITLE}", chat=me)
    assert "Faut-il planter des arbres ?" in last(driver, me), "where bob stopped"
    for label in ("Non", "4", "Ombre", "Bancs", "Passer", "Passer", "Envoyer mes réponses"):
        await driver.press("bob", label, chat=me)

    await driver.send("bob", "/consultations", chat="square")  # in the group: where bob stands is his own
    assert "pas encore répondu" not in texts(driver, "square")
    await driver.press("bob", "Ouvrir la conversation privée", chat="square")
    listing = last(driver, me)
    assert "vous avez participé (le bouton sous votre confirmation modifie vos réponses)" in listing
    assert listing.buttons == [], "an anonymous answer changes through its receipt only"


async def test_a_resident_with_nothing_open_is_told_where_consultations_come_from(driver):
    await import_and_launch(driver, with_changes(opens='"2026-12-01 09:00"'))  # not open yet
    await driver.send("carol", "/consultations", chat="@carol")
    assert "Aucune consultation ne vous est ouverte pour le moment." in last(driver, "@carol")
    await driver.send("alice", "/consultations", chat="@alice")
    assert "place-test" in last(driver, "@alice") and "pas encore ouverte" in last(driver, "@alice")


async def import_and_launch_elsewhere(driver, source: str, slug: str, chat: str) -> None:
    await driver.upload("alice", f"{slug}.yaml", source.encode(), chat="@alice")
    await driver.send("alice", f"/launch {slug}", chat=chat)
    assert "Participer" in last(driver, chat).buttons


# -- honest progress -----------------------------------------------------------------------------------------

PROGRESS = re.compile(r"Question \d+ · [^\n]+")


async def test_progress_through_the_example_never_goes_back_nor_past_what_the_invitation_announced(driver):
    await driver.upload("alice", "place-du-marche.yaml", EXAMPLE.read_bytes(), chat="@alice")
    await driver.send("alice", "/lancer place-du-marche")
    assert "7 à 10 questions" in last(driver), "three questions depend on earlier answers"
    await at(driver, datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # it opens
    await driver.press("bob", "Participer")
    me = "@bob"
    for label in ("Le samedi pour le marché", "À pied", "Valider", "2"):
        await driver.press("bob", label, chat=me)
    await driver.send("bob", "Trop de voitures", chat=me)
    for label in (
        "Oui",
        "Au parking de la gare (5 minutes à pied)",
        "Des bancs",
        "Une fontaine ou des jeux d'eau",
    ):
        await driver.press("bob", label, chat=me)
    await driver.press("bob", "Des terrasses de cafés", chat=me)
    await driver.press("bob", "Sur une partie de la place", chat=me)
    await driver.press("bob", "Passer", chat=me)
    assert "Une idée, une remarque" in last(driver, me)
    shown = list(dict.fromkeys(PROGRESS.findall(texts(driver, me))))
    assert shown == [
        "Question 1 · encore 6 à 9",
        "Question 2 · encore 6 à 8",
        "Question 3 · encore 5 à 7",
        "Question 4 · encore 5 à 6",
        "Question 5 · encore 4 à 5",
        "Question 6 · encore 4",
        "Question 7 · encore 3",
        "Question 8 · encore 2",
        "Question 9 · encore 1",
        "Question 10 · dernière question",
    ]
