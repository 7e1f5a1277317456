"""Proposals that look alike: before sending a proposal, its author sees up to three of the community's that
say much the same, and may support one instead (a crowd behind one idea reaches the threshold; three copies
of it may not).

Titles are compared as RapidFuzz's token-set ratio of their normalized words: case, accents and punctuation
gone, the small words of French (and English) left out, a final « s » or « x » dropped (« bancs » is
« banc »). A title made of another's words, in any order, with a few more, scores high; two titles sharing
one common word score low.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz

from storage.tables import Proposal

ALIKE = 70  # the score (out of 100) from which two titles say much the same
SHOWN = 3
_SMALL = (  # the small words of French and English, and verbs every proposal uses
    "le la les un une des de du au aux et en pour sur sous dans par avec ou que qui ce cet cette ces "
    "son sa ses leur leurs plus pas ne on nous il elle est sont etre faire mettre installer creer "
    "nouveau nouvelle nouveaux nouvelles the of to in on at for and a an new more "
)
SMALL_WORDS = frozenset(_SMALL.split())


def _word(word: str) -> str:
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def normalized(text: str) -> str:
    """The words that carry the meaning: « Des bancs sous les tilleuls ! » → « banc tilleul »."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    plain = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(_word(w) for w in plain.split() if w not in SMALL_WORDS and len(w) > 1)


def alike(title: str, candidates: Sequence[tuple[Proposal, int]]) -> list[tuple[Proposal, int]]:
    """Up to three of `candidates` (a proposal and its supports) whose titles say much the same as `title`,
    the closest first (then the most supported)."""
    wanted = normalized(title)
    if not wanted:
        return []
    scored = [
        (fuzz.token_set_ratio(wanted, normalized(proposal.title)), supports, proposal)
        for proposal, supports in candidates
    ]
    close = sorted((s for s in scored if s[0] >= ALIKE), key=lambda s: (-s[0], -s[1], s[2].id or 0))
    return [(proposal, supports) for _, supports, proposal in close[:SHOWN]]
