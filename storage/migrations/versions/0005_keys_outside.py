"""anonymity that survives a copy of the database: poll keys leave the database for the key store; an
anonymous consultation's drafts are sealed, and its submissions wait sealed before shuffled batches

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
    # Drafts started before the upgrade stay readable (clear, `sealed` NULL), sealed at their next save.
    with op.batch_alter_table("consultation_draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
    op.create_table(
        "sealed_submission",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("edit", sa.Boolean(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("sealed_submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sealed_submission_consultation_id"), ["consultation_id"], unique=False
        )


def downgrade() -> None:
    # (sealed submissions still waiting are lost: downgrade before a consultation opens, or after it closed)
    with op.batch_alter_table("sealed_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sealed_submission_consultation_id"))
    op.drop_table("sealed_submission")
    with op.batch_alter_table("consultation_draft", schema=None) as batch_op:
        batch_op.drop_column("sealed")
    op.create_table(
        "poll_key",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id"),
    )
