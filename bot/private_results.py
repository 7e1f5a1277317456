"""Results kept from the communities (`results_public: false`, `/poll --private-results`) go to organizers.

At the close the communities learn only that it closed and how many took part; the full results go to the
private chats of `organizers_to_notify`, through the outbox in the closing transaction, as every decided
message does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.inbound import ChatRef
from config.settings import Settings
from storage.tables import CommunityAdmin, Resident


@dataclass(frozen=True, slots=True)
class Organizer:
    chat: ChatRef  # their private chat with the bot
    language: str | None  # the language they chose, if any


async def organizers_to_notify(
    session: AsyncSession,
    settings: Settings,
    *,
    community_id: int | None,
    created_by: int | None,
    platforms: Iterable[str],
) -> list[Organizer]:
    """Who receives the results of a poll or consultation its communities do not see: the administrators
    of the community it belongs to who opened a private chat with the bot (the bot may not write first to
    the others), its author while it belongs to no community, and the global admins (`CIVICBOT_ADMINS`) on
    the platforms where it was posted."""
    found: dict[str, Organizer] = {}
    people: list[Resident] = []
    if community_id is not None:
        administrators = (
            select(Resident)
            .join(CommunityAdmin, col(CommunityAdmin.resident_id) == col(Resident.id))
            .where(CommunityAdmin.community_id == community_id, col(Resident.private_chat_open))
        )
        people.extend((await session.exec(administrators)).all())
    elif created_by is not None and (author := await session.get(Resident, created_by)) is not None:
        people.append(author)
    for person in people:
        chat = ChatRef.private(person.platform, person.user_id)
        found[chat.key] = Organizer(chat, person.language)
    wanted = set(platforms) | {organizer.chat.platform for organizer in found.values()}
    for identity in sorted(settings.admin_identities):
        platform, _, user_id = identity.partition(":")
        if platform not in wanted or not user_id:
            continue
        chat = ChatRef.private(platform, user_id)
        if chat.key not in found:
            mine = select(Resident.language).where(Resident.platform == platform, Resident.user_id == user_id)
            found[chat.key] = Organizer(chat, (await session.exec(mine)).first())
    return list(found.values())
