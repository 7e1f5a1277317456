"""Is a text in one language? A stop-word heuristic shared by the catalog's check (tests/test_translations.py)
and the replies' (tests/test_one_language.py).

A French text must contain none of the English words below that French does not also write, and an English
text none of the French ones. Set aside first: command names (`/poll`), option flags (`--closes`),
placeholders (`{when}`), identifiers (`at_least`, `console:bob`), web addresses, and the proper nouns the
tests' data names (a street of the example consultation, its id, the console's community).
"""

from __future__ import annotations

import re

# Short words French writes too ("a", "on", "or", "an", "son", "se") are left out, and so are "no" and "yes",
# the ids of a yes/no question's answers.
_ENGLISH_WORDS = (
    "the and with your you this is are not has have was were for from will which of to it its be been by "
    "at if there here please only when what who can cannot should would their they them than then but"
)
ENGLISH = frozenset(_ENGLISH_WORDS.split())
_FRENCH_WORDS = (
    "le la les de des du et est vous votre vos une pour avec dans sur pas qui que au aux ce cette sont "
    "été où être ont mais leur nous ne plus déjà demain hier lundi mardi mercredi jeudi vendredi samedi "
    "dimanche"
)
FRENCH = frozenset(_FRENCH_WORDS.split())
SET_ASIDE = re.compile(
    r"Rue des Écoles|place-du-marche|Place du village"
    r"|(?<![\w/])/[a-z_]+|--[a-z-]+|\{[^{}]*\}|\b[a-z]+_[a-z_]+\b|\b[a-z]+:[\w@.-]+|https?://\S+"
)


def foreign_words(text: str, language: str) -> set[str]:
    """The words of `text` that belong to the other language only (`language` is the one it should be in)."""
    words = set(re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", SET_ASIDE.sub(" ", text).lower()))
    return words & (ENGLISH if language == "fr" else FRENCH)
