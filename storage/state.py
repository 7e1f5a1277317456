"""Small pieces of state: the generated secret, and where each resident is in a guided flow."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage.database import Database
from storage.tables import Conversation, Setting


async def secret_key(db: Database) -> bytes:
    """The button-signing secret: generated once, then read back, so buttons survive restarts."""
    async with db.read() as session:
        row = await session.get(Setting, "secret_key")
    if row is not None:
        return bytes.fromhex(row.value)
    try:
        async with db.write() as session:
            session.add(Setting(key="secret_key", value=secrets.token_hex(32)))
    except IntegrityError:
        pass  # another process generated it first; read theirs
    async with db.read() as session:
        row = await session.get(Setting, "secret_key")
    assert row is not None
    return bytes.fromhex(row.value)


async def load_conversation(db: Database, platform: str, user_id: str) -> tuple[str, dict[str, Any]] | None:
    async with db.read() as session:
        row = await session.get(Conversation, (platform, user_id))
    return None if row is None else (row.flow, json.loads(row.state))


async def save_conversation(
    db: Database, platform: str, user_id: str, flow: str, state: dict[str, Any], now: datetime
) -> None:
    async with db.write() as session:
        row = await session.get(Conversation, (platform, user_id))
        encoded = json.dumps(state, ensure_ascii=False)
        if row is None:
            session.add(
                Conversation(platform=platform, user_id=user_id, flow=flow, state=encoded, updated_at=now)
            )
        else:
            row.flow, row.state, row.updated_at = flow, encoded, now
            session.add(row)


async def clear_conversation(db: Database, platform: str, user_id: str) -> None:
    async with db.write() as session:
        await session.exec(
            delete(Conversation).where(
                col(Conversation.platform) == platform, col(Conversation.user_id) == user_id
            )
        )
