"""Consultations from residents' and organizers' point of view: one question at a time in private."""

from __future__ import annotations

from datetime import timedelta

from storage import consultations as store
from tests.drivers.base import last, texts
from tests.scenarios.consultation_fixture import SOURCE, with_changes


async def import_and_launch(driver, source: str = SOURCE, *, chats=("square",)) -> None:
    await driver.upload("alice", "place.yaml", source.encode(), chat="@alice")
    assert "Consultation importée" in last(driver, "@alice")
    for chat in chats:
        await driver.send("alice", "/launch place-test", chat=chat)
        assert "Participer" in last(driver, chat).buttons


async def answer_all(
    driver, person: str, *, via: str = "square", arbres: str = "Non", satisfaction: str = "4"
):
    """A quick, complete set of answers (no branch taken unless asked)."""
    await driver.press(person, "Participer", chat=via)
    me = f"@{person}"
    await driver.press(person, "Chaque semaine", chat=me)
    await driver.press(person, arbres, chat=me)
    if arbres == "Oui":
        await driver.press(person, "Tilleul", chat=me)
        await driver.press(person, "Valider", chat=me)
    await driver.press(person, satisfaction, chat=me)
    if int(satisfaction) <= 2:
        await driver.press(person, "Passer", chat=me)
    await driver.press(person, "Ombre", chat=me)
    await driver.press(person, "Bancs", chat=me)
    await driver.press(person, "Passer", chat=me)
    await driver.press(person, "Passer", chat=me)
    await driver.press(person, "Envoyer mes réponses", chat=me)
    assert "Vos réponses sont enregistrées." in texts(driver, me)


async def test_a_resident_answers_one_question_at_a_time_with_branching_skipping_and_a_refused_answer(driver):
    await import_and_launch(driver)
    await driver.press("bob", "Participer")
    bob = "@bob"
    assert "Réaménagement de la place" in texts(driver, bob)
    assert "6 à 8 questions" in last(driver), "two questions hide behind conditions"
    assert "Question 1 · encore 5 à 7" in texts(driver, bob)
    await driver.press("bob", "Tous les jours", chat=bob)
    assert "Faut-il planter des arbres ?" in last(driver, bob)
    await driver.press("bob", "Oui", chat=bob)
    assert "Quelles essences ?" in last(driver, bob), "shown only to those who want trees"
    assert "Question 3 · encore 4 à 5" in last(driver, bob)
    for tree in ("Tilleul", "Platane", "Érable"):
        await driver.press("bob", tree, chat=bob)
    refusal = await driver.press("bob", "Valider", chat=bob)
    assert refusal is not None and "2" in refusal
    assert "Quelles essences ?" in last(driver, bob), "a refused answer asks the question again"
    await driver.press("bob", "✓ Érable", chat=bob)
    await driver.press("bob", "Valider", chat=bob)
    await driver.press("bob", "2", chat=bob)
    assert "Qu'est-ce qui vous déplaît ?" in last(driver, bob), "shown when satisfaction is 2 or less"
    await driver.send("bob", "Trop de voitures <garées> & pas d'ombre", chat=bob)
    assert "Classez vos priorités" in last(driver, bob)
    await driver.press("bob", "Ombre", chat=bob)
    await driver.press("bob", "Annuler le classement", chat=bob)
    await driver.press("bob", "Bancs", chat=bob)
    await driver.press("bob", "Ombre", chat=bob)
    assert "Quel âge avez-vous ?" in texts(driver, bob)
    for refused in ("cent-vingt-et-un", "130"):
        before = len(driver.messages(bob))
        await driver.send("bob", refused, chat=bob)
        answer = "\n".join(m.text for m in driver.messages(bob)[before:])
        assert "Quel âge avez-vous ?" in answer, f"{refused!r} is refused and the question asked again"
    await driver.send("bob", "47", chat=bob)
    await driver.press("bob", "Passer", chat=bob)
    summary = last(driver, bob)
    assert "Récapitulatif" in summary
    assert "Tilleul, Platane" in summary
    assert "1. Bancs, 2. Ombre" in summary
    assert "47" in summary
    await driver.press("bob", "Envoyer mes réponses", chat=bob)
    assert "Vos réponses sont enregistrées." in texts(driver, bob)
    assert "Merci pour votre participation !" in texts(driver, bob)


async def test_going_back_shows_the_previous_question_and_lets_the_resident_change_it(driver):
    await import_and_launch(driver)
    await driver.press("carol", "Participer")
    await driver.press("carol", "Rarement", chat="@carol")
    await driver.press("carol", "← Précédent", chat="@carol")
    question = last(driver, "@carol")
    assert "À quelle fréquence venez-vous sur la place ?" in question
    assert "Rarement" in question, "the current answer is shown"
    await driver.press("carol", "Tous les jours", chat="@carol")
    assert "Faut-il planter des arbres ?" in last(driver, "@carol")


async def test_a_resident_resumes_after_a_restart_where_they_stopped(driver):
    await import_and_launch(driver)
    await driver.press("dave", "Participer")
    await driver.press("dave", "Chaque semaine", chat="@dave")
    await driver.restart()
    await driver.send("dave", "/consult place-test", chat="@dave")
    assert "Reprenons" in texts(driver, "@dave")
    assert "Faut-il planter des arbres ?" in last(driver, "@dave")


