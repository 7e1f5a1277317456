"""How the database names one person, and the pseudonyms that stand for a forgotten one (what each feature
stores about a person: its storage part, `storage/*_personal_data.py` and storage/personal_data.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import Resident

ERASED = "erased"  # `participation.platform` of a forgotten resident's row; its `user_id` is a pseudonym
ERASED_ACTOR = "erased:"  # prefix of a forgotten organizer's pseudonym in the audit log


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


async def resident_of(session: AsyncSession, account: Account) -> Resident | None:
    """Their resident row, if they have one."""
    query = select(Resident).where(Resident.platform == account.platform, Resident.user_id == account.user_id)
    return (await session.exec(query)).first()


async def resident_id(session: AsyncSession, account: Account) -> int | None:
    resident = await resident_of(session, account)
    return resident.id if resident is not None else None
