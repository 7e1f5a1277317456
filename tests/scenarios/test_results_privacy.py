"""Results and privacy: interim results reach organizers only, in private; small groups are protected; a group
gets the same results at most once an hour; results kept from the communities go to organizers at the close;
every interim read and every export is in the audit log."""

from __future__ import annotations

from datetime import timedelta

from storage import audit
from tests.drivers.base import last, texts
from tests.scenarios.consultation_fixture import with_changes
from tests.scenarios.test_consultations import answer_all, import_and_launch
from tests.scenarios.test_micro_polls import normalized

FEWER = "moins de 5 réponses"
WAITING = "2 réponses récentes seront comptées à la clôture"  # anonymous: mixed in batches of 5 at least


async def answer_with_age(driver, person: str, age: str) -> None:
    """Quick answers, the optional age included."""
    await driver.press(person, "Participer")
    me = f"@{person}"
    for label in ("Tous les jours", "Non", "4", "Ombre", "Bancs"):
        await driver.press(person, label, chat=me)
    await driver.send(person, age, chat=me)
    await driver.press(person, "Passer", chat=me)
    await driver.press(person, "Envoyer mes réponses", chat=me)
    assert "Vos réponses sont enregistrées." in texts(driver, me)


async def accesses(driver) -> list[tuple[str, str, str, object]]:
    """The audit log's reads of interim results and exports: who, what, which consultation, when."""
    return [
        (entry.actor, entry.action, entry.object_id, entry.at)
        for entry in await audit.entries(driver.app.db)
        if entry.action in ("consultation.results.read", "consultation.export")
    ]


def chart_of(driver, chat: str, question: str) -> str:
    """The text alternative of the latest chart of `question` posted in `chat`."""
    return next(m.text for m in reversed(driver.messages(chat)) if m.files and question in m.text)


async def test_interim_results_go_to_organizers_in_private_audited_and_small_figures_are_withheld(driver):
    await import_and_launch(driver)
    await answer_with_age(driver, "bob", "42")
    await answer_all(driver, "carol")
    before = len(driver.messages("square"))

    await driver.send("bob", "/resultats place-test")
    assert "seront publiés à sa clôture, dimanche 20 décembre à 18 h 00." in last(driver), "said when"
    await driver.send("alice", "/resultats place-test")
    said = driver.messages("square")[before:]
    assert len(said) == 2, "a resident's refusal and one short line: no result in the group"
    assert "réservés aux organisateurs" in said[-1] and "envoyés en conversation privée" in said[-1]
    private = normalized(texts(driver, "@alice"))
    assert WAITING in private, "two answers wait, sealed, for a batch of at least 5 residents"
    assert "0 habitant a participé." in private, "so no figure comes from them yet"
    assert "Ces résultats ne sont pas publics" in private
    assert "moyenne" not in private and "42" not in private

    await driver.send("olivia", "/resultats place-test")  # the bot may not write to her first
    assert "Ouvrir la conversation privée" in last(driver).buttons
    assert WAITING not in normalized(texts(driver))
    await driver.press("olivia", "Ouvrir la conversation privée")
    assert WAITING in normalized(texts(driver, "@olivia"))

    await driver.send("alice", "/export place-test", chat="@alice")
    assert any(m.files for m in driver.messages("@alice")[-2:])
    alice, olivia, now = driver.identity("alice"), driver.identity("olivia"), driver.clock.now()
    assert await accesses(driver) == [
        (alice, "consultation.results.read", "1", now),
        (olivia, "consultation.results.read", "1", now),
        (alice, "consultation.export", "1", now),
    ]

    driver.clock.advance(timedelta(days=30))  # closed: public results, small figures still withheld
    await driver.settle()
    closing = normalized(texts(driver))
    assert "2 habitants ont participé." in closing and FEWER in closing and "moyenne" not in closing
    assert "Chaque semaine : 1 (50 %)" in closing and WAITING not in closing, "every answer, counted"
    # 1 age and 2 satisfactions: "1 réponse · moyenne 42 · médiane 42" would give Bob's age
    assert "42" not in closing
    scale_chart = normalized(chart_of(driver, "square", "Êtes-vous satisfait"))
    assert FEWER in scale_chart and "4 : 2 (100 %)" not in scale_chart and "médiane" not in scale_chart
    before = len(driver.messages("square"))
    await driver.send("dave", "/resultats place-test")
    reposted = driver.messages("square")[before:]
    assert "2 habitants ont participé." in reposted[0] and any(m.files for m in reposted)
    driver.clock.advance(timedelta(minutes=59))
    await driver.send("bob", "/resultats place-test")
    assert len(driver.messages("square")) == before + len(reposted) + 1, "one line, not results and charts"
    assert "Ces résultats ont été publiés ici à 10 h 00, juste au-dessus." in last(driver)
    assert last(driver).quote == reposted[0].text.splitlines()[0], "pointing to the results posted"
    await driver.send("alice", "/resultats place-test", chat="@alice")
    assert len(await accesses(driver)) == 3, "once closed, reading the results is not an interim read"


