"""What civicbot does to the text people type before storing, comparing or showing it (bot/text.py)."""

from __future__ import annotations

import pytest

from bot.i18n import translator
from bot.inbound import ChatRef, Command, Person
from bot.text import TextRefused, clean, clean_name, comparison_key, look_alike


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("cafe\u0301", "café"),  # NFD becomes NFC
        ("Pa\u200bris", "Paris"),  # zero-width space
        ("Pa\u200c\u200d\u2060\ufeffris", "Paris"),  # zero-width non-joiner, joiner, word joiner, BOM
        ("\u202eevil\u202c txt", "evil txt"),  # right-to-left override and its pop
        ("a\u2066b\u2067c\u2068d\u2069e\u200ef\u200fg\u061ch", "abcdefgh"),  # isolates and marks
        ("soft\u00adhyphen", "softhyphen"),
        ("\u3164", ""),  # a Hangul filler: a blank that is not a space
        ("  several   spaces\tand\nlines  ", "several spaces and lines"),
        ("👨\u200d👩\u200d👧 Familles", "👨\u200d👩\u200d👧 Familles"),  # an emoji sequence keeps its joiners
        ("Fête « apéro » 🎉 <b>&</b>", "Fête « apéro » 🎉 <b>&</b>"),
    ],
)
def test_one_line_text_is_normalized_and_loses_invisible_characters(typed, kept):
    assert clean(typed) == kept


def test_multi_line_text_keeps_its_lines_and_tabs_written_one_way():
    assert clean(" premier\r\nsecond\rtroisième\u2028quatrième\n\tindenté \n", multiline=True) == (
        "premier\nsecond\ntroisième\nquatrième\n\tindenté"
    )


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x0b", "\x1f", "\ud800"])
def test_control_characters_are_refused_with_their_code(character):
    with pytest.raises(TextRefused) as refused:
        clean(f"avant{character}après", multiline=True)
    code = f"U+{ord(character):04X}"
    assert refused.value.code == code
    assert code in refused.value.explain(translator("fr"))
    assert "caractère de contrôle" in refused.value.explain(translator("fr"))


def test_a_platform_name_is_never_refused_its_control_characters_become_spaces():
    assert clean_name("Bob\x00Le\u202eBricoleur\n") == "Bob LeBricoleur"
    assert Person("telegram", "1", "Ali\u200bce\u202e").display_name == "Alice"
    bob = Person("console", "bob", "Bob")
    event = Command(sender=bob, chat=ChatRef("console", "g"), chat_title="Pla\u200bce", name="x")
    assert event.chat_title == "Place"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Café", "cafe\u0301"),
        ("Paris", "Pa\u200bris"),
        ("Marché", "M\u0430rché"),  # Cyrillic small a
        ("Marché", "\u041carché"),  # Cyrillic capital em
        ("OUI", "oui"),
        ("Vélo", "ＶÉＬＯ"),  # fullwidth letters
        ("Option B", "Option \u0392"),  # Greek capital beta
    ],
)
def test_texts_a_reader_cannot_tell_apart_have_the_same_key(first, second):
    assert comparison_key(first) == comparison_key(second)
    assert look_alike(["Autre", first, second]) == (1, 2)


@pytest.mark.parametrize(
    ("first", "second"),
    [("Cafe", "Café"), ("O", "0"), ("Come", "Corne"), ("Salle 1", "Salle l"), ("Oui", "Oui !")],
)
def test_texts_that_read_differently_stay_different(first, second):
    assert look_alike([first, second]) is None
