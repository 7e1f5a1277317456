"""communities own their polls, consultations and events; community members; private poll results

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNED = ("poll", "consultation", "meeting")

# Existing rows get the community they were first posted, launched or announced in.
BACKFILL = {
    "poll": """UPDATE poll SET community_id = (
        SELECT community.id FROM poll_post JOIN community
          ON community.platform = poll_post.platform AND community.chat_id = poll_post.chat_id
        WHERE poll_post.poll_id = poll.id ORDER BY poll_post.posted_at, community.id LIMIT 1)""",
    "consultation": """UPDATE consultation SET community_id = (
        SELECT community.id FROM consultation_launch JOIN community
          ON community.platform = consultation_launch.platform
         AND community.chat_id = consultation_launch.chat_id
        WHERE consultation_launch.consultation_id = consultation.id
        ORDER BY consultation_launch.launched_at, community.id LIMIT 1)""",
    "meeting": """UPDATE meeting SET community_id = (
        SELECT community.id FROM community
        WHERE community.platform = meeting.platform AND community.chat_id = meeting.chat_id)""",
}


def upgrade() -> None:
    op.create_table(
        "community_member",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("community_id", "resident_id"),
    )
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("community_id", sa.Integer(), nullable=True))
            batch_op.create_index(f"ix_{table}_community_id", ["community_id"], unique=False)
            batch_op.create_foreign_key(
                f"fk_{table}_community_id", "community", ["community_id"], ["id"], ondelete="SET NULL"
            )
        op.execute(BACKFILL[table])
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("private_results", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("private_results")
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_community_id", type_="foreignkey")
            batch_op.drop_index(f"ix_{table}_community_id")
            batch_op.drop_column("community_id")
    op.drop_table("community_member")
