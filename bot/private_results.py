"""Results kept from the communities (`results_public: false`, `/poll --private-results`) go to organizers.

At the close the communities learn only that it closed and how many took part; the full results go to the
private chats of `organizers_to_notify`, through the outbox in the closing transaction, as every decided
message does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.events import ChatRef
from config.settings import Settings
from storage.tables import Resident


@dataclass(frozen=True, slots=True)
class Organizer:
    chat: ChatRef  # their private chat with the bot
    language: str | None  # the language they chose, if any


async def organizers_to_notify(
    session: AsyncSession, settings: Settings, *, created_by: int | None, platforms: Iterable[str]
) -> list[Organizer]:
    """Who receives the results of a poll or consultation its communities do not see: for now its author
    and the global admins (`CIVICBOT_ADMINS`) on the platforms where it was posted. This is the one place
    to change when organizers become the owning community's administrators."""
    found: dict[str, Organizer] = {}
    if created_by is not None:
        author = await session.get(Resident, created_by)
        if author is not None:
            chat = ChatRef.private(author.platform, author.user_id)
            found[chat.key] = Organizer(chat, author.language)
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
