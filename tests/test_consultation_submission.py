"""Sending answers to a consultation, and changing them: exactly the visible answers are stored, in rows
shaped for the results; one submission per resident; an anonymous submission is linked to nobody, waits
sealed until a shuffled batch writes it, and is found again only through the receipt its resident holds; a
named one through its resident."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.consultations.service import Loaded
from bot.i18n import translator
from bot.replies import Notice, Send
from storage import consultations as store
from storage.state import load_conversation, save_conversation
from storage.tables import AnswerRow, ConsultationDraft, Participation, SealedSubmission, Submission
from tests.scenarios.consultation_fixture import SOURCE
from tests.standalone_engine import START, command, notices, press, private, said, standalone_engine

ANONYMOUS = SOURCE.replace(  # thanks in both languages
    'thanks: "Merci pour votre participation !"',
    'thanks:\n  fr: "Merci pour votre participation !"\n  en: "Thanks for your time!"',
)
NAMED = (  # thanks in French only, and a number that need not be whole
    SOURCE.replace("id: place-test", "id: place-nommee")
    .replace("anonymous: true", "anonymous: false")
    .replace("integer: true", "integer: false")
)
RECORDED = "Your answers are recorded."
KEEP_THIS = (
    "Your answers are anonymous: nothing in our database links them to you. Keep this message: its button "
    "is the only way to change them until the consultation closes."
)
COMPLETE = {
    "frequence": "chaque-semaine",
    "arbres": "yes",
    "essences": ["platane", "tilleul"],
    "satisfaction": 2,
    "pourquoi": "Trop de voitures",
    "priorites": ["ombre", "bancs"],
    "age": 42,
}
STORED = [  # (question, position, option, rank, number, text) of COMPLETE
    ("age", 0, None, None, 42.0, None),
    ("arbres", 0, "yes", None, None, None),
    ("essences", 0, "platane", None, None, None),
    ("essences", 1, "tilleul", None, None, None),
    ("frequence", 0, "chaque-semaine", None, None, None),
    ("pourquoi", 0, None, None, None, "Trop de voitures"),
    ("priorites", 0, "ombre", 1, None, None),
    ("priorites", 1, "bancs", 2, None, None),
    ("satisfaction", 0, None, None, 2.0, None),
]


@pytest.fixture
async def engine(tmp_path: Path) -> Any:
    async with standalone_engine(tmp_path) as engine:
        yield engine


async def consultation(engine: Any, source: str = ANONYMOUS) -> Loaded:
    row = await engine.consultations.import_source(source, t=translator("en"), actor="console:alice")
    loaded = await engine.consultations.get(row.id)
    assert loaded is not None
    return loaded


async def draft(engine: Any, loaded: Loaded, who: str, answers: dict[str, Any], **fields: Any) -> None:
    """Answers in progress, as the flow saves them question after question."""
    await store.save_draft(
        engine.db,
        ConsultationDraft(
            consultation_id=loaded.id,
            platform="console",
            user_id=who,
            answers=json.dumps(answers),
            updated_at=START,
            **fields,
        ),
    )
    await save_conversation(engine.db, "console", who, "consultation", {"cid": loaded.id}, START)


async def send(engine: Any, loaded: Loaded, who: str) -> list[Any]:
    return await engine.handle(press(engine.signer.sign("c", "send", loaded.id), who, chat=private(who)))


async def rows(engine: Any, submission_id: str) -> list[tuple[Any, ...]]:
    return [
        (r.question, r.position, r.option, r.rank, r.number, r.text)
        for r in await store.answers_of(engine.db, submission_id)
    ]


async def submissions(engine: Any, loaded: Loaded) -> list[Submission]:
    async with engine.db.read() as session:
        query = select(Submission).where(Submission.consultation_id == loaded.id)
        return list((await session.exec(query)).all())


async def waiting(engine: Any, loaded: Loaded) -> list[SealedSubmission]:
    async with engine.db.read() as session:
        query = select(SealedSubmission).where(SealedSubmission.consultation_id == loaded.id)
        return list((await session.exec(query)).all())


async def batch(engine: Any, loaded: Loaded) -> int:
    """Write every waiting submission in clear now, as the close does first."""
    return await store.flush_submissions(engine.db, loaded.id, everything=True)


async def participants(engine: Any, loaded: Loaded) -> list[str]:
    async with engine.db.read() as session:
        query = select(Participation.user_id).where(Participation.consultation_id == loaded.id)
        return sorted((await session.exec(query)).all())


def receipt_of(engine: Any, replies: list[Any]) -> str:
    """The secret behind the "Change my answers" button of the confirmation."""
    [confirmation] = [r for r in replies if isinstance(r, Send)]
    [[button]] = confirmation.buttons
    assert button.label == "Change my answers"
    fields = engine.signer.verify(button.action)
    assert fields is not None and fields[0] == "ce"
    return fields[1]


# --- sending ----------------------------------------------------------------------------------------------


async def test_an_anonymous_submission_stores_each_answer_as_rows_and_links_nobody(engine):
    loaded = await consultation(engine)
    await draft(engine, loaded, "bob", COMPLETE)

    replies = await send(engine, loaded, "bob")

    assert notices(replies) == ["Answers sent."]
    assert said(replies) == [f"{RECORDED}\n\nThanks for your time!\n\n{KEEP_THIS}"]
    assert [r.to for r in replies if isinstance(r, Send)] == [private("bob")]
    secret = receipt_of(engine, replies)
    assert len(secret) == 22, "128 random bits"
    assert await submissions(engine, loaded) == [], "nothing in clear from bob's own transaction"
    [sealed] = await waiting(engine, loaded)
    assert b"Trop de voitures" not in sealed.sealed and not sealed.edit
    assert await store.submission_count(engine.db, loaded.id) == 1, "counted while it waits"
    assert await batch(engine, loaded) == 1
    [submission] = await submissions(engine, loaded)
    assert submission.id != sealed.id, "a fresh pseudonym, unrelated to the waiting row"
    assert (submission.platform, submission.user_id) == (None, None)
    assert submission.receipt == hashlib.sha256(f"console:bob\n{secret}".encode()).hexdigest() != secret
    assert len(submission.id) == 12
    assert await rows(engine, submission.id) == STORED
    assert await participants(engine, loaded) == ["bob"], "that bob took part, and nothing more"
    assert await store.load_draft(engine.db, loaded.id, "console", "bob") is None, "the only link, erased"
    assert await load_conversation(engine.db, "console", "bob") is None

    await draft(engine, loaded, "carol", COMPLETE)
    await send(engine, loaded, "carol")
    await batch(engine, loaded)
    ids = {s.id for s in await submissions(engine, loaded)}
    assert len(ids) == 2 and submission.id in ids, "each submission has a pseudonym of its own"


async def test_answers_to_questions_the_resident_was_not_shown_are_not_stored(engine):
    loaded = await consultation(engine)
    answers = {
        **COMPLETE,
        "arbres": "no",
        "satisfaction": 4,
        "remarques": "Rien",
    }  # essences, pourquoi hidden
    await draft(engine, loaded, "bob", answers)
    await send(engine, loaded, "bob")
    await batch(engine, loaded)
    [submission] = await submissions(engine, loaded)
    assert {row[0] for row in await rows(engine, submission.id)} == {
        "age",
        "arbres",
        "frequence",
        "priorites",
        "remarques",
        "satisfaction",
    }


async def test_a_missing_answer_is_asked_again_and_nothing_is_stored(engine):
    loaded = await consultation(engine)
    await draft(engine, loaded, "bob", {k: v for k, v in COMPLETE.items() if k != "priorites"})
    replies = await send(engine, loaded, "bob")
    assert replies[0] == Notice(text="One question still needs an answer.", alert=True)
    assert any("Classez vos priorités" in text for text in said(replies)), "the question, asked again"
    saved = await store.load_draft(engine.db, loaded.id, "console", "bob")
    assert saved is not None and saved.current == "priorites"
    assert await submissions(engine, loaded) == [] and await participants(engine, loaded) == []
    assert await waiting(engine, loaded) == []


async def test_one_submission_per_resident(engine):
    loaded = await consultation(engine)
    await draft(engine, loaded, "bob", COMPLETE)
    await send(engine, loaded, "bob")
    await draft(engine, loaded, "bob", {**COMPLETE, "frequence": "rarement"})  # e.g. from another device
    replies = await send(engine, loaded, "bob")
    assert replies == [Notice(text="You have already answered this consultation.", alert=True)]
    assert await store.load_draft(engine.db, loaded.id, "console", "bob") is None
    assert await batch(engine, loaded) == 1
    [submission] = await submissions(engine, loaded)
    assert await rows(engine, submission.id) == STORED, "the first answers stand"


# --- changing ---------------------------------------------------------------------------------------------


async def reopen(engine: Any, secret: str, who: str = "bob") -> list[Any]:
    return await engine.handle(press(engine.signer.sign("ce", secret), who, chat=private(who)))


async def test_an_anonymous_submission_still_waiting_is_changed_through_its_receipt(engine):
    loaded = await consultation(engine)
    await draft(engine, loaded, "bob", COMPLETE)
    secret = receipt_of(engine, await send(engine, loaded, "bob"))
    [before] = await waiting(engine, loaded)

    opened = await reopen(engine, secret)

    assert notices(opened) == ["Your answers are open for changes."]
    assert any("Trop de voitures" in text for text in said(opened)), "the summary of the sealed answers"
    editing = await store.load_draft(engine.db, loaded.id, "console", "bob")
    hashed = hashlib.sha256(f"console:bob\n{secret}".encode()).hexdigest()
    assert editing is not None and (editing.editing, editing.current) == (hashed, None)
    rebuilt = json.loads(editing.answers)
    assert rebuilt == COMPLETE, "rebuilt from the sealed answers"
    assert [type(v) for v in rebuilt.values()] == [type(v) for v in COMPLETE.values()], (
        "whole numbers stay so"
    )
    assert await load_conversation(engine.db, "console", "bob") == ("consultation", {"cid": loaded.id})

    await draft(engine, loaded, "bob", {**COMPLETE, "frequence": "rarement"}, editing=hashed)
    replies = await send(engine, loaded, "bob")
    assert said(replies) == [
        f"{RECORDED}\n\nThanks for your time!\n\n"
        "The button under your first confirmation still lets you change them."
    ]
    assert [r.buttons for r in replies if isinstance(r, Send)] == [()], "no second receipt"
    [after] = await waiting(engine, loaded)
    assert after.id == before.id and after.sealed != before.sealed, "the same waiting row, sealed anew"
    assert await batch(engine, loaded) == 1
    [submission] = await submissions(engine, loaded)
    assert ("frequence", 0, "rarement", None, None, None) in await rows(engine, submission.id)
    assert len(await rows(engine, submission.id)) == len(STORED)
    assert await participants(engine, loaded) == ["bob"]


async def test_an_anonymous_submission_already_written_is_changed_through_its_receipt_and_keeps_its_pseudonym(
    engine,
):
    loaded = await consultation(engine)
    await draft(engine, loaded, "bob", COMPLETE)
    secret = receipt_of(engine, await send(engine, loaded, "bob"))
    await batch(engine, loaded)
    [submission] = await submissions(engine, loaded)
    hashed = hashlib.sha256(f"console:bob\n{secret}".encode()).hexdigest()

    assert notices(await reopen(engine, secret)) == ["Your answers are open for changes."]
    editing = await store.load_draft(engine.db, loaded.id, "console", "bob")
    assert editing is not None and editing.editing == hashed and json.loads(editing.answers) == COMPLETE

    await draft(engine, loaded, "bob", {**COMPLETE, "frequence": "rarement"}, editing=hashed)
    await send(engine, loaded, "bob")
    [change] = await waiting(engine, loaded)
    assert change.edit, "a change waits sealed: applied alone, it would point at bob's submission"
    assert await rows(engine, submission.id) == STORED, "not applied yet"
    assert await store.submission_count(engine.db, loaded.id) == 1, "a change is not one more resident"
    again = await reopen(engine, secret)
    assert any("Rarement" in text for text in said(again)), "the receipt shows the waiting change"
    await draft(engine, loaded, "bob", {**COMPLETE, "frequence": "tous-les-jours"}, editing=hashed)
    await send(engine, loaded, "bob")
    [still] = await waiting(engine, loaded)
    assert still.id == change.id, "the waiting change, sealed anew"

    assert await batch(engine, loaded) == 1
    assert [s.id for s in await submissions(engine, loaded)] == [submission.id]
    assert ("frequence", 0, "tous-les-jours", None, None, None) in await rows(engine, submission.id)
    assert len(await rows(engine, submission.id)) == len(STORED)
    assert await participants(engine, loaded) == ["bob"]


async def test_a_receipt_is_refused_when_unknown_or_once_the_consultation_closed(engine):
    loaded = await consultation(engine)
    await draft(engine, loaded, "bob", COMPLETE)
    secret = receipt_of(engine, await send(engine, loaded, "bob"))
    unknown = await engine.handle(
        press(engine.signer.sign("ce", "not-a-receipt"), "bob", chat=private("bob"))
    )
    assert unknown == [Notice(text="These answers can no longer be found.", alert=True)]
    empty = await engine.handle(press(engine.signer.sign("ce"), "bob", chat=private("bob")))
    assert empty == [Notice(text="These answers can no longer be found.", alert=True)]
    forwarded = await engine.handle(press(engine.signer.sign("ce", secret), "carol", chat=private("carol")))
    assert forwarded == [Notice(text="These answers can no longer be found.", alert=True)], "bob's alone"
    assert await store.load_draft(engine.db, loaded.id, "console", "carol") is None, "nothing opened"
    engine.clock.advance(timedelta(days=30))
    closed = await engine.handle(press(engine.signer.sign("ce", secret), "bob", chat=private("bob")))
    assert closed == [Notice(text="This consultation is closed; thank you for your interest.", alert=True)]
    assert await store.load_draft(engine.db, loaded.id, "console", "bob") is None


async def test_a_receipt_of_a_consultation_deleted_meanwhile_is_refused(engine, monkeypatch):
    loaded = await consultation(engine)
    await draft(engine, loaded, "bob", COMPLETE)
    secret = receipt_of(engine, await send(engine, loaded, "bob"))

    async def deleted(consultation_id: int) -> None:
        return None

    monkeypatch.setattr(engine.consultations, "get", deleted)
    refused = await engine.handle(press(engine.signer.sign("ce", secret), "bob", chat=private("bob")))
    assert refused == [Notice(text="This consultation no longer exists.", alert=True)]


async def test_a_named_submission_names_its_resident_who_changes_it_with_consult(engine):
    loaded = await consultation(engine, NAMED)
    answers = {k: v for k, v in COMPLETE.items() if k != "pourquoi"} | {"satisfaction": 4, "age": 42.5}
    await draft(engine, loaded, "bob", answers)
    replies = await send(engine, loaded, "bob")
    assert said(replies) == [
        f"{RECORDED}\n\nMerci pour votre participation !\n\n"
        "You can change your answers until it closes with /consult place-nommee."
    ]
    assert [r.buttons for r in replies if isinstance(r, Send)] == [()]
    [submission] = await submissions(engine, loaded)
    assert (submission.platform, submission.user_id, submission.receipt) == ("console", "bob", None)
    assert ("age", 0, None, None, 42.5, None) in await rows(engine, submission.id)

    await engine.handle(command("consult", "bob", "place-nommee", chat=private("bob")))
    editing = await store.load_draft(engine.db, loaded.id, "console", "bob")
    assert editing is not None and editing.editing == submission.id
    assert json.loads(editing.answers) == answers, "the answers after a skipped question too"
    changed = await send(engine, loaded, "bob")
    assert said(changed) == [f"{RECORDED}\n\nMerci pour votre participation !"]
    assert [s.id for s in await submissions(engine, loaded)] == [submission.id]


# --- the store, directly ----------------------------------------------------------------------------------


async def test_storing_touches_only_this_resident_s_draft_and_this_submission_s_rows(engine):
    first, second = await consultation(engine), await consultation(engine, NAMED)
    for loaded, who in [(first, "bob"), (first, "carol"), (second, "bob")]:
        await draft(engine, loaded, who, COMPLETE)
    await store.save_draft(
        engine.db,
        ConsultationDraft(consultation_id=first.id, platform="telegram", user_id="bob", updated_at=START),
    )
    pieces = [store.AnswerPiece("frequence", option="rarement")]
    _, carol_receipt = await store.submit(
        engine.db, first.row, platform="console", user_id="carol", pieces=pieces, editing=None
    )
    assert await store.load_draft(engine.db, first.id, "console", "bob") is not None, "another resident's"
    bob_id, receipt = await store.submit(
        engine.db, first.row, platform="console", user_id="bob", pieces=pieces, editing=None
    )
    assert receipt is not None and carol_receipt is not None
    hashed = store.receipt_hash(receipt, "console:bob")
    found = await store.submission_by_receipt(engine.db, receipt, "console:bob")
    assert found == store.Receipted(first.id, hashed, tuple(pieces), None), "waiting: no pseudonym yet"
    assert await store.submission_by_receipt(engine.db, receipt + "x", "console:bob") is None
    assert await store.submission_by_receipt(engine.db, receipt, "console:carol") is None, "bound to bob"
    assert await store.load_draft(engine.db, second.id, "console", "bob") is not None, (
        "another consultation's"
    )
    assert await store.load_draft(engine.db, first.id, "console", "bob") is None
    assert await store.load_draft(engine.db, first.id, "telegram", "bob") is not None, "another platform's"

    changed = [store.AnswerPiece("frequence", option="chaque-semaine"), store.AnswerPiece("age", number=7)]
    assert await store.submit(
        engine.db, first.row, platform="console", user_id="bob", pieces=changed, editing=hashed
    ) == (bob_id, None)
    with pytest.raises(store.AlreadySubmitted, match=r"^place-test$"):
        await store.submit(
            engine.db, first.row, platform="console", user_id="bob", pieces=pieces, editing=None
        )
    with pytest.raises(store.AnswersGone):
        await store.submit(
            engine.db, first.row, platform="console", user_id="bob", pieces=pieces, editing="0" * 64
        )
    assert await batch(engine, first) == 2
    bob = await store.submission_by_receipt(engine.db, receipt, "console:bob")
    carol = await store.submission_by_receipt(engine.db, carol_receipt, "console:carol")
    assert bob is not None and carol is not None and bob.submission_id and carol.submission_id
    assert await rows(engine, bob.submission_id) == [
        ("age", 0, None, None, 7.0, None),
        ("frequence", 0, "chaque-semaine", None, None, None),
    ]
    assert await rows(engine, carol.submission_id) == [("frequence", 0, "rarement", None, None, None)]
    async with engine.db.read() as session:
        query = select(AnswerRow.submission_id).where(AnswerRow.consultation_id == first.id)
        assert sorted((await session.exec(query.order_by(col(AnswerRow.submission_id)))).all()) == sorted(
            [bob.submission_id, bob.submission_id, carol.submission_id]
        )
