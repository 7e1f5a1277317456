"""What each status of a proposal is called, and the words /answer reads for the official ones."""

from __future__ import annotations

import unicodedata

from bot.i18n import Translator
from storage.proposals import (
    ACCEPTED,
    CHANGES,
    DECLINED,
    DONE,
    IN_PROGRESS,
    OPEN,
    PENDING,
    REJECTED,
    STUDYING,
)


def label(status: str, t: Translator) -> str:
    """The status as residents read it: « à l'étude », « retenue »…"""
    labels = {
        PENDING: t._("waiting for moderation"),
        CHANGES: t._("sent back for changes"),
        REJECTED: t._("rejected by the moderation"),
        OPEN: t._("open for support"),
        STUDYING: t._("under study"),
        ACCEPTED: t._("accepted"),
        DECLINED: t._("not accepted"),
        IN_PROGRESS: t._("in progress"),
        DONE: t._("done"),
    }
    return labels.get(status, status)


# The official answers, in the order /answer offers them, each with the words (French and English, without
# accents or case) that name it
WORDS: dict[str, tuple[str, ...]] = {
    STUDYING: ("a l'etude", "etude", "a letude", "under study", "study", "studying"),
    ACCEPTED: ("retenue", "retenu", "accepted", "accept"),
    DECLINED: ("non retenue", "non retenu", "not accepted", "declined", "decline"),
    IN_PROGRESS: ("en cours", "in progress", "progress"),
    DONE: ("realisee", "realise", "done"),
}


def _plain(text: str) -> str:
    """Lower case, no accents, one space between words, straight apostrophes."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("’", "'").replace("_", " "))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def answer_named(words: str) -> str | None:
    """The official status these words name (« non retenue », "in progress", "etude"…), or None."""
    plain = _plain(words)
    return next((status for status, names in WORDS.items() if plain in names), None)
