"""Consultations: definitions, launches, drafts, and submissions stored for SQL aggregates."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage import audit, outbox
from storage.database import Database
from storage.personal_data import ERASED
from storage.residents import community_id_in
from storage.tables import (
    AnswerRow,
    Consultation,
    ConsultationDraft,
    ConsultationLaunch,
    Participation,
    Submission,
)

REPLACEABLE = (
    "title",
    "definition",
    "source",
    "anonymous",
    "results_public",
    "timezone",
    "opens_at",
    "closes_at",
)


class ConsultationLocked(Exception):
    """The consultation already has submissions: its questions can no longer change."""


class ConsultationTaken(Exception):
    """Another community's consultation already has this id: importing may not replace it."""


class AlreadySubmitted(Exception):
    """The resident already took part (one submission per resident)."""


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


async def save_consultation(
    db: Database,
    consultation: Consultation,
    *,
    actor: str,
    now: datetime,
    may_replace: Callable[[Consultation], bool] = lambda existing: True,
) -> Consultation:
    """Create, or replace a consultation's definition while nobody has answered it and the importer may
    manage it (raises ConsultationTaken otherwise, ConsultationLocked once answered)."""
    async with db.write() as session:
        existing = (
            await session.exec(select(Consultation).where(Consultation.slug == consultation.slug))
        ).first()
        if existing is not None and not may_replace(existing):
            raise ConsultationTaken(consultation.slug)
        if existing is not None:
            count = (
                await session.exec(select(func.count()).where(Submission.consultation_id == existing.id))
            ).one()
            if count:
                raise ConsultationLocked(consultation.slug)
            for field in REPLACEABLE:
                setattr(existing, field, getattr(consultation, field))
            existing.closed_at = None
            session.add(existing)
            target = existing
            action = "consultation.update"
        else:
            session.add(consultation)
            target = consultation
            action = "consultation.import"
        await session.flush()
        audit.record(
            session, at=now, actor=actor, action=action, object_type="consultation", object_id=target.slug
        )
        return target


async def by_slug(db: Database, slug: str) -> Consultation | None:
    async with db.read() as session:
        return (await session.exec(select(Consultation).where(Consultation.slug == slug))).first()


async def by_id(db: Database, consultation_id: int) -> Consultation | None:
    async with db.read() as session:
        return await session.get(Consultation, consultation_id)


async def all_consultations(db: Database) -> list[tuple[Consultation, int]]:
    """Every consultation with its number of submissions."""
    async with db.read() as session:
        counts = (
            select(Submission.consultation_id, func.count().label("n"))
            .group_by(col(Submission.consultation_id))
            .subquery()
        )
        query = (
            select(Consultation, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.consultation_id == Consultation.id)
            .order_by(col(Consultation.id))
        )
        return [(c, int(n)) for c, n in (await session.exec(query)).all()]


async def submission_count(db: Database, consultation_id: int) -> int:
    async with db.read() as session:
        return (
            await session.exec(select(func.count()).where(Submission.consultation_id == consultation_id))
        ).one()


async def add_launch(
    db: Database, consultation_id: int, platform: str, chat_id: str, *, actor: str, now: datetime
) -> None:
    async with db.write() as session:
        consultation = await session.get(Consultation, consultation_id)
        if consultation is not None and consultation.community_id is None:  # the first launch owns it
            consultation.community_id = await community_id_in(session, platform, chat_id)
            session.add(consultation)
        if await session.get(ConsultationLaunch, (consultation_id, platform, chat_id)) is None:
            session.add(
                ConsultationLaunch(
                    consultation_id=consultation_id, platform=platform, chat_id=chat_id, launched_at=now
                )
            )
        audit.record(
            session,
            at=now,
            actor=actor,
            action="consultation.launch",
            object_type="consultation",
            object_id=consultation_id,
            detail=f"{platform}:{chat_id}",
        )


async def record_launch_message(
    db: Database, consultation_id: int, platform: str, chat_id: str, message_id: str
) -> None:
    async with db.write() as session:
        await session.exec(  # type: ignore[call-overload]
            update(ConsultationLaunch)
            .where(
                col(ConsultationLaunch.consultation_id) == consultation_id,
                ConsultationLaunch.platform == platform,
                ConsultationLaunch.chat_id == chat_id,
            )
            .values(message_id=message_id)
        )


async def launches(db: Database, consultation_id: int) -> list[ConsultationLaunch]:
    async with db.read() as session:
        query = select(ConsultationLaunch).where(ConsultationLaunch.consultation_id == consultation_id)
        return list((await session.exec(query)).all())


async def load_draft(
    db: Database, consultation_id: int, platform: str, user_id: str
) -> ConsultationDraft | None:
    async with db.read() as session:
        return await session.get(ConsultationDraft, (consultation_id, platform, user_id))


async def save_draft(db: Database, draft: ConsultationDraft) -> None:
    async with db.write() as session:
        await session.merge(draft)


