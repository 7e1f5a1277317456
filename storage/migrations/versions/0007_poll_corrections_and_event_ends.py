"""polls can be corrected before their first vote (`poll.version`) and deleted (`poll.deleted_at`, the row
kept as a tombstone); events have an end (`event.ends_at`: events announced before get their start + 2 h,
what Discord's scheduled events were already shown)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 21:00:00
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_DURATION = timedelta(hours=2)  # (bot/events/spec.py's, as it was when this migration was written)


# A column is added in place, never by copying the table (SQLite's way to change a column): the copy drops the
# old table, and with foreign keys on, that deletes the rows that cascade from it (an event's answers).
# `ends_at` therefore starts with a placeholder default (SQLite adds a NOT NULL column only with one), filled
# at once; PostgreSQL then drops the default, SQLite keeps it (nothing ever writes an event without its end).
PLACEHOLDER = sa.text("'1970-01-01 00:00:00'")


def upgrade() -> None:
    op.add_column("poll", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("poll", sa.Column("deleted_at", sa.DateTime(), nullable=True))
    op.add_column("event", sa.Column("ends_at", sa.DateTime(), nullable=False, server_default=PLACEHOLDER))
    # computed here rather than in SQL: the two databases write date arithmetic differently, and SQLAlchemy
    # reads and writes SQLite's text dates the way the application does
    event = sa.table(
        "event",
        sa.column("id", sa.Integer()),
        sa.column("starts_at", sa.DateTime()),
        sa.column("ends_at", sa.DateTime()),
    )
    bind = op.get_bind()
    for event_id, starts_at in bind.execute(sa.select(event.c.id, event.c.starts_at)).all():
        bind.execute(
            sa.update(event).where(event.c.id == event_id).values(ends_at=starts_at + DEFAULT_DURATION)
        )
    if bind.dialect.name == "postgresql":
        op.alter_column("event", "ends_at", server_default=None)


def downgrade() -> None:
    op.drop_column("event", "ends_at")
    op.drop_column("poll", "deleted_at")
    op.drop_column("poll", "version")
