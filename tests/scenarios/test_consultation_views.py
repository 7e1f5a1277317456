"""Filtered views and cross-tabulations: an organizer asks for them in words (`/resultats ID --filtre Q=R`,
`--croiser Q1 Q2`) and reads them in private, with the small-group rule applied and said; residents and
requests that cannot be answered get a clear answer."""

from __future__ import annotations

from datetime import timedelta

from tests.drivers.base import last, texts
from tests.scenarios.test_consultations import answer_all, import_and_launch
from tests.scenarios.test_micro_polls import normalized

WANT_TREES = ("bob", "carol", "dave", "erin", "frank")
NO_TREES = ("gina",)
WITHHELD = "moins de 5 personnes : masqué"


async def answered_and_closed(driver) -> None:
    """Five residents want trees, one does not; then the consultation closes."""
    await import_and_launch(driver)
    for person in WANT_TREES:
        await answer_all(driver, person, arbres="Oui")
    for person in NO_TREES:
        await answer_all(driver, person)
    driver.clock.advance(timedelta(days=30))
    await driver.settle()


async def test_an_organizer_filters_and_crosses_the_results_in_private_and_small_groups_are_withheld(driver):
    await answered_and_closed(driver)
    before = len(driver.messages("square"))
    await driver.send("alice", "/resultats place-test --filtre arbres=oui")
    assert len(driver.messages("square")) == before + 1, "one short line in the group, the view in private"
    assert "envoyés en conversation privée" in last(driver)
    view = normalized(last(driver, "@alice").text)
    assert "Seulement les habitants qui ont répondu « Oui » à « Faut-il planter des arbres ? »" in view
    assert "5 habitants ont participé." in view
    assert "Tilleul : 5 (100 %)" in view and "Non : 0 (0 %)" in view
    assert "Moins de 5 personnes : masqué" in view, "the rule is said"

    await driver.send("alice", "/resultats place-test --filtre ARBRES=non", chat="@alice")
    view = normalized(last(driver, "@alice").text)
    assert "Ce groupe compte moins de 5 habitants" in view and "habitants ont participé" not in view

    await driver.send("alice", "/resultats place-test --filtre frequence=chaque SEMAINE", chat="@alice")
    assert "6 habitants ont participé." in normalized(last(driver, "@alice").text), "by label, any case"

    await driver.send("alice", "/resultats place-test --croiser arbres frequence", chat="@alice")
    table = normalized(last(driver, "@alice").text)
    assert table.startswith("Tableau croisé : Réaménagement de la place")
    assert "Oui — 5 habitants" in table and "Chaque semaine : 5 (100 %)" in table
    assert f"Non — {WITHHELD}" in table, "one resident: their answer is not shown"
    assert "Chaque semaine : 1" not in table


async def test_a_view_asked_for_in_the_group_opens_in_private_in_one_tap(driver):
    await import_and_launch(driver)
    await driver.send("olivia", "/resultats place-test --filtre arbres=oui")  # the bot may not write first
    assert "Ouvrir la conversation privée" in last(driver).buttons
    await driver.press("olivia", "Ouvrir la conversation privée")
    view = normalized(texts(driver, "@olivia"))
    assert "Seulement les habitants qui ont répondu « Oui » à « Faut-il planter des arbres ? »" in view
    assert "Ce groupe compte moins de 5 habitants" in view


async def test_residents_and_requests_that_cannot_be_answered_get_a_clear_answer(driver):
    await import_and_launch(driver)
    await driver.send("bob", "/resultats place-test --filtre arbres=oui")
    assert "réservés à ses organisateurs" in last(driver)
    assert not driver.messages("@bob") or "Seulement" not in texts(driver, "@bob")

    for request, answer in (
        ("--filtre arbre=oui", "Cette consultation n'a pas de question « arbre »"),
        ("--filtre arbres=peut-être", "« peut-être » n'est pas une des réponses à « arbres » : Oui, Non."),
        ("--filtre pourquoi=rien", "Les réponses à « pourquoi » sont des textes libres"),
        ("--croiser satisfaction arbres", "et « satisfaction » n'en est pas une"),
        ("--filtre satisfaction=beaucoup", "« beaucoup » n'est pas un nombre"),
    ):
        await driver.send("alice", f"/resultats place-test {request}", chat="@alice")
        assert answer in normalized(last(driver, "@alice").text), request
