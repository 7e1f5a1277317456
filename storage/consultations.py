"""Consultations: their definitions as stored, and where they were launched.

The rest of a consultation's storage lives by concern: drafts in storage/drafts.py, submissions (answers,
sealed batches, receipts and the close) in storage/submissions.py, results in storage/consultation_results.py.
This module re-exports their functions, so ``from storage import consultations as store`` reaches them all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select

from storage import audit
from storage.database import Database
from storage.outbox import supersede
from storage.residents import community_id_in
from storage.tables import (
    Community,
    Consultation,
    ConsultationLaunch,
    SealedSubmission,
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
            ).one() + (
                await session.exec(
                    select(func.count()).where(SealedSubmission.consultation_id == existing.id)
                )
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


async def owner_language(db: Database, consultation: Consultation) -> str | None:
    """The language its owner community chose (/lang there), if it has an owner and chose one."""
    if consultation.community_id is None:
        return None
    async with db.read() as session:
        owner = await session.get(Community, consultation.community_id)
    return None if owner is None else owner.language


async def all_consultations(db: Database) -> list[tuple[Consultation, int]]:
    """Every consultation with its number of submissions (those still waiting sealed included)."""
    async with db.read() as session:
        counts = (
            select(Submission.consultation_id, func.count().label("n"))
            .group_by(col(Submission.consultation_id))
            .subquery()
        )
        waiting = (
            select(SealedSubmission.consultation_id, func.count().label("n"))
            .where(col(SealedSubmission.edit).is_(False))
            .group_by(col(SealedSubmission.consultation_id))
            .subquery()
        )
        query = (
            select(Consultation, func.coalesce(counts.c.n, 0) + func.coalesce(waiting.c.n, 0))
            .outerjoin(counts, counts.c.consultation_id == Consultation.id)
            .outerjoin(waiting, waiting.c.consultation_id == Consultation.id)
            .order_by(col(Consultation.id))
        )
        return [(c, int(n)) for c, n in (await session.exec(query)).all()]


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


async def launches(db: Database, consultation_id: int) -> list[ConsultationLaunch]:
    async with db.read() as session:
        query = select(ConsultationLaunch).where(ConsultationLaunch.consultation_id == consultation_id)
        return list((await session.exec(query)).all())


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


async def record_card(
    db: Database, consultation_id: int, platform: str, chat_id: str, message_id: str
) -> None:
    """The latest invitation card posted where the consultation was launched: the one to edit when its
    deadline moves."""
    async with db.write() as session:
        await session.exec(
            update(ConsultationLaunch)
            .where(
                col(ConsultationLaunch.consultation_id) == consultation_id,
                col(ConsultationLaunch.platform) == platform,
                col(ConsultationLaunch.chat_id) == chat_id,
            )
            .values(message_id=message_id[:64])
        )


async def open_launched(db: Database) -> list[tuple[Consultation, list[ConsultationLaunch]]]:
    """Every consultation not closed yet that was launched somewhere, with its launches (a resident's
    /consultations keeps those of their communities)."""
    async with db.read() as session:
        query = (
            select(Consultation, ConsultationLaunch)
            .join(ConsultationLaunch, col(ConsultationLaunch.consultation_id) == col(Consultation.id))
            .where(col(Consultation.closed_at).is_(None))
            .order_by(col(Consultation.closes_at), col(Consultation.id))
        )
        found: dict[int, tuple[Consultation, list[ConsultationLaunch]]] = {}
        for consultation, launch in (await session.exec(query)).all():
            found.setdefault(launch.consultation_id, (consultation, []))[1].append(launch)
        return list(found.values())


async def extend_consultation(
    db: Database, consultation_id: int, closes_at: datetime, *, actor: str, now: datetime
) -> datetime | None:
    """Move the deadline of a consultation still open to `closes_at` (audited); returns the deadline it
    replaces, or None when the consultation closed (or fell due) meanwhile. The closing reminders decided
    for the old deadline no longer count: those of the new one are decided afresh
    (`consultation:<id>:reminder:` is how bot/events/closings.py keys them)."""
    async with db.write() as session:
        row = await session.get(Consultation, consultation_id)
        if row is None or row.closed_at is not None or row.closes_at <= now:
            return None
        old = row.closes_at
        moved = await session.exec(
            update(Consultation)
            .where(
                col(Consultation.id) == consultation_id,
                col(Consultation.closed_at).is_(None),
                col(Consultation.closes_at) > now,
            )
            .values(closes_at=closes_at)
        )
        if moved.rowcount != 1:
            return None
        await supersede(session, f"consultation:{consultation_id}:reminder:", f"{old:%Y%m%dT%H%M}Z")
        audit.record(
            session,
            at=now,
            actor=actor,
            action="consultation.extend",
            object_type="consultation",
            object_id=consultation_id,
            detail=f"{row.slug}: {old.isoformat()} → {closes_at.isoformat()}",
        )
        return old


async def mark_opening_announced(db: Database, consultation_id: int) -> bool:
    """True for the one caller that gets to announce the opening."""
    async with db.write() as session:
        result = await session.exec(
            update(Consultation)
            .where(col(Consultation.id) == consultation_id, col(Consultation.opening_announced).is_(False))
            .values(opening_announced=True)
        )
        return result.rowcount == 1


# The other concerns of a consultation's storage, for callers that reach them all through this module.
from storage.drafts import delete_draft, draft_key_name, draft_key_prefix, load_draft, save_draft  # noqa: E402
from storage.submissions import (  # noqa: E402
    AlreadySubmitted,
    AnswerPiece,
    AnswersGone,
    ConsultationClosed,
    Receipted,
    answers_of,
    close_consultation,
    consultation_key_name,
    flush_submissions,
    has_participated,
    named_submission,
    new_submission_id,
    receipt_hash,
    submission_by_receipt,
    submission_count,
    submit,
    sweep_consultation_keys,
    waiting_count,
)

__all__ = [
    "REPLACEABLE",
    "AlreadySubmitted",
    "AnswerPiece",
    "AnswersGone",
    "ConsultationClosed",
    "ConsultationLocked",
    "ConsultationTaken",
    "Receipted",
    "add_launch",
    "all_consultations",
    "answers_of",
    "by_id",
    "by_slug",
    "close_consultation",
    "consultation_key_name",
    "delete_draft",
    "draft_key_name",
    "draft_key_prefix",
    "extend_consultation",
    "flush_submissions",
    "has_participated",
    "launches",
    "load_draft",
    "mark_opening_announced",
    "named_submission",
    "new_submission_id",
    "open_consultation_deadlines",
    "open_launched",
    "receipt_hash",
    "record_card",
    "save_consultation",
    "save_draft",
    "submission_by_receipt",
    "submission_count",
    "submit",
    "sweep_consultation_keys",
    "waiting_count",
]
