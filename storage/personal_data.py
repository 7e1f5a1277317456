"""Everything stored that names one resident: gathered for /mydata, erased or anonymized by /forget.

The database names a person by their platform account (`platform`, `user_id`; `platform:user_id` as an audit
actor; their private chat's key as an outbox recipient), by their resident row's id, and by their display
name (a public poll's closing announcement lists voters). `tests/test_personal_data_coverage.py` classifies
every column of every table as naming a resident or not, so that a new one cannot be forgotten here.

What /forget cannot find stays unlinked by construction: ballots of closed anonymous polls (their key is
gone) and answers to anonymous consultations (only a receipt the resident holds leads to them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, delete, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.ballots import public_voter, voter_key
from storage.database import Database
from storage.drafts import draft_key_name, opened
from storage.outbox import Outgoing, encode_payload
from storage.polls import announcement_key, open_anonymous_keys
from storage.tables import (
    AnswerRow,
    AuditEntry,
    Ballot,
    Community,
    CommunityAdmin,
    CommunityMember,
    Consultation,
    ConsultationDraft,
    Conversation,
    Meeting,
    OutboxMessage,
    Participation,
    Poll,
    Resident,
    Rsvp,
    Submission,
)

ERASED = "erased"  # `participation.platform` of a forgotten resident's row; its `user_id` is a pseudonym
ERASED_ACTOR = "erased:"  # prefix of a forgotten organizer's pseudonym in the audit log
AUDIT_SHOWN = 20  # /mydata shows the latest organizer actions, and how many there are in all


def pseudonym(key: bytes, scope: str, identity: str) -> str:
    """A one-way keyed digest of `identity` within `scope`: the same person in the same scope always gets the
    same value (so one submission per resident still holds, and an organizer's audit entries stay together),
    two scopes give unrelated values, and nobody without the key can compute or reverse it."""
    digest = hmac.new(key, f"erasure\n{scope}\n{identity}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def participation_pseudonym(key: bytes, consultation_id: int, identity: str) -> str:
    """What stands for a forgotten resident in `participation` (its `user_id`, under `platform` ERASED)."""
    return pseudonym(key, f"participation:{consultation_id}", identity)


@dataclass(frozen=True, slots=True)
class Account:
    """One person as the database names them."""

    platform: str
    user_id: str
    private_chat: str  # the outbox's recipient key of their private chat (ChatRef.private(...).key)

    @property
    def identity(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class TookPart:
    consultation: Consultation
    named: bool  # a named submission: the answers are linked to the resident


@dataclass(frozen=True, slots=True)
class Created:
    """Something the resident created (a poll, a consultation, an event), by its number or id."""

    kind: str  # "poll", "consultation" or "meeting"
    ref: str
    title: str


@dataclass
class PersonalData:
    """Everything that names one resident, read in one transaction."""

    resident: Resident | None = None
    administers: list[Community] = field(default_factory=list)
    member_of: list[Community] = field(default_factory=list)
    anonymous_votes: dict[int, list[int]] = field(default_factory=dict)  # open anonymous polls only
    public_votes: dict[int, list[int]] = field(default_factory=dict)
    took_part: list[TookPart] = field(default_factory=list)
    drafts: list[tuple[ConsultationDraft, str]] = field(default_factory=list)  # with the title
    rsvps: list[tuple[Meeting, str]] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)  # to their private chat
    naming: list[OutboxMessage] = field(default_factory=list)  # announcements that list their name
    flow: str | None = None
    created: list[Created] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)  # the latest AUDIT_SHOWN
    audit_total: int = 0

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.resident,
                self.administers,
                self.member_of,
                self.anonymous_votes,
                self.public_votes,
                self.took_part,
                self.drafts,
                self.rsvps,
                self.messages,
                self.naming,
                self.flow,
                self.created,
                self.audit_total,
            )
        )


async def gather(db: Database, account: Account) -> PersonalData:
    """Everything stored that names `account` (for /mydata)."""
    found = PersonalData()
    platform, user_id = account.platform, account.user_id
    async with db.read() as session:
        found.resident = (
            await session.exec(
                select(Resident).where(Resident.platform == platform, Resident.user_id == user_id)
            )
        ).first()
        rid = found.resident.id if found.resident is not None else None
        if rid is not None:
            found.administers = await _communities(session, CommunityAdmin, rid)
            found.member_of = await _communities(session, CommunityMember, rid)
            found.public_votes = await _choices(session, col(Ballot.resident_id) == rid)
        found.anonymous_votes = await _anonymous_choices(db, session, account.identity)
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
        rsvps = await session.exec(
            select(Meeting, Rsvp.answer)
            .join(Rsvp, col(Rsvp.meeting_id) == col(Meeting.id))
            .where(Rsvp.platform == platform, Rsvp.user_id == user_id)
            .order_by(col(Meeting.starts_at))
        )
        found.rsvps = [(meeting, answer) for meeting, answer in rsvps.all()]
        found.messages = list(
            (
                await session.exec(
                    select(OutboxMessage)
                    .where(OutboxMessage.recipient == account.private_chat)
                    .order_by(col(OutboxMessage.id))
                )
            ).all()
        )
        closed = await _closed_public_polls(session, rid)
        found.naming = await _announcements(session, closed)
        conversation = await session.get(Conversation, (platform, user_id))
        found.flow = conversation.flow if conversation is not None else None
        if rid is not None:
            found.created = await _created(session, rid)
        actor = AuditEntry.actor == account.identity
        found.audit_total = (await session.exec(select(func.count()).where(actor))).one()
        latest = select(AuditEntry).where(actor).order_by(col(AuditEntry.id).desc()).limit(AUDIT_SHOWN)
        found.audit = list(reversed((await session.exec(latest)).all()))
    return found


async def _communities(
    session: AsyncSession, link: type[CommunityAdmin | CommunityMember], rid: int
) -> list[Community]:
    query = (
        select(Community)
        .join(link, col(link.community_id) == col(Community.id))
        .where(link.resident_id == rid)
        .order_by(col(Community.title))
    )
    return list((await session.exec(query)).all())


async def _choices(session: AsyncSession, *where: ColumnElement[bool]) -> dict[int, list[int]]:
    rows = await session.exec(
        select(Ballot.poll_id, Ballot.option).where(*where).order_by(col(Ballot.option))
    )
    choices: dict[int, list[int]] = defaultdict(list)
    for poll_id, option in rows.all():
        choices[poll_id].append(option)
    return dict(choices)


async def _anonymous_voters(db: Database, session: AsyncSession, identity: str) -> list[tuple[int, str]]:
    """(poll, the resident's pseudonym in it) for every open anonymous poll: its key still exists."""
    keys = await open_anonymous_keys(db, session)
    return [(poll_id, voter_key(key, identity)) for poll_id, key in sorted(keys.items())]


async def _anonymous_choices(db: Database, session: AsyncSession, identity: str) -> dict[int, list[int]]:
    choices: dict[int, list[int]] = {}
    voters = await _anonymous_voters(db, session, identity)
    for start in range(0, len(voters), 200):
        chunk = voters[start : start + 200]
        choices.update(
            await _choices(
                session, or_(*(and_(col(Ballot.poll_id) == p, col(Ballot.voter) == v) for p, v in chunk))
            )
        )
    return choices


async def _closed_public_polls(session: AsyncSession, rid: int | None) -> list[int]:
    if rid is None:
        return []
    query = (
        select(Ballot.poll_id)
        .join(Poll, col(Poll.id) == col(Ballot.poll_id))
        .where(Ballot.resident_id == rid, col(Poll.closed_at).is_not(None))
        .distinct()
    )
    return sorted((await session.exec(query)).all())


async def _announcements(session: AsyncSession, poll_ids: Sequence[int]) -> list[OutboxMessage]:
    """The closing announcements of these polls, whatever their state (a sent one's text is kept too)."""
    rows: list[OutboxMessage] = []
    for poll_id in poll_ids:
        query = select(OutboxMessage).where(
            col(OutboxMessage.dedup_key).startswith(announcement_key(poll_id))
        )
        rows.extend((await session.exec(query.order_by(col(OutboxMessage.id)))).all())
    return rows


async def _created(session: AsyncSession, rid: int) -> list[Created]:
    created = [
        Created("poll", str(pid), question)
        for pid, question in (
            await session.exec(
                select(Poll.id, Poll.question).where(Poll.created_by == rid).order_by(col(Poll.id))
            )
        ).all()
    ]
    created.extend(
        Created("consultation", slug, title)
        for slug, title in (
            await session.exec(
                select(Consultation.slug, Consultation.title)
                .where(Consultation.created_by == rid)
                .order_by(col(Consultation.id))
            )
        ).all()
    )
    created.extend(
        Created("meeting", str(mid), title)
        for mid, title in (
            await session.exec(
                select(Meeting.id, Meeting.title).where(Meeting.created_by == rid).order_by(col(Meeting.id))
            )
        ).all()
    )
    return created


# -- erasing ------------------------------------------------------------------------------------------------

Announcements = Callable[[AsyncSession, int], Awaitable[list[Outgoing]]]


@dataclass(frozen=True, slots=True)
class Erased:
    """What /forget changed that others see."""

    withdrawn: int  # open polls whose vote was withdrawn
    answers_withdrawn: int  # open named consultations whose answers were withdrawn
    polls: list[int]  # polls whose cards change (a vote withdrawn, or a name removed)
    meetings: list[int]  # events whose counts change
    created_polls: list[int]  # polls that no longer have an author
    rewritten: list[OutboxMessage]  # sent announcements whose text changed (to edit where they were posted)


async def erase(
    db: Database,
    account: Account,
    *,
    key: bytes,
    announcements: Announcements,
    also: Sequence[Callable[[AsyncSession, Account], Awaitable[None]]] = (),
) -> Erased:
    """Erase or anonymize everything that names `account`, in one transaction. `key` makes the pseudonyms
    that stand for them where a trace must stay; `announcements` renders a closed poll's results announcements
    as they read now (after the resident's name left its ballots), to rewrite those waiting or kept; `also`
    erases what other features store (their personal-data hooks, bot/feature.py), in the same transaction."""
    platform, user_id, identity = account.platform, account.user_id, account.identity
    async with db.write() as session:
        resident = (
            await session.exec(
                select(Resident).where(Resident.platform == platform, Resident.user_id == user_id)
            )
        ).first()
        rid = resident.id if resident is not None else None

        # polls: votes in open polls withdrawn, public ballots of closed ones kept and linked to nobody
        withdrawn: set[int] = set()
        for poll_id, voter in await _anonymous_voters(db, session, identity):
            result = await session.exec(
                delete(Ballot).where(col(Ballot.poll_id) == poll_id, col(Ballot.voter) == voter)
            )
            if result.rowcount:
                withdrawn.add(poll_id)
        closed: list[int] = []
        if rid is not None:
            closed = await _closed_public_polls(session, rid)
            mine = or_(col(Ballot.resident_id) == rid, col(Ballot.voter) == public_voter(rid))
            open_public = set((await session.exec(select(Ballot.poll_id).where(mine))).all()) - set(closed)
            if open_public:
                await session.exec(delete(Ballot).where(mine, col(Ballot.poll_id).in_(open_public)))
                withdrawn |= open_public
            for poll_id in closed:
                await session.exec(
                    update(Ballot)
                    .where(col(Ballot.poll_id) == poll_id, mine)
                    .values(resident_id=None, voter="x" + secrets.token_urlsafe(16))
                )
        rewritten = await _rewrite_announcements(session, closed, announcements)

        # consultations: named answers withdrawn while open, kept linked to nobody once closed; taking part
        # becomes a pseudonym, so that one submission per resident still holds
        answers_withdrawn = await _erase_submissions(session, account, key)

        meetings = sorted(
            set(
                (
                    await session.exec(
                        select(Rsvp.meeting_id).where(Rsvp.platform == platform, Rsvp.user_id == user_id)
                    )
                ).all()
            )
        )
        drafted = (
            await session.exec(
                select(ConsultationDraft.consultation_id).where(
                    ConsultationDraft.platform == platform, ConsultationDraft.user_id == user_id
                )
            )
        ).all()
        for identified in (Rsvp, ConsultationDraft, Conversation):
            await session.exec(
                delete(identified).where(
                    col(identified.platform) == platform, col(identified.user_id) == user_id
                )
            )
        await session.exec(delete(OutboxMessage).where(col(OutboxMessage.recipient) == account.private_chat))
        await session.exec(
            update(AuditEntry)
            .where(col(AuditEntry.actor) == identity)
            .values(actor=ERASED_ACTOR + pseudonym(key, "audit", identity))
        )

        created_polls: list[int] = []
        if rid is not None:
            created_polls = [
                pid
                for pid in (await session.exec(select(Poll.id).where(col(Poll.created_by) == rid))).all()
                if pid is not None
            ]
            for created in (Poll, Consultation, Meeting):
                await session.exec(
                    update(created).where(col(created.created_by) == rid).values(created_by=None)
                )
            for link in (CommunityAdmin, CommunityMember):
                await session.exec(delete(link).where(col(link.resident_id) == rid))
            await session.exec(delete(Resident).where(col(Resident.id) == rid))
        for erase_theirs in also:
            await erase_theirs(session, account)
    await db.keys.destroy(
        *(draft_key_name(cid, platform, user_id) for cid in drafted)
    )  # sealed drafts: noise
    await db.shred()  # what named them leaves the write-ahead log too
    return Erased(
        withdrawn=len(withdrawn),
        answers_withdrawn=answers_withdrawn,
        polls=sorted(withdrawn | set(closed)),
        meetings=meetings,
        created_polls=created_polls,
        rewritten=rewritten,
    )


async def _rewrite_announcements(
    session: AsyncSession, poll_ids: list[int], announcements: Announcements
) -> list[OutboxMessage]:
    """Rewrite the closing announcements of these polls as they read now; an announcement that can no longer
    be rendered is deleted. Returns the sent ones (their posted copies can then be edited)."""
    sent: list[OutboxMessage] = []
    for poll_id in poll_ids:
        fresh = {o.dedup_key: o for o in await announcements(session, poll_id)}
        for row in await _announcements(session, [poll_id]):
            now_reads = fresh.get(row.dedup_key)
            if now_reads is None:
                await session.delete(row)
                continue
            row.payload = encode_payload(now_reads.payload)
            session.add(row)
            if row.message_id is not None:
                sent.append(row)
    return sent


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