async def delete_draft(db: Database, consultation_id: int, platform: str, user_id: str) -> None:
    async with db.write() as session:
        await session.exec(  # type: ignore[call-overload]
            delete(ConsultationDraft).where(
                col(ConsultationDraft.consultation_id) == consultation_id,
                ConsultationDraft.platform == platform,
                ConsultationDraft.user_id == user_id,
            )
        )


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


async def submission_by_receipt(db: Database, secret: str, identity: str) -> Submission | None:
    """The submission whose receipt `secret` was sent to `identity` (anyone else finds nothing)."""
    async with db.read() as session:
        query = select(Submission).where(Submission.receipt == receipt_hash(secret, identity))
        return (await session.exec(query)).first()


async def answers_of(db: Database, submission_id: str) -> list[AnswerRow]:
    async with db.read() as session:
        query = (
            select(AnswerRow)
            .where(AnswerRow.submission_id == submission_id)
            .order_by(col(AnswerRow.question), col(AnswerRow.position))
        )
        return list((await session.exec(query)).all())


async def submit(
    db: Database,
    consultation: Consultation,
    *,
    platform: str,
    user_id: str,
    pieces: list[AnswerPiece],
    editing: str | None,
    erased_as: str | None = None,
) -> tuple[str, str | None]:
    """Store a submission and erase the draft, in one transaction. Returns (submission id, receipt secret):
    the secret (anonymous consultations) goes to the resident only; the database keeps its hash.
    `editing` replaces the answers of an existing submission instead (same pseudonym). `erased_as` is what
    stands for the resident in `participation` if they took part before a /forget."""
    assert consultation.id is not None
    receipt: str | None = None
    async with db.write() as session:
        if editing is not None:
            submission_id = editing
            await session.exec(delete(AnswerRow).where(col(AnswerRow.submission_id) == editing))  # type: ignore[call-overload]
        else:
            if erased_as and await session.get(Participation, (consultation.id, ERASED, erased_as)):
                raise AlreadySubmitted(consultation.slug)
            try:
                async with session.begin_nested():
                    session.add(
                        Participation(consultation_id=consultation.id, platform=platform, user_id=user_id)
                    )
                    await session.flush()
            except IntegrityError:
                raise AlreadySubmitted(consultation.slug) from None
            submission_id = new_submission_id()
            if consultation.anonymous:
                receipt = secrets.token_urlsafe(16)
                session.add(
                    Submission(
                        id=submission_id,
                        consultation_id=consultation.id,
                        receipt=receipt_hash(receipt, f"{platform}:{user_id}"),
                    )
                )
            else:
                session.add(
                    Submission(
                        id=submission_id, consultation_id=consultation.id, platform=platform, user_id=user_id
                    )
                )
            await session.flush()
        session.add_all(
            AnswerRow(
                submission_id=submission_id,
                consultation_id=consultation.id,
                question=piece.question,
                position=piece.position,
                option=piece.option,
                rank=piece.rank,
                number=piece.number,
                text=piece.text,
            )
            for piece in pieces
        )
        await session.exec(  # type: ignore[call-overload]
            delete(ConsultationDraft).where(
                col(ConsultationDraft.consultation_id) == consultation.id,
                ConsultationDraft.platform == platform,
                ConsultationDraft.user_id == user_id,
            )
        )
    if consultation.anonymous:
        await db.shred()  # the draft, next to its resident, leaves the write-ahead log too
    return submission_id, receipt


async def close_consultation(
    db: Database,
    consultation_id: int,
    *,
    now: datetime,
    actor: str,
    announce: Callable[[], Awaitable[list[outbox.Outgoing]]] | None = None,
) -> bool:
    """Close once (idempotent), erasing every draft: after closing, nothing links anyone to answers. The
    results `announce` returns join the outbox in the same transaction: closed means announced."""
    async with db.write() as session:
        result = await session.exec(  # type: ignore[call-overload]
            update(Consultation)
            .where(col(Consultation.id) == consultation_id, col(Consultation.closed_at).is_(None))
            .values(closed_at=now)
        )
        if result.rowcount != 1:
            return False
        await session.exec(  # type: ignore[call-overload]
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
    await db.shred()  # the drafts erased at the close leave the write-ahead log too
    return True


async def open_consultation_deadlines(db: Database) -> list[tuple[int, datetime | None, datetime]]:
    """(id, opens_at, closes_at) of every consultation not closed yet, `opens_at` None once its opening was
    announced: the scheduler derives its jobs here, so an opening is due once."""
    async with db.read() as session:
        query = select(
            Consultation.id, Consultation.opens_at, Consultation.closes_at, Consultation.opening_announced
        ).where(col(Consultation.closed_at).is_(None))
        return [
            (cid, None if announced else opens, closes)
            for cid, opens, closes, announced in (await session.exec(query)).all()
            if cid is not None
        ]


async def mark_opening_announced(db: Database, consultation_id: int) -> bool:
    """True for the one caller that gets to announce the opening."""
    async with db.write() as session:
        result = await session.exec(  # type: ignore[call-overload]
            update(Consultation)
            .where(col(Consultation.id) == consultation_id, col(Consultation.opening_announced).is_(False))
            .values(opening_announced=True)
        )
        return result.rowcount == 1
