"""What consultations store about a person: that they took part (and, for a named consultation, their
submission and answers), their answers in progress (drafts; an anonymous consultation's are sealed under a key
of their own, storage/drafts.py), and the consultations they created. Gathered for /mydata, erased or
anonymized in /forget's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database
from storage.drafts import draft_key_name, opened
from storage.erasure import ERASED, Account, participation_pseudonym, resident_id
from storage.tables import AnswerRow, Consultation, ConsultationDraft, Participation, Submission


@dataclass(frozen=True, slots=True)
class TookPart:
    consultation: Consultation
    named: bool  # a named submission: the answers are linked to the resident


@dataclass
class ConsultationData:
    took_part: list[TookPart] = field(default_factory=list)
    drafts: list[tuple[ConsultationDraft, str]] = field(default_factory=list)  # with the title
    created: list[tuple[str, str]] = field(default_factory=list)  # (slug, title)


@dataclass(frozen=True, slots=True)
class ConsultationsErased:
    answers_withdrawn: int  # open named consultations whose answers were withdrawn
    keys: list[str]  # the keys their sealed drafts were under: destroyed once the erasure is committed


async def gather(db: Database, session: AsyncSession, account: Account) -> ConsultationData:
    found = ConsultationData()
    platform, user_id = account.platform, account.user_id
    named = set(
        (
            await session.exec(
                select(Submission.consultation_id).where(
                    Submission.platform == platform, Submission.user_id == user_id
                )
            )
        ).all()
    )
    taken = await session.exec(
        select(Consultation)
        .join(Participation, col(Participation.consultation_id) == col(Consultation.id))
        .where(Participation.platform == platform, Participation.user_id == user_id)
        .order_by(col(Consultation.id))
    )
    found.took_part = [TookPart(c, c.id in named) for c in taken.all()]
    drafts = await session.exec(
        select(ConsultationDraft, Consultation.title)
        .join(Consultation, col(Consultation.id) == col(ConsultationDraft.consultation_id))
        .where(ConsultationDraft.platform == platform, ConsultationDraft.user_id == user_id)
    )
    # (a sealed draft whose key is lost still names them: shown, with no answer)
    found.drafts = [(opened(db.keys, row) or row, title) for row, title in drafts.all()]
    rid = await resident_id(session, account)
    if rid is not None:
        query = (
            select(Consultation.slug, Consultation.title)
            .where(Consultation.created_by == rid)
            .order_by(col(Consultation.id))
        )
        found.created = [(slug, title) for slug, title in (await session.exec(query)).all()]
    return found


async def erase(session: AsyncSession, account: Account, key: bytes) -> ConsultationsErased:
    """Named answers withdrawn while open, kept linked to nobody once closed; taking part becomes a pseudonym
    (`key` makes it), so that one submission per resident still holds; drafts deleted (their keys named, to
    destroy once committed); created consultations without author."""
    platform, user_id = account.platform, account.user_id
    answers_withdrawn = await _erase_submissions(session, account, key)
    drafted = (
        await session.exec(
            select(ConsultationDraft.consultation_id).where(
                ConsultationDraft.platform == platform, ConsultationDraft.user_id == user_id
            )
        )
    ).all()
    await session.exec(
        delete(ConsultationDraft).where(
            col(ConsultationDraft.platform) == platform, col(ConsultationDraft.user_id) == user_id
        )
    )
    rid = await resident_id(session, account)
    if rid is not None:
        await session.exec(
            update(Consultation).where(col(Consultation.created_by) == rid).values(created_by=None)
        )
    return ConsultationsErased(
        answers_withdrawn=answers_withdrawn,
        keys=[draft_key_name(cid, platform, user_id) for cid in drafted],  # sealed drafts: noise
    )


async def _erase_submissions(session: AsyncSession, account: Account, key: bytes) -> int:
    platform, user_id = account.platform, account.user_id
    named = await session.exec(
        select(Submission.id, Submission.consultation_id, Consultation.closed_at)
        .join(Consultation, col(Consultation.id) == col(Submission.consultation_id))
        .where(Submission.platform == platform, Submission.user_id == user_id)
    )
    withdrawn: set[int] = set()
    for submission_id, consultation_id, closed_at in named.all():
        if closed_at is None:
            await session.exec(delete(AnswerRow).where(col(AnswerRow.submission_id) == submission_id))
            await session.exec(delete(Submission).where(col(Submission.id) == submission_id))
            withdrawn.add(consultation_id)
        else:
            await session.exec(
                update(Submission)
                .where(col(Submission.id) == submission_id)
                .values(platform=None, user_id=None)
            )
    mine = and_(col(Participation.platform) == platform, col(Participation.user_id) == user_id)
    taken = set((await session.exec(select(Participation.consultation_id).where(mine))).all())
    await session.exec(delete(Participation).where(mine))
    for consultation_id in sorted(taken - withdrawn):
        stands_for = participation_pseudonym(key, consultation_id, account.identity)
        if await session.get(Participation, (consultation_id, ERASED, stands_for)) is None:
            session.add(Participation(consultation_id=consultation_id, platform=ERASED, user_id=stands_for))
    return len(withdrawn)