async def test_one_submission_per_resident_and_an_anonymous_one_changes_through_its_receipt(driver):
    await import_and_launch(driver)
    await answer_all(driver, "bob")
    await driver.send("bob", "/consult place-test", chat="@bob")
    assert "déjà répondu" in last(driver, "@bob")
    await driver.send("carol", "/langue", chat="@carol")  # carol has a message with buttons in private
    forwarded = await driver.press_raw(
        "carol", driver.button_action("Modifier mes réponses", chat="@bob"), chat="@carol"
    )
    assert forwarded == "Ces réponses sont introuvables.", "a receipt works for its owner only"
    assert "Récapitulatif" not in texts(driver, "@carol")
    await driver.press("bob", "Modifier mes réponses", chat="@bob")
    assert "Récapitulatif" in last(driver, "@bob")
    await driver.press("bob", "Retour au début", chat="@bob")
    for label in ("Rarement", "Non", "4", "Ombre", "Bancs", "Passer", "Passer", "Envoyer mes réponses"):
        await driver.press("bob", label, chat="@bob")
    await driver.send("alice", "/results place-test", chat="@alice")
    assert "1 réponse récente sera comptée à la clôture" in texts(driver, "@alice"), "it waits, sealed"
    driver.clock.advance(timedelta(days=30))
    await driver.settle()
    results = texts(driver, "square")
    assert "1 habitant a participé." in results
    assert "Rarement : 1" in results.replace("\u202f", " ").replace("\xa0", " "), "the changed answers"


async def test_a_consultation_launched_in_two_communities_has_one_set_of_results_posted_at_closing(driver):
    await import_and_launch(driver, chats=("square", "annex"))
    await answer_all(driver, "bob", via="square")
    await answer_all(driver, "carol", via="annex", arbres="Oui")
    driver.clock.advance(timedelta(days=30))
    await driver.settle()
    for chat in ("square", "annex"):
        posted = texts(driver, chat)
        assert "Réaménagement de la place" in posted and "2 habitants ont participé." in posted, chat
    await driver.press("dave", "Participer", chat="square")
    assert "close" in texts(driver, "@dave")


async def test_outside_its_window_the_bot_says_when_it_opens(driver):
    await import_and_launch(driver, with_changes(opens='"2026-12-01 09:00"'))
    await driver.press("bob", "Participer")
    assert "ouvre le mardi 1 décembre à 9 h 00" in last(driver, "@bob")


async def test_a_file_with_errors_is_refused_with_every_problem_and_its_line(driver):
    broken = SOURCE.replace("type: scale", "type: slider").replace("max_choices: 2", "max_choices: 9")
    await driver.upload("alice", "place.yaml", broken.encode(), chat="@alice")
    answer = last(driver, "@alice").text
    assert "rien n'a été enregistré" in answer
    assert "ligne 25" in answer and "ligne 23" in answer
    assert "slider" in answer and "max_choices" in answer
    await driver.send("alice", "/consultations", chat="@alice")
    assert "place-test" not in last(driver, "@alice")


async def test_a_resident_cannot_import_or_launch(driver):
    await driver.upload("bob", "place.yaml", SOURCE.encode(), chat="@bob")
    assert "seuls les organisateurs" in last(driver, "@bob")
    await driver.send("bob", "/launch place-test")
    assert "seuls les organisateurs" in last(driver)


async def test_an_anonymous_receipt_still_opens_the_answers_after_a_restart_and_once_written_in_a_batch(
    driver,
):
    """The receipt finds the answers while they wait sealed, across a restart (the key store outlives the
    process), and after a batch wrote them in clear with a fresh pseudonym."""
    await import_and_launch(driver)
    await answer_all(driver, "bob")
    await driver.restart()
    await driver.press("bob", "Modifier mes réponses", chat="@bob")
    summary = last(driver, "@bob")
    assert "Récapitulatif" in summary and "Chaque semaine" in summary
    await driver.press("bob", "Envoyer mes réponses", chat="@bob")
    consultation = await store.by_slug(driver.app.db, "place-test")
    assert consultation is not None and consultation.id is not None
    assert await store.flush_submissions(driver.app.db, consultation.id, everything=True) == 1, "a batch"
    await driver.restart()
    await driver.press("bob", "Modifier mes réponses", chat="@bob")
    summary = last(driver, "@bob")
    assert "Récapitulatif" in summary and "Chaque semaine" in summary, "found in clear by its receipt"
    await driver.press("bob", "Retour au début", chat="@bob")
    for label in ("Rarement", "Non", "4", "Ombre", "Bancs", "Passer", "Passer", "Envoyer mes réponses"):
        await driver.press("bob", label, chat="@bob")
    driver.clock.advance(timedelta(days=30))
    await driver.settle()
    results = texts(driver, "square").replace("\u202f", " ").replace("\xa0", " ")
    assert "1 habitant a participé." in results and "Rarement : 1" in results, (
        "the change, applied at the close"
    )
