"""What is deleted to keep answers anonymous is gone from the database files too, not only from the tables:
someone who copies the SQLite files (`civicbot.db` and its write-ahead log `-wal`) while the bot runs, right
after a poll closed or a resident sent an anonymous consultation, finds neither the poll's key nor the draft
that sat next to the resident's id (which is sealed anyway: tests/test_consultation_sealing.py reads the
files, and PostgreSQL's pages and write-ahead log, while the consultation is open and after it closed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from storage import consultations as consultation_store
from storage import polls as poll_store
from storage.database import Database
from storage.tables import Consultation, ConsultationDraft

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def files_of(database: Path) -> bytes:
    """Every byte an attacker copying the database while it runs would get."""
    return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*") if p.is_file())


async def started(tmp_path: Path) -> tuple[Database, Path]:
    path = tmp_path / "civicbot.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    return db, path


async def test_a_closed_poll_s_key_is_in_no_database_file(tmp_path: Path):
    db, path = await started(tmp_path)
    try:
        poll = await poll_store.create_poll(
            db, question="Q ?", options=["A", "B"], multi=False, public=False, hidden=False,
            language="fr", timezone="Europe/Paris", closes_at=None, posts=[], created_by=None,
            actor="console:alice", now=NOW,
        )  # fmt: skip
        key = await poll_store.poll_key(db, poll.id)
        assert key is not None, "while open, a key exists by design (to let residents change their vote)"
        assert key not in files_of(path), "but never in the database, even while open"
        assert key in b"".join(p.read_bytes() for p in db.keys.directory.iterdir())
        assert await poll_store.close_poll(db, poll.id, now=NOW, actor="console:alice")
        assert await poll_store.poll_key(db, poll.id) is None
        assert key not in files_of(path)
        assert not db.keys.directory.exists() or list(db.keys.directory.iterdir()) == [], "its file is gone"
    finally:
        await db.dispose()


async def test_a_sent_anonymous_draft_is_in_no_database_file(tmp_path: Path):
    db, path = await started(tmp_path)
    try:
        row = Consultation(
            slug="place", title="Place", definition="{}", source="", anonymous=True, closes_at=NOW,
            created_at=NOW,
        )  # fmt: skip
        consultation = await consultation_store.save_consultation(db, row, actor="console:alice", now=NOW)
        secret = "Mon voisin du 12 est trop bruyant"
        await consultation_store.save_draft(
            db,
            ConsultationDraft(
                consultation_id=consultation.id or 0, platform="console", user_id="bob-4242",
                answers=f'{{"pourquoi": "{secret}"}}', updated_at=NOW,
            ),
        )  # fmt: skip
        assert secret.encode() not in files_of(path), "an anonymous draft is sealed"
        key = consultation_store.draft_key_name(consultation.id or 0, "console", "bob-4242")
        draft_key = db.keys.get(key)
        assert draft_key is not None and draft_key not in files_of(path)
        piece = consultation_store.AnswerPiece("autre", text="rien")
        await consultation_store.submit(
            db, consultation, platform="console", user_id="bob-4242", pieces=[piece], editing=None
        )
        assert secret.encode() not in files_of(path)
        assert db.keys.get(key) is None, "sent: its key is destroyed"
    finally:
        await db.dispose()
