"""Everything stored that names one resident: gathered for /mydata, erased or anonymized by /forget.

The database names a person by their platform account (`platform`, `user_id`; `platform:user_id` as an audit
actor; their private chat's key as an outbox recipient), by their resident row's id, and by their display
name (a public poll's closing announcement lists voters). `tests/test_personal_data_coverage.py` classifies
every column of every table as naming a resident or not, so that a new one cannot be forgotten.

Each feature handles what it stores (its personal-data hooks, bot/feature.py), with its storage part:
storage/polls_personal_data.py, storage/consultations_personal_data.py, storage/events_personal_data.py;
this module holds the resident's own rows (profile, communities, messages to their private chat, audit
entries, the guided flow in progress), /forget's one transaction (`forgetting`), and `erase`, which erases
what all the built-in features store at once, for callers without an engine.

What /forget cannot find stays unlinked by construction: ballots of closed anonymous polls (their key is
gone) and answers to anonymous consultations (only a receipt the resident holds leads to them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database
from storage.erasure import ERASED as ERASED
from storage.erasure import ERASED_ACTOR as ERASED_ACTOR
from storage.erasure import Account as Account
from storage.erasure import participation_pseudonym as participation_pseudonym
from storage.erasure import pseudonym as pseudonym
from storage.erasure import resident_of
from storage.polls_personal_data import Announcements as Announcements
from storage.tables import (
    AuditEntry,
    Community,
    CommunityAdmin,
    CommunityMember,
    Conversation,
    OutboxMessage,
    Resident,
)

T = TypeVar("T")

AUDIT_SHOWN = 20  # /mydata shows the latest organizer actions, and how many there are in all


@dataclass
class ResidentData:
    """The resident's own rows."""

    resident: Resident | None = None
    administers: list[Community] = field(default_factory=list)
    member_of: list[Community] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)  # to their private chat
    flow: str | None = None
    audit: list[AuditEntry] = field(default_factory=list)  # the latest AUDIT_SHOWN
    audit_total: int = 0


async def gather(session: AsyncSession, account: Account) -> ResidentData:
    """The resident's own rows (for /mydata)."""
    found = ResidentData()
    found.resident = await resident_of(session, account)
    rid = found.resident.id if found.resident is not None else None
    if rid is not None:
        found.administers = await _communities(session, CommunityAdmin, rid)
        found.member_of = await _communities(session, CommunityMember, rid)
    found.messages = list(
        (
            await session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == account.private_chat)
                .order_by(col(OutboxMessage.id))
            )
        ).all()
    )
    conversation = await session.get(Conversation, (account.platform, account.user_id))
    found.flow = conversation.flow if conversation is not None else None
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


async def erase_resident(session: AsyncSession, account: Account, key: bytes) -> None:
    """The resident's own rows: the guided flow, messages waiting for their private chat, their community
    links and profile deleted; their audit entries kept under a pseudonym (`key` makes it). Last in the
    transaction: the features' parts find the resident's id before it goes."""
    identity = account.identity
    await session.exec(
        delete(Conversation).where(
            col(Conversation.platform) == account.platform, col(Conversation.user_id) == account.user_id
        )
    )
    await session.exec(delete(OutboxMessage).where(col(OutboxMessage.recipient) == account.private_chat))
    await session.exec(
        update(AuditEntry)
        .where(col(AuditEntry.actor) == identity)
        .values(actor=ERASED_ACTOR + pseudonym(key, "audit", identity))
    )
    resident = await resident_of(session, account)
    if resident is not None and resident.id is not None:
        for link in (CommunityAdmin, CommunityMember):
            await session.exec(delete(link).where(col(link.resident_id) == resident.id))
        await session.exec(delete(Resident).where(col(Resident.id) == resident.id))


async def forgetting(db: Database, erase: Callable[[AsyncSession], Awaitable[tuple[T, Sequence[str]]]]) -> T:
    """/forget's one transaction: `erase` runs in it, and returns what it changed and the keys that sealed
    rows it erased (destroyed once it is committed); then what named the resident leaves the write-ahead log
    too."""
    async with db.write() as session:
        changed, keys = await erase(session)
    await db.keys.destroy(*keys)
    await db.shred()
    return changed
