"""Residents and communities: who the bot has met, and where."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.database import Database, dialect_insert
from storage.tables import Community, CommunityAdmin, CommunityMember, Resident


async def find_resident(db: Database, platform: str, user_id: str) -> Resident | None:
    async with db.read() as session:
        query = select(Resident).where(Resident.platform == platform, Resident.user_id == user_id)
        return (await session.exec(query)).first()


async def ensure_resident(
    db: Database, *, platform: str, user_id: str, display_name: str, now: datetime
) -> Resident:
    """The resident's row, created on first need; the display name follows the platform's. Simultaneous
    first contacts (a crowd of taps of someone new) create one row: the others find it."""
    async with db.write() as session:
        query = select(Resident).where(Resident.platform == platform, Resident.user_id == user_id)
        resident = (await session.exec(query)).first()
        if resident is None:
            row = Resident(
                platform=platform, user_id=user_id, display_name=display_name[:128], created_at=now
            )
            statement = dialect_insert(db.is_postgres)(Resident).values(row.model_dump(exclude={"id"}))
            await session.exec(statement.on_conflict_do_nothing(index_elements=["platform", "user_id"]))
            resident = (await session.exec(query)).one()
        elif resident.display_name != display_name[:128]:
            resident.display_name = display_name[:128]
            session.add(resident)
        return resident


async def update_resident(db: Database, resident_id: int, **values: object) -> None:
    async with db.write() as session:
        await session.exec(update(Resident).where(col(Resident.id) == resident_id).values(**values))


async def ensure_community(
    db: Database, *, platform: str, chat_id: str, title: str, now: datetime
) -> Community:
    async with db.write() as session:
        query = select(Community).where(Community.platform == platform, Community.chat_id == chat_id)
        community = (await session.exec(query)).first()
        if community is None:
            community = Community(platform=platform, chat_id=chat_id, title=title[:256], created_at=now)
            session.add(community)
            await session.flush()
        elif title and community.title != title[:256]:
            community.title = title[:256]
            session.add(community)
        return community


async def set_community_admin(db: Database, community_id: int, resident_id: int, is_admin: bool) -> None:
    async with db.write() as session:
        link = await session.get(CommunityAdmin, (community_id, resident_id))
        if is_admin and link is None:
            session.add(CommunityAdmin(community_id=community_id, resident_id=resident_id))
        elif not is_admin and link is not None:
            await session.delete(link)


async def communities_administered(db: Database, resident_id: int) -> list[Community]:
    async with db.read() as session:
        query = (
            select(Community)
            .join(CommunityAdmin, col(CommunityAdmin.community_id) == col(Community.id))
            .where(CommunityAdmin.resident_id == resident_id)
            .order_by(Community.title)
        )
        return list((await session.exec(query)).all())


async def find_community(db: Database, platform: str, chat_id: str) -> Community | None:
    async with db.read() as session:
        query = select(Community).where(Community.platform == platform, Community.chat_id == chat_id)
        return (await session.exec(query)).first()


async def community_id_in(session: AsyncSession, platform: str, chat_id: str) -> int | None:
    """The id of the community behind a chat, within an open transaction (None for an unknown chat)."""
    query = select(Community.id).where(Community.platform == platform, Community.chat_id == chat_id)
    return (await session.exec(query)).first()


async def add_member(db: Database, community_id: int, resident_id: int) -> None:
    """Remember that a resident writes in a community (what scopes their private lookups)."""
    async with db.write() as session:
        if await session.get(CommunityMember, (community_id, resident_id)) is None:
            session.add(CommunityMember(community_id=community_id, resident_id=resident_id))


async def communities_joined(db: Database, resident_id: int) -> list[Community]:
    """The communities a resident administers or has been seen writing in."""
    async with db.read() as session:
        members = select(CommunityMember.community_id).where(CommunityMember.resident_id == resident_id)
        admins = select(CommunityAdmin.community_id).where(CommunityAdmin.resident_id == resident_id)
        query = (
            select(Community).where(col(Community.id).in_(members.union(admins))).order_by(Community.title)
        )
        return list((await session.exec(query)).all())


async def all_communities(db: Database) -> list[Community]:
    async with db.read() as session:
        return list((await session.exec(select(Community).order_by(Community.title))).all())


async def residents_with_language(db: Database) -> list[Resident]:
    async with db.read() as session:
        return list((await session.exec(select(Resident).where(col(Resident.language).is_not(None)))).all())


async def update_community(
    db: Database, community_id: int, *, actor: str, now: datetime, **values: object
) -> None:
    """Change a community's settings; an organizer action, so audited in the same transaction."""
    async with db.write() as session:
        await session.exec(update(Community).where(col(Community.id) == community_id).values(**values))
        detail = ", ".join(f"{key}={value}" for key, value in values.items())
        audit.record(
            session,
            at=now,
            actor=actor,
            action="community.update",
            object_type="community",
            object_id=community_id,
            detail=detail,
        )
