"""Consultation submissions: answers stored for SQL aggregates, sealed while they wait, and receipts.

An anonymous consultation keeps two secrets out of reach of whoever copies the database (files, write-ahead
log, dead rows, backups), as storage/tables.py promises:

- a draft is sealed under a key of its own (storage/drafts.py), destroyed when it is sent;
- a submission is written by its resident's transaction only sealed (`sealed_submission`, under the key
  `consultation-<id>` of the key store) next to the `participation` row; `flush_submissions`, in a
  transaction of its own, writes waiting submissions in clear once 2k wait (k = `min_group`): a random
  all-but-k of them, in a shuffled order, so that each batch mixes at least k residents and k always wait
  for the last batch, the close's. The close destroys the consultation's key and every draft key after its
  commit: from then on the sealed rows, wherever a copy of them lies, say nothing.

A change through a receipt re-seals the waiting row, or, once the submission is in clear, waits sealed
(`edit`) until at least k changes wait (or the close): a change applied alone would point at the submission
its resident changed. Receipts are looked up by their hash: among the waiting rows of open consultations
(opened with their key: few) and in `submission.receipt`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit, outbox
from storage.consultation_results import MIN_GROUP
from storage.database import Database
from storage.drafts import draft_key_name, draft_key_prefix
from storage.erasure import ERASED
from storage.keystore import KeyStore
from storage.sealing import Unreadable, seal, unseal
from storage.tables import (
    AnswerRow,
    Consultation,
    ConsultationDraft,
    Participation,
    SealedSubmission,
    Submission,
)

logger = logging.getLogger(__name__)
SHUFFLE = secrets.SystemRandom()
CLOSE_ATTEMPTS = 5  # flushes before the closing transaction finds nothing waiting (submissions in between)


class AlreadySubmitted(Exception):
    """The resident already took part (one submission per resident)."""


class ConsultationClosed(Exception):
    """The consultation closed before the submission could be stored."""


class AnswersGone(Exception):
    """The submission a change was meant for no longer exists (or its consultation closed)."""


@dataclass(frozen=True, slots=True)
class AnswerPiece:
    """One row of an answer, before it is stored (see storage.tables.AnswerRow)."""

    question: str
    position: int = 0
    option: str | None = None
    rank: int | None = None
    number: float | None = None
    text: str | None = None


def receipt_hash(secret: str, identity: str) -> str:
    """What the database keeps of a receipt: bound to the identity it was sent to, so that a forwarded or
    leaked receipt is useless to anyone else, and still naming nobody (without the secret, which only the
    resident's private chat holds, nobody can test an identity against it)."""
    return hashlib.sha256(f"{identity}\n{secret}".encode()).hexdigest()


def new_submission_id() -> str:
    return secrets.token_urlsafe(9)  # 12 characters, random: unrelated to anything else


def consultation_key_name(consultation_id: int) -> str:
    """The key store's name of the key sealing an anonymous consultation's waiting submissions."""
    return f"consultation-{consultation_id}"


@dataclass(frozen=True, slots=True)
class Receipted:
    """An anonymous submission found through its receipt, as its resident would now see it: waiting sealed
    (the answers of its latest change) or written in clear."""

    consultation_id: int
    receipt: str  # the receipt's hash (what a change names the submission by)
    pieces: tuple[AnswerPiece, ...]
    submission_id: str | None  # its pseudonym, once written in clear


@dataclass(frozen=True, slots=True)
class _Waiting:
    """A `sealed_submission` row, opened."""

    id: str
    receipt: str
    pieces: tuple[AnswerPiece, ...]
    editing: str | None  # the submission (in clear) it changes


def _waiting_context(consultation_id: int, row_id: str) -> str:
    return f"sealed-submission\n{consultation_id}\n{row_id}"


def _sealed_payload(
    key: bytes,
    consultation_id: int,
    row_id: str,
    receipt: str,
    pieces: Sequence[AnswerPiece],
    editing: str | None,
) -> bytes:
    content = {
        "receipt": receipt,
        "pieces": [[p.question, p.position, p.option, p.rank, p.number, p.text] for p in pieces],
        "editing": editing,
    }
    return seal(key, json.dumps(content).encode(), context=_waiting_context(consultation_id, row_id))


def _opened_waiting(key: bytes, row: SealedSubmission) -> _Waiting | None:
    try:
        content = json.loads(unseal(key, row.sealed, context=_waiting_context(row.consultation_id, row.id)))
    except Unreadable:
        return None
    pieces = tuple(AnswerPiece(*fields) for fields in content["pieces"])
    return _Waiting(row.id, content["receipt"], pieces, content["editing"])


async def _waiting_in(session: AsyncSession, keys: KeyStore, consultation_id: int) -> list[_Waiting]:
    """The consultation's waiting submissions that open (all, while its key exists)."""
    key = keys.get(consultation_key_name(consultation_id))
    if key is None:
        return []
    rows = (
        await session.exec(
            select(SealedSubmission).where(SealedSubmission.consultation_id == consultation_id)
        )
    ).all()
    return [waiting for row in rows if (waiting := _opened_waiting(key, row)) is not None]


async def submission_count(db: Database, consultation_id: int) -> int:
    """How many residents submitted, those whose submission still waits sealed included."""
    async with db.read() as session:
        written = (
            await session.exec(select(func.count()).where(Submission.consultation_id == consultation_id))
        ).one()
        waiting = (
            await session.exec(
                select(func.count()).where(
                    SealedSubmission.consultation_id == consultation_id, col(SealedSubmission.edit).is_(False)
                )
            )
        ).one()
        return written + waiting


async def waiting_count(db: Database, consultation_id: int) -> int:
    """Submissions and changes that results do not count yet: they wait, sealed, for a batch or the close."""
    async with db.read() as session:
        return (
            await session.exec(
                select(func.count()).where(SealedSubmission.consultation_id == consultation_id)
            )
        ).one()


async def has_participated(
    db: Database, consultation_id: int, platform: str, user_id: str, *, erased_as: str
) -> bool:
    """Whether the resident took part, before /forget (`erased_as`: their pseudonym there) or since."""
    async with db.read() as session:
        return any(
            [
                await session.get(Participation, (consultation_id, platform, user_id)),
                await session.get(Participation, (consultation_id, ERASED, erased_as)),
            ]
        )


async def named_submission(
    db: Database, consultation_id: int, platform: str, user_id: str
) -> Submission | None:
    async with db.read() as session:
        query = select(Submission).where(
            Submission.consultation_id == consultation_id,
            Submission.platform == platform,
            Submission.user_id == user_id,
        )
        return (await session.exec(query)).first()


async def submission_by_receipt(db: Database, secret: str, identity: str) -> Receipted | None:
    """The anonymous submission whose receipt `secret` was sent to `identity` (anyone else finds nothing):
    its change waiting sealed if there is one, else the submission waiting sealed, else the one in clear."""
    hashed = receipt_hash(secret, identity)
    async with db.read() as session:
        waiting_in = (
            await session.exec(
                select(SealedSubmission.consultation_id)
                .join(Consultation, col(Consultation.id) == col(SealedSubmission.consultation_id))
                .where(col(Consultation.closed_at).is_(None))
                .distinct()
            )
        ).all()
        for consultation_id in sorted(waiting_in):
            for waiting in await _waiting_in(session, db.keys, consultation_id):
                if waiting.receipt == hashed:
                    return Receipted(consultation_id, hashed, waiting.pieces, waiting.editing)
        written = (await session.exec(select(Submission).where(Submission.receipt == hashed))).first()
        if written is None:
            return None
        rows = await _answer_rows(session, written.id)
        pieces = tuple(AnswerPiece(r.question, r.position, r.option, r.rank, r.number, r.text) for r in rows)
        return Receipted(written.consultation_id, hashed, pieces, written.id)


async def _answer_rows(session: AsyncSession, submission_id: str) -> list[AnswerRow]:
    query = (
        select(AnswerRow)
        .where(AnswerRow.submission_id == submission_id)
        .order_by(col(AnswerRow.question), col(AnswerRow.position))
    )
    return list((await session.exec(query)).all())


async def answers_of(db: Database, submission_id: str) -> list[AnswerRow]:
    async with db.read() as session:
        return await _answer_rows(session, submission_id)


async def _still_open(session: AsyncSession, consultation_id: int) -> Consultation:
    """The consultation, share-locked on PostgreSQL until the transaction ends: a flush or the close waits for
    this submission, and a submission after the close's commit finds it closed (SQLite serializes writes)."""
    query = select(Consultation).where(col(Consultation.id) == consultation_id).with_for_update(read=True)
    consultation = (await session.exec(query.execution_options(populate_existing=True))).first()
    if consultation is None or consultation.closed_at is not None:
        raise ConsultationClosed(consultation_id)
    return consultation


async def _take_part(
    session: AsyncSession, consultation: Consultation, platform: str, user_id: str, erased_as: str | None
) -> None:
    assert consultation.id is not None
    erased_row = (consultation.id, ERASED, erased_as)
    if erased_as and await session.get(Participation, erased_row) is not None:
        raise AlreadySubmitted(consultation.slug)
    try:
        async with session.begin_nested():
            session.add(Participation(consultation_id=consultation.id, platform=platform, user_id=user_id))
            await session.flush()
    except IntegrityError:
        raise AlreadySubmitted(consultation.slug) from None


def _answer_values(
    submission_id: str, consultation_id: int, pieces: Sequence[AnswerPiece]
) -> list[dict[str, Any]]:
    return [
        {
            "submission_id": submission_id,
            "consultation_id": consultation_id,
            "question": piece.question,
            "position": piece.position,
            "option": piece.option,
            "rank": piece.rank,
            "number": piece.number,
            "text": piece.text,
        }
        for piece in pieces
    ]


async def submit(
    db: Database,
    consultation: Consultation,
    *,
    platform: str,
    user_id: str,
    pieces: list[AnswerPiece],
    editing: str | None,
    erased_as: str | None = None,
    min_group: int = MIN_GROUP,
) -> tuple[str, str | None]:
    """Store a submission and erase the draft, in one transaction. Returns (id, receipt secret): the secret
    (anonymous consultations) goes to the resident only; the database keeps its hash.

    Named: the submission's rows, in clear; `editing` (a submission id) replaces its answers. Anonymous: the
    transaction writes `participation` and a sealed waiting row (whose id is returned), nothing in clear;
    `editing` (a receipt's hash) re-seals that submission's waiting row, or waits sealed as a change of the
    submission in clear. Then, in a transaction of its own, a batch may go out (`flush_submissions` with
    `min_group`). `erased_as` is what stands for the resident in `participation` if they took part before
    a /forget. Raises AlreadySubmitted, ConsultationClosed, AnswersGone (a change of nothing)."""
    assert consultation.id is not None
    cid = consultation.id
    receipt: str | None = None
    async with db.write() as session:
        await _still_open(session, cid)
        if not consultation.anonymous:
            if editing is not None:
                submission_id = editing
                if await session.get(Submission, editing) is None:
                    raise AnswersGone(editing)
                await session.exec(delete(AnswerRow).where(col(AnswerRow.submission_id) == editing))
            else:
                await _take_part(session, consultation, platform, user_id, erased_as)
                submission_id = new_submission_id()
                session.add(
                    Submission(id=submission_id, consultation_id=cid, platform=platform, user_id=user_id)
                )
                await session.flush()
            await session.exec(insert(AnswerRow), params=_answer_values(submission_id, cid, pieces))
        else:
            key = await db.keys.obtain(consultation_key_name(cid))
            if editing is None:
                await _take_part(session, consultation, platform, user_id, erased_as)
                receipt = secrets.token_urlsafe(16)
                submission_id = new_submission_id()
                hashed = receipt_hash(receipt, f"{platform}:{user_id}")
                sealed = _sealed_payload(key, cid, submission_id, hashed, pieces, None)
                session.add(SealedSubmission(id=submission_id, consultation_id=cid, sealed=sealed))
            else:
                submission_id = await _seal_change(session, db.keys, key, cid, editing, pieces)
        await session.exec(
            delete(ConsultationDraft).where(
                col(ConsultationDraft.consultation_id) == cid,
                col(ConsultationDraft.platform) == platform,
                col(ConsultationDraft.user_id) == user_id,
            )
        )
    if consultation.anonymous:
        await db.keys.destroy(draft_key_name(cid, platform, user_id))  # every copy of the draft: noise
        try:
            await flush_submissions(db, cid, min_group=min_group)
        except Exception:  # the submission is stored (sealed): the next submission or the close writes it
            logger.exception("consultation %s: a batch of submissions could not be written yet", cid)
        await db.shred()  # the draft, next to its resident, leaves the write-ahead log too
    return submission_id, receipt


async def _seal_change(
    session: AsyncSession, keys: KeyStore, key: bytes, cid: int, receipt: str, pieces: Sequence[AnswerPiece]
) -> str:
    """A change of the anonymous submission whose receipt's hash is `receipt`: its waiting row re-sealed with
    the new answers, or a waiting change of the submission in clear. Returns the waiting row's id."""
    for waiting in await _waiting_in(session, keys, cid):
        if waiting.receipt == receipt:
            sealed = _sealed_payload(key, cid, waiting.id, receipt, pieces, waiting.editing)
            await session.exec(
                update(SealedSubmission).where(col(SealedSubmission.id) == waiting.id).values(sealed=sealed)
            )
            return waiting.id
    written = (
        await session.exec(
            select(Submission.id).where(Submission.consultation_id == cid, Submission.receipt == receipt)
        )
    ).first()
    if written is None:
        raise AnswersGone(receipt)
    row_id = new_submission_id()
    sealed = _sealed_payload(key, cid, row_id, receipt, pieces, written)
    session.add(SealedSubmission(id=row_id, consultation_id=cid, edit=True, sealed=sealed))
    return row_id


async def flush_submissions(
    db: Database, consultation_id: int, *, min_group: int = MIN_GROUP, everything: bool = False
) -> int:
    """Write waiting submissions in clear, in a transaction of their own (never the resident's), and return
    how many: once 2k new ones wait (k = `min_group`, 2 at least), a random all-but-k of them; once k changes
    wait, all of them; `everything` (the close): all that wait. A batch therefore mixes at least k residents,
    and k wait for the close's. Flushes take turns (the consultation's row is locked on PostgreSQL)."""
    async with db.write() as session:
        return await _flush_in(session, db.keys, consultation_id, min_group=min_group, everything=everything)


async def _flush_in(
    session: AsyncSession, keys: KeyStore, consultation_id: int, *, min_group: int, everything: bool
) -> int:
    k = max(min_group, 2)
    locked = select(Consultation.id).where(col(Consultation.id) == consultation_id).with_for_update()
    if (await session.exec(locked)).first() is None:
        return 0
    count = (
        await session.exec(select(func.count()).where(SealedSubmission.consultation_id == consultation_id))
    ).one()
    if count == 0 or (count < k and not everything):
        return 0
    waiting = await _waiting_in(session, keys, consultation_id)
    new = [w for w in waiting if w.editing is None]
    changes = [w for w in waiting if w.editing is not None]
    if everything:
        chosen = waiting
    else:
        chosen = SHUFFLE.sample(new, len(new) - k) if len(new) >= 2 * k else []
        if len(changes) >= k:
            chosen += changes
    if not chosen:
        return 0
    await _write_clear(session, consultation_id, chosen)
    await session.exec(delete(SealedSubmission).where(col(SealedSubmission.id).in_([w.id for w in chosen])))
    return len(chosen)


async def _write_clear(session: AsyncSession, consultation_id: int, chosen: list[_Waiting]) -> None:
    """Submissions and answers in a random order: fresh pseudonyms, and the changed submissions' answers
    replaced, in the one transaction."""
    targets = {w.editing for w in chosen if w.editing is not None}
    existing = set(
        (await session.exec(select(Submission.id).where(col(Submission.id).in_(targets)))).all()
        if targets
        else ()
    )
    if existing:
        await session.exec(delete(AnswerRow).where(col(AnswerRow.submission_id).in_(existing)))
    submissions: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for waiting in SHUFFLE.sample(chosen, len(chosen)):
        if waiting.editing in existing:
            submission_id = waiting.editing
        else:  # (a change whose submission vanished still counts once, as its own)
            submission_id = new_submission_id()
            submissions.append(
                {"id": submission_id, "consultation_id": consultation_id, "receipt": waiting.receipt,
                 "platform": None, "user_id": None}
            )  # fmt: skip
        answers.extend(_answer_values(submission_id, consultation_id, waiting.pieces))
    SHUFFLE.shuffle(answers)
    if submissions:
        await session.exec(insert(Submission), params=submissions)
    if answers:
        await session.exec(insert(AnswerRow), params=answers)


class _ArrivedMeanwhile(Exception):
    """A submission came between the close's last flush and its transaction: flush again."""


async def close_consultation(
    db: Database,
    consultation_id: int,
    *,
    now: datetime,
    actor: str,
    announce: Callable[[], Awaitable[list[outbox.Outgoing]]] | None = None,
    min_group: int = MIN_GROUP,
) -> bool:
    """Close once (idempotent), erasing every draft: after closing, nothing links anyone to answers. Every
    waiting submission is written first (a shuffled batch, committed, so that `announce`, which reads through
    other connections, counts it); the closing transaction, which locks the consultation, then finds none
    waiting (else it flushes and tries again) and the results `announce` returns join the outbox in it:
    closed means announced, with every submission. After the commit the consultation's key and its drafts'
    keys are destroyed."""
    closed = False
    for attempt in range(CLOSE_ATTEMPTS):
        await flush_submissions(db, consultation_id, min_group=min_group, everything=True)
        try:
            closed = await _close_in_one(
                db,
                consultation_id,
                now=now,
                actor=actor,
                announce=announce,
                last=attempt + 1 == CLOSE_ATTEMPTS,
            )
        except _ArrivedMeanwhile:
            continue
        break
    await db.keys.destroy(
        consultation_key_name(consultation_id), *db.keys.names(draft_key_prefix(consultation_id))
    )
    if closed:
        await db.shred()  # the drafts erased at the close leave the write-ahead log too
    return closed


async def _close_in_one(
    db: Database,
    consultation_id: int,
    *,
    now: datetime,
    actor: str,
    announce: Callable[[], Awaitable[list[outbox.Outgoing]]] | None,
    last: bool,
) -> bool:
    async with db.write() as session:
        result = await session.exec(
            update(Consultation)
            .where(col(Consultation.id) == consultation_id, col(Consultation.closed_at).is_(None))
            .values(closed_at=now)
        )
        if result.rowcount != 1:
            return False
        waiting = (
            await session.exec(
                select(func.count()).where(SealedSubmission.consultation_id == consultation_id)
            )
        ).one()
        if waiting and not last:
            raise _ArrivedMeanwhile
        if waiting:  # (never seen: a flood of submissions at the very close; counted, if not announced)
            await _flush_in(session, db.keys, consultation_id, min_group=0, everything=True)
        await session.exec(
            delete(ConsultationDraft).where(col(ConsultationDraft.consultation_id) == consultation_id)
        )
        audit.record(
            session,
            at=now,
            actor=actor,
            action="consultation.close",
            object_type="consultation",
            object_id=consultation_id,
        )
        if announce is not None:
            await outbox.enqueue(session, await announce(), now=now)
    return True


async def sweep_consultation_keys(db: Database) -> list[str]:
    """Destroy the keys of consultations that are closed or gone, and their drafts' keys: a process that
    stopped between a close's commit and the keys' destruction leaves some behind; the next start finishes."""
    names = db.keys.names("consultation-") + db.keys.names("draft-")
    if not names:
        return []
    async with db.read() as session:
        open_ids = set(
            (await session.exec(select(Consultation.id).where(col(Consultation.closed_at).is_(None)))).all()
        )
    stale = [
        name for name in names if name.split("-")[1].isdigit() and int(name.split("-")[1]) not in open_ids
    ]
    await db.keys.destroy(*stale)
    return stale
