"""Which proposals look alike: the same idea in other words (plurals, accents, small words, order) is
found; two ideas that share one common word are not."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.proposals.similar import alike, normalized
from storage.tables import Proposal

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def proposal(number: int, title: str) -> Proposal:
    return Proposal(id=number, community_id=1, title=title, description="", status="open", created_at=NOW)


def test_a_title_is_compared_by_the_words_that_carry_its_meaning():
    assert normalized("Des BANCS sous les Tilleuls !") == "banc tilleul"
    assert normalized("Réparer l'éclairage de la rue") == normalized("reparer eclairage rue")


def test_the_same_idea_in_other_words_is_found_and_different_ideas_are_not():
    candidates = [
        (proposal(1, "Des bancs place du marché"), 40),
        (proposal(2, "Installer un banc sous les tilleuls"), 3),
        (proposal(3, "Une boîte à livres"), 12),
        (proposal(4, "Plus de bancs au parc du tilleul"), 8),
        (proposal(5, "Banque alimentaire"), 30),
    ]
    found = alike("Un banc sous le tilleul", candidates)
    assert [p.id for p, _ in found] == [4, 2], "equally close: the most supported first"


def test_at_most_three_are_shown_the_closest_then_the_most_supported_first():
    candidates = [(proposal(n, "Un composteur partagé"), n) for n in range(1, 6)]
    assert [p.id for p, _ in alike("Composteurs partagés", candidates)] == [5, 4, 3]
    assert alike("Le la les", candidates) == [], "a title of small words alone matches nothing"
