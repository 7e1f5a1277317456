"""consultations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 07:11:37.887787
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.columns

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("definition", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("results_public", sa.Boolean(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("opens_at", storage.columns.UTCDateTime(), nullable=True),
        sa.Column("closes_at", storage.columns.UTCDateTime(), nullable=False),
        sa.Column("closed_at", storage.columns.UTCDateTime(), nullable=True),
        sa.Column("opening_announced", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.columns.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["resident.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultation_closes_at"), ["closes_at"], unique=False)

    op.create_table(
        "consultation_draft",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("answers", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("current", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("ranking", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("editing", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("updated_at", storage.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("consultation_id", "platform", "user_id"),
    )
    op.create_table(
        "consultation_launch",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("launched_at", storage.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("consultation_id", "platform", "chat_id"),
    )
    op.create_table(
        "participation",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("consultation_id", "platform", "user_id"),
    )
    op.create_table(
        "submission",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("receipt", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_consultation_id"), ["consultation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_submission_receipt"), ["receipt"], unique=False)

    op.create_table(
        "answer",
        sa.Column("submission_id", sa.String(length=24), nullable=False),
        sa.Column("question", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("option", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("number", sa.Float(), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("submission_id", "question", "position"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_answer_values", ["consultation_id", "question", "option", "rank", "number"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_values")

    op.drop_table("answer")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_receipt"))
        batch_op.drop_index(batch_op.f("ix_submission_consultation_id"))

    op.drop_table("submission")
    op.drop_table("participation")
    op.drop_table("consultation_launch")
    op.drop_table("consultation_draft")
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_closes_at"))

    op.drop_table("consultation")
