"""residents' proposals: the proposals, their supports, follows and dated steps, and each community's
proposal settings (a table of the feature's own: empty columns follow the deployment's defaults)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.columns

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int | None = None) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _resident_link(table: str) -> None:
    """A table of one row per resident and proposal (a support, a follow)."""
    op.create_table(
        table,
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("proposal_id", "resident_id"),
    )
    op.create_index(f"ix_{table}_resident_id", table, ["resident_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "proposal_settings",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("moderation", sa.Boolean(), nullable=True),
        sa.Column("threshold", sa.Integer(), nullable=True),
        sa.Column("answer_days", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("community_id"),
    )
    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("show_name", sa.Boolean(), nullable=False),
        sa.Column("title", _text(120), nullable=False),
        sa.Column("description", _text(1000), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("language", _text(8), nullable=False),
        sa.Column("created_at", storage.columns.UTCDateTime(), nullable=False),
        sa.Column("published_at", storage.columns.UTCDateTime(), nullable=True),
        sa.Column("threshold_reached_at", storage.columns.UTCDateTime(), nullable=True),
        sa.Column("answer_due_at", storage.columns.UTCDateTime(), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("message_id", _text(64), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["resident.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_proposal_answer_due_at", "proposal", ["answer_due_at"], unique=False)
    op.create_index("ix_proposal_author_id", "proposal", ["author_id"], unique=False)
    op.create_index("ix_proposal_community_status", "proposal", ["community_id", "status"], unique=False)
    _resident_link("proposal_support")
    _resident_link("proposal_follow")
    op.create_table(
        "proposal_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("at", storage.columns.UTCDateTime(), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("text", _text(1000), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["resident.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_proposal_step_proposal_id", "proposal_step", ["proposal_id"], unique=False)


def downgrade() -> None:
    for table in ("proposal_step", "proposal_follow", "proposal_support", "proposal", "proposal_settings"):
        op.drop_table(table)  # (its indexes go with it)
