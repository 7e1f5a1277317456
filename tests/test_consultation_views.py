"""How an organizer's request for a filtered view or a cross-tabulation is read: questions and answers named
in words, in either language, whatever the case and accents; every request that cannot be answered is
refused with what to type instead; an invitation's link carries the request whole."""

from __future__ import annotations

import pytest

from bench.results import example_definition
from bot.consultations.views import (
    Crossed,
    Filtered,
    ViewError,
    ViewRequest,
    check,
    from_link,
    link,
    split,
    written,
)
from bot.i18n import translator
from storage.consultation_results import Condition

DEFINITION = example_definition()  # config/examples/place-du-marche.yaml
FR, EN = translator("fr"), translator("en")


def view_of(line: str, t=FR):
    target, request = split(line, t)
    assert target == "place-du-marche"
    return check(DEFINITION, request, t)


@pytest.mark.parametrize(
    ("line", "condition"),
    [
        ("place-du-marche --where transport=bike", Condition("transport", "==", "bike")),
        (
            "place-du-marche --filtre transport=velo",
            Condition("transport", "==", "bike"),
        ),  # a word of its text
        (
            "place-du-marche --filtre Transport = À VÉLO OU EN TROTTINETTE",
            Condition("transport", "==", "bike"),
        ),
        ('place-du-marche --filter "transport=By bike or scooter"', Condition("transport", "==", "bike")),
        ("place-du-marche --si 2≠2", Condition("transport", "!=", "bike")),  # numbers of the results
        ("place-du-marche --filtre pietonne=oui", Condition("pietonne", "==", "yes")),
        ("place-du-marche --where pietonne=No", Condition("pietonne", "==", "no")),
        ("place-du-marche --filtre satisfaction<=2", Condition("satisfaction", "<=", 2.0)),
        ("place-du-marche --filtre age ≥ 62,5", Condition("age", ">=", 62.5)),
        ("place-du-marche --filtre priorites=halle", Condition("priorites", "==", "halle")),
    ],
)
def test_a_filter_names_questions_and_answers_as_organizers_write_them(
    line: str, condition: Condition
) -> None:
    assert view_of(line) == Filtered(condition)


def test_a_cross_tabulation_names_two_questions_by_id_or_number() -> None:
    view = view_of("place-du-marche --croiser frequence 5")
    assert isinstance(view, Crossed)
    assert (view.row.id, view.column.id) == ("frequence", "pietonne")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("place-du-marche --filtre transport=avion", "« avion » n'est pas une des réponses à « transport »"),
        ("place-du-marche --filtre transport=en", "« en » n'est pas une des réponses"),  # in several texts
        ("place-du-marche --filtre frequence=daily --filtre pietonne=oui", "Un seul filtre à la fois"),
        (
            "place-du-marche --croiser frequence pietonne --croiser frequence transport",
            "Un tableau croisé à la",
        ),
        ("place-du-marche --filtre pietonne=oui --croiser frequence transport", "demandez-le sans --where"),
        ("place-du-marche --croiser frequence satisfaction", "« satisfaction » n'en est pas une"),
        ("place-du-marche --croiser priorites frequence", "« priorites » n'en est pas une"),
        ("place-du-marche --croiser frequence frequence", "deux questions différentes"),
        ("place-du-marche --croiser frequence", "Nommez deux questions après --cross"),
        ("place-du-marche --filtre idees=rien", "« idees » sont des textes libres"),
        ("place-du-marche --filtre transport>2", "gardez-en une avec = ou écartez-la avec !="),
        ("place-du-marche --filtre age=vieux", "« vieux » n'est pas un nombre"),
        ("place-du-marche --filtre age", "sous la forme QUESTION=RÉPONSE"),
        ("place-du-marche --filtre ages=3", "n'a pas de question « ages »"),
    ],
)
def test_a_request_that_cannot_be_answered_says_what_to_type(line: str, message: str) -> None:
    with pytest.raises(ViewError) as refused:
        view_of(line)
    assert message in refused.value.message


def test_the_refusals_speak_the_readers_language() -> None:
    with pytest.raises(ViewError) as refused:
        view_of("place-du-marche --where transport=plane", EN)
    assert refused.value.message == (
        "“plane” is not one of the answers to “transport”: walk (On foot), bike (By bike or scooter), "
        "car (By car), bus (By bus), other (Another way)."
    )


def test_the_arguments_without_a_flag_are_left_as_they_are_and_an_unknown_flag_is_refused() -> None:
    assert split(" 3 ", FR) == ("3", ViewRequest())
    assert split("place-du-marche --where a=b c", FR) == ("place-du-marche", ViewRequest(("a=b c",)))
    with pytest.raises(ViewError, match="n'est pas une option de /resultats"):
        split("place-du-marche --tri frequence", FR)
    with pytest.raises(ViewError, match="puis --where ou --cross"):
        split("place-du-marche pietonne --where a=b", FR)


@pytest.mark.parametrize(
    "line",
    [
        "place-du-marche --filtre satisfaction<=2",
        "place-du-marche --where transport=velo",
        "place-du-marche --cross 1 2",
    ],
)
def test_an_invitations_link_carries_the_request_whole(line: str) -> None:
    view = view_of(line)
    payload = link("place-du-marche", view)
    assert payload is not None and len(payload) <= 64 and payload.replace("_", "").replace("-", "").isalnum()
    assert view_of(from_link(payload.removeprefix("v_")) or "") == view
    assert written("place-du-marche", view) == from_link(payload.removeprefix("v_"))