async def test_a_poll_is_reposted_in_a_group_at_most_once_an_hour_and_in_private_at_will(driver):
    await driver.send("alice", "/poll Un marché le dimanche ? | Oui | Non")
    await driver.press("bob", "Oui")
    await driver.send("bob", "/results 1")
    assert "Oui : 1 (100 %)" in normalized(last(driver).text)
    driver.clock.advance(timedelta(minutes=20))
    before = len(driver.messages("square"))
    await driver.send("carol", "/resultats 1")
    assert len(driver.messages("square")) == before + 1
    assert last(driver).text.startswith("Ces résultats ont été publiés ici à 10 h 00, juste au-dessus.")
    assert last(driver).quote == "Résultats du sondage n° 1 (en cours)", "pointing to the results posted"
    await driver.send("carol", "/results 1", chat="@carol")
    await driver.send("carol", "/results 1", chat="@carol")
    assert normalized(texts(driver, "@carol")).count("Oui : 1 (100 %)") == 2, "no limit in private"
    driver.clock.advance(timedelta(minutes=40))  # 11:00: an hour after the first posting
    await driver.send("carol", "/resultats 1")
    assert "Oui : 1 (100 %)" in normalized(last(driver).text)


async def test_without_public_results_the_communities_learn_only_how_many_took_part(driver):
    await import_and_launch(driver, with_changes(results_public="false"), chats=("square", "annex"))
    await answer_all(driver, "bob", via="square")
    await answer_all(driver, "carol", via="annex")
    driver.clock.advance(timedelta(days=30))
    await driver.settle()
    for chat in ("square", "annex"):
        closing = last(driver, chat)
        assert (
            "La consultation « Réaménagement de la place » est close ; 2 habitants ont participé." in closing
        )
        assert "Chaque semaine" not in texts(driver, chat), chat
        assert not any(m.files for m in driver.messages(chat)), "no chart in the communities"
    private = normalized(texts(driver, "@alice"))  # the author, and a global admin
    assert "Ces résultats ne sont pas publics" in private and "Chaque semaine : 2 (100 %)" in private
    assert any(m.files for m in driver.messages("@alice"))
    await driver.send("dave", "/resultats place-test")
    assert "Les résultats de cette consultation ne sont pas publics." in last(driver)


async def test_a_poll_with_private_results_shows_its_tally_only_to_organizers(driver):
    await driver.send("alice", "/start", chat="@alice")
    await driver.send("alice", "/poll --private-results Budget participatif ? | Parc | Piste cyclable")
    await driver.press("bob", "Parc")
    await driver.press("carol", "Piste cyclable")
    card = last(driver).text
    assert "Parc :" not in card and "2 votants" in card and "seulement aux organisateurs" in card

    await driver.send("bob", "/resultats 1")
    assert "Les résultats de ce sondage sont réservés à ses organisateurs." in last(driver)
    await driver.send("alice", "/resultats 1")
    assert "réservés aux organisateurs" in last(driver) and "Parc :" not in last(driver).text
    assert "Parc : 1 (50 %)" in normalized(last(driver, "@alice").text)

    await driver.send("alice", "/close")
    closed_card = driver.messages("square")[0]
    assert "Sondage clos" in closed_card and "2 votants" in closed_card and "Parc :" not in closed_card
    announcement = last(driver).text
    assert "Le sondage n° 1 est clos." in announcement and "2 votants" in announcement
    assert "Parc :" not in texts(driver)
    final = normalized(last(driver, "@alice").text)
    assert "Le sondage n° 1 est clos." in final and "Piste cyclable : 1 (50 %)" in final
