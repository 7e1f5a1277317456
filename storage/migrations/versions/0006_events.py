"""one word for events: the `meeting` table becomes `event`, and `rsvp.meeting_id` becomes `rsvp.event_id`;
audit entries and messages waiting in the outbox follow, so history reads the same word and a card delivered
after the upgrade is still recognized

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Card and calendar tracks a pending message carries (bot/events/feature.py declares the new names).
TRACKS = (('"meeting-calendar:', '"event-calendar:'), ('"meeting:', '"event:'))


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)
    for column in ("starts_at", "community_id"):
        op.drop_index(f"ix_{old}_{column}", table_name=new)
        op.create_index(f"ix_{new}_{column}", new, [column], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER SEQUENCE {old}_id_seq RENAME TO {new}_id_seq")
        op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT fk_{old}_community_id TO fk_{new}_community_id")


def _tracks(pairs: Sequence[tuple[str, str]]) -> None:
    for old, new in pairs:
        op.execute(
            f"UPDATE outbox SET payload = REPLACE(payload, '{old}', '{new}') "
            "WHERE state IN ('pending', 'sending')"
        )


def upgrade() -> None:
    _rename("meeting", "event")
    op.execute("ALTER TABLE rsvp RENAME COLUMN meeting_id TO event_id")
    op.execute("UPDATE audit_entry SET object_type = 'event' WHERE object_type = 'meeting'")
    op.execute("UPDATE audit_entry SET action = 'event' || SUBSTR(action, 8) WHERE action LIKE 'meeting.%'")
    _tracks(TRACKS)


def downgrade() -> None:
    _tracks([(new, old) for old, new in TRACKS])
    op.execute("UPDATE audit_entry SET action = 'meeting' || SUBSTR(action, 6) WHERE action LIKE 'event.%'")
    op.execute("UPDATE audit_entry SET object_type = 'meeting' WHERE object_type = 'event'")
    op.execute("ALTER TABLE rsvp RENAME COLUMN event_id TO meeting_id")
    _rename("event", "meeting")
