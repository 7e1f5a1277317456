"""anonymity that survives a copy of the database: poll keys leave the database for the key store

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from storage.keystore import KeyStore, default_directory

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key_store() -> KeyStore:
    keys = context.config.attributes.get("keys")
    return keys if keys is not None else KeyStore(default_directory(str(op.get_bind().engine.url)))


def upgrade() -> None:
    # Open polls keep working: their keys move to the key store (what the database held before stays in its
    # old write-ahead log and backups: the README says so for polls open during the upgrade).
    keys = _key_store()
    for poll_id, key in op.get_bind().execute(sa.text("SELECT poll_id, key FROM poll_key")).all():
        keys.keep(f"poll-{poll_id}", bytes(key))
    op.drop_table("poll_key")


def downgrade() -> None:
    op.create_table(
        "poll_key",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id"),
    )
