"""Consultation drafts as stored: of an anonymous consultation, sealed under a key of the draft's own.

A draft of an anonymous consultation sits next to its resident's id (that is how they resume it), so its
answers and where the resident stands are sealed (storage/sealing.py) under a key in the key store named
after the consultation and a hash of the identity. The key is destroyed when the draft is sent, at /forget
and at the close: every copy of the draft (a dead row, the write-ahead log, a backup) is then noise. A named
consultation's draft stays in clear: its answers are linked to the resident by design.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import delete
from sqlmodel import col

from storage.database import Database
from storage.keystore import KeyStore
from storage.sealing import Unreadable, seal, unseal
from storage.tables import Consultation, ConsultationDraft

SEALED_FIELDS = ("answers", "current", "ranking", "editing")


def draft_key_name(consultation_id: int, platform: str, user_id: str) -> str:
    """The key store's name of one resident's draft key (the identity hashed: the key directory's listing
    names nobody either)."""
    digest = hashlib.sha256(f"{platform}:{user_id}".encode()).hexdigest()[:32]
    return f"draft-{consultation_id}-{digest}"


def draft_key_prefix(consultation_id: int) -> str:
    return f"draft-{consultation_id}-"


def _context(draft: ConsultationDraft) -> str:
    return f"draft\n{draft.consultation_id}\n{draft.platform}:{draft.user_id}"


def sealed_row(draft: ConsultationDraft, key: bytes) -> ConsultationDraft:
    """The row to store for `draft`: its clear columns at their defaults, what they held in `sealed`."""
    content = {name: getattr(draft, name) for name in SEALED_FIELDS}
    return ConsultationDraft(
        consultation_id=draft.consultation_id,
        platform=draft.platform,
        user_id=draft.user_id,
        updated_at=draft.updated_at,
        sealed=seal(key, json.dumps(content).encode(), context=_context(draft)),
    )


def opened(keys: KeyStore, row: ConsultationDraft) -> ConsultationDraft | None:
    """The draft as its resident left it, or None when it no longer opens (its key was destroyed: the draft
    was sent, forgotten or its consultation closed meanwhile). A clear row (named, or from before sealing)
    is returned as it is."""
    if row.sealed is None:
        return row
    key = keys.get(draft_key_name(row.consultation_id, row.platform, row.user_id))
    if key is None:
        return None
    try:
        content = json.loads(unseal(key, row.sealed, context=_context(row)))
    except Unreadable:
        return None
    return ConsultationDraft(
        consultation_id=row.consultation_id,
        platform=row.platform,
        user_id=row.user_id,
        updated_at=row.updated_at,
        **{name: content.get(name) for name in SEALED_FIELDS},
    )


async def load_draft(
    db: Database, consultation_id: int, platform: str, user_id: str
) -> ConsultationDraft | None:
    """The resident's draft as they left it (opened when sealed), or None (never started, sent, or its key
    destroyed)."""
    async with db.read() as session:
        row = await session.get(ConsultationDraft, (consultation_id, platform, user_id))
    return None if row is None else opened(db.keys, row)


async def save_draft(db: Database, draft: ConsultationDraft) -> None:
    """Store the draft, sealed when its consultation is anonymous (its key created on first save); a closed
    consultation takes no draft any more (the close erased them)."""
    async with db.write() as session:
        consultation = await session.get(Consultation, draft.consultation_id)
        if consultation is None or consultation.closed_at is not None:
            return
        row = draft
        if consultation.anonymous:
            key = await db.keys.obtain(draft_key_name(draft.consultation_id, draft.platform, draft.user_id))
            row = sealed_row(draft, key)
        await session.merge(row)


async def delete_draft(db: Database, consultation_id: int, platform: str, user_id: str) -> None:
    async with db.write() as session:
        await session.exec(
            delete(ConsultationDraft).where(
                col(ConsultationDraft.consultation_id) == consultation_id,
                col(ConsultationDraft.platform) == platform,
                col(ConsultationDraft.user_id) == user_id,
            )
        )
    await db.keys.destroy(draft_key_name(consultation_id, platform, user_id))
