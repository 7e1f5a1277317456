"""After /forget, one submission per resident still holds without the link: a keyed pseudonym stands for the
resident in `participation`, and nothing else can be mistaken for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import consultations as store
from storage import consultations_personal_data
from storage.personal_data import Account, forgetting, participation_pseudonym, pseudonym
from storage.tables import Consultation, Participation

KEY = b"k" * 32
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DAVE = Account("console", "dave", "console:p:dave")


async def _consultation(db, slug: str, *, anonymous: bool) -> Consultation:
    row = Consultation(
        slug=slug,
        title=slug,
        definition="{}",
        source="",
        anonymous=anonymous,
        closes_at=NOW + timedelta(days=30),
        created_at=NOW,
    )
    return await store.save_consultation(db, row, actor="console:alice", now=NOW)


async def _answer(db, consultation: Consultation, user_id: str) -> None:
    await store.submit(
        db,
        consultation,
        platform="console",
        user_id=user_id,
        pieces=[store.AnswerPiece(question="age", number=40)],
        editing=None,
        erased_as=participation_pseudonym(KEY, consultation.id or 0, f"console:{user_id}"),
    )


async def test_after_forget_an_anonymous_consultation_still_refuses_a_second_submission(db):
    anonymous = await _consultation(db, "anonyme", anonymous=True)
    named = await _consultation(db, "nominative", anonymous=False)
    for consultation in (anonymous, named):
        await _answer(db, consultation, "dave")
    await _answer(db, anonymous, "bob")

    async def forget_dave(session):  # (what /forget runs for consultations)
        erased = await consultations_personal_data.erase(session, DAVE, KEY)
        return erased, erased.keys

    erased = await forgetting(db, forget_dave)

    assert erased.answers_withdrawn == 1, "his named answers to the open consultation"
    with pytest.raises(store.AlreadySubmitted):
        await _answer(db, anonymous, "dave")
    mark = participation_pseudonym(KEY, anonymous.id or 0, DAVE.identity)
    assert await store.has_participated(db, anonymous.id or 0, "console", "dave", erased_as=mark)
    await _answer(db, named, "dave")  # withdrawn, as if he had never answered: he may answer again
    await _answer(db, anonymous, "erin")  # nobody else is mistaken for him
    async with db.read() as session:
        assert await session.get(Participation, (anonymous.id, "console", "bob")) is not None


def test_a_pseudonym_is_stable_within_its_scope_and_unrelated_across_scopes_keys_and_people():
    mark = pseudonym(KEY, "participation:1", "console:dave")
    assert mark == pseudonym(KEY, "participation:1", "console:dave")
    others = {
        pseudonym(KEY, "participation:2", "console:dave"),
        pseudonym(b"j" * 32, "participation:1", "console:dave"),
        pseudonym(KEY, "participation:1", "console:davf"),
        pseudonym(KEY, "audit", "console:dave"),
    }
    assert mark not in others and len(others) == 4
    assert "dave" not in mark and len(mark) <= 64, "fits participation.user_id and names nobody"
