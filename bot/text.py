"""Text people type, in one form before anything stores, compares or shows it.

The same word can be written in ways that look identical: "Café" precomposed or as "e" plus a combining
accent, "Paris" with a zero-width space inside, "Marché" with a Cyrillic "а". Stored as typed, these
become two poll options that look the same, or a name that hides a right-to-left override turning what
follows backwards. So every text a person gives civicbot goes through :func:`clean` (or :func:`clean_name`
for names the platform hands over): NFC, invisible format characters removed, and control characters —
a NUL cannot even be stored by PostgreSQL — refused with a message rather than kept or dropped silently.
:func:`look_alike` finds two texts a reader could not tell apart, after case folding and Unicode's
confusable skeletons (UTS #39, from the `confusable_homoglyphs` data).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Final

from confusable_homoglyphs.confusables import confusables_data

from bot.i18n import Translator

ZERO_WIDTH_JOINER: Final = "\u200d"
LINE_BREAKS: Final = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})
ALLOWED_CONTROLS: Final = frozenset("\n\t\r\x85")
"""Line breaks and tabs: whitespace, turned into a space in one-line texts and kept in multi-line ones."""
INVISIBLE_LETTERS: Final = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0")
"""Characters that are not format characters (Cf) yet show nothing: fillers and joiners used for blank
names. Together with every Cf character — zero-width spaces and joiners (U+200B–U+200D, U+2060, U+FEFF),
bidi marks, embeddings, overrides and isolates (U+200E/F, U+061C, U+202A–U+202E, U+2066–U+2069), the soft
hyphen, tag characters — they are removed."""
_EMOJI_EXTENDERS: Final = frozenset("\ufe0f\ufe0e\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")


class TextRefused(ValueError):
    """The text holds a character that cannot be kept (a control character such as NUL): nothing is stored."""

    def __init__(self, character: str) -> None:
        self.code = f"U+{ord(character):04X}"
        super().__init__(f"control character {self.code}")

    def explain(self, t: Translator) -> str:
        return t._(
            "Your text contains an invisible control character ({code}) that cannot be kept. "
            "Please remove it and send the text again.",
            code=self.code,
        )


def _is_emoji(character: str) -> bool:
    return unicodedata.category(character) == "So"


def _joins_emoji(text: str, index: int) -> bool:
    """A zero-width joiner inside an emoji sequence (👨‍👩‍👧) is part of the picture: it stays."""
    before = text[:index].rstrip("".join(_EMOJI_EXTENDERS))
    return bool(before) and _is_emoji(before[-1]) and index + 1 < len(text) and _is_emoji(text[index + 1])


def _without_invisibles(text: str, *, refuse: bool) -> str:
    """NFC text without invisible characters; control characters raise TextRefused (or become spaces)."""
    if text.isascii() and text.isprintable():
        return text
    kept: list[str] = []
    for index, character in enumerate(text):
        category = unicodedata.category(character)
        if category in ("Cc", "Cs") and character not in ALLOWED_CONTROLS:
            if refuse:
                raise TextRefused(character)
            kept.append(" ")
        elif category == "Cf" or character in INVISIBLE_LETTERS:
            if character == ZERO_WIDTH_JOINER and _joins_emoji(text, index):
                kept.append(character)
        else:
            kept.append(character)
    return unicodedata.normalize("NFC", "".join(kept))


def clean(text: str, *, multiline: bool = False) -> str:
    """The text as civicbot keeps it: NFC, no invisible characters, no spaces at either end.

    One-line texts (a question, an option, a title) get every run of whitespace, line breaks included, as
    one space. Multi-line texts (a description, a free-text answer) keep their line breaks, all written
    ``\\n``, and tabs. Raises :class:`TextRefused` for any other control character.
    """
    text = _without_invisibles(text, refuse=True)
    if multiline:
        return text.replace("\r\n", "\n").translate(LINE_BREAKS).strip()
    return " ".join(text.split())


def visible(text: str) -> str:
    """The text without invisible or bidi characters, control characters as spaces, line breaks kept: for
    text on its way out, whatever its age (an adapter's last defence, never a refusal)."""
    return _without_invisibles(text, refuse=False)


def clean_name(text: str) -> str:
    """A name the platform gives (a display name, a group's title), on one line: it cannot be refused, so
    control characters become spaces."""
    return " ".join(visible(text).split())


def _prototype(character: str) -> str:
    """The character a look-alike stands for (Cyrillic "а" → "a"). ASCII stands for itself: an organizer
    who types "0" and "O", or "rn" and "m", means two things; look-alikes come from other alphabets."""
    if character.isascii():
        return character
    entries = confusables_data.get(character)
    if not entries or len(entries) > 1:  # none, or a prototype that several characters look like
        return character
    target: str = entries[0]["c"].strip("\u200e")  # right-to-left glyphs come wrapped in left-to-right marks
    back = confusables_data.get(target, ())
    if len(back) == 1 and back[0]["c"].strip("\u200e") == character:
        return min(character, target)  # two characters that look like each other: the same pick for both
    return target


def _skeleton(text: str) -> str:
    return unicodedata.normalize("NFD", "".join(map(_prototype, unicodedata.normalize("NFD", text))))


def comparison_key(text: str) -> str:
    """What a reader sees, for comparing: cleaned, case-folded, each look-alike replaced by what it looks
    like ("Mаrché" with a Cyrillic "а" and "MARCHÉ" have the same key)."""
    return _skeleton(_skeleton(clean_name(text)).casefold())


def look_alike(texts: Sequence[str]) -> tuple[int, int] | None:
    """The positions of the first two texts a reader could not tell apart, or None."""
    seen: dict[str, int] = {}
    for index, text in enumerate(texts):
        key = comparison_key(text)
        if key in seen:
            return seen[key], index
        seen[key] = index
    return None
