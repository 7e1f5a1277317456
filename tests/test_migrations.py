"""Starting civicbot migrates its database. Processes that start together on a fresh database (a split
deployment's first start) must not trip over each other: one migrates, the others find it done."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import Database, alembic_config, head_revision
from tests.databases import BACKENDS, database_url
from tests.sql import execute


@pytest.mark.parametrize("backend", BACKENDS)
async def test_processes_starting_together_on_a_fresh_database_migrate_it_once(backend: str, tmp_path: Path):
    async with database_url(backend, tmp_path, fresh=True) as url:
        starting = [Database(url) for _ in range(4)]
        try:
            # without turns they deadlock or collide on PostgreSQL: a bounded wait makes that a failure
            await asyncio.wait_for(asyncio.gather(*(db.migrate() for db in starting)), timeout=30)
            async with starting[0].read() as session:
                versions = (await execute(session, text("SELECT version_num FROM alembic_version"))).all()
            assert len(versions) == 1
        finally:
            for db in starting:
                await db.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_migrations_build_exactly_the_schema_the_models_describe(backend: str, tmp_path: Path):
    """A column added to a model without its migration (or the reverse) is found here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import storage.tables  # noqa: F401  (registers every table on the metadata)

    async with database_url(backend, tmp_path, fresh=True) as url:
        database = Database(url)
        try:
            await database.migrate()
            async with database.read_engine.connect() as connection:
                differences = await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
                )
        finally:
            await database.dispose()
    assert differences == []


def test_the_newest_revision_civicbot_reads_from_the_migration_files_is_alembics() -> None:
    """A start on a current schema skips loading Alembic when the database records the newest revision, read
    from the migration files; if that reading ever differed from Alembic's, a new migration would not run."""
    from alembic.script import ScriptDirectory

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_a_database_left_at_an_older_revision_is_brought_up_to_date_at_start(tmp_path: Path) -> None:
    from alembic import command

    async with database_url("sqlite", tmp_path, fresh=True) as url:
        database = Database(url)
        try:
            async with database.write_engine.begin() as connection:
                await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0003"))
            await database.migrate()
            async with database.read() as session:
                versions = (await execute(session, text("SELECT version_num FROM alembic_version"))).all()
                columns = (await execute(session, text("SELECT name FROM pragma_table_info('poll')"))).all()
        finally:
            await database.dispose()
    assert [v for (v,) in versions] == [head_revision()]
    assert ("community_id",) in columns, "the newest migration ran"


async def test_an_open_poll_s_key_leaves_the_database_for_the_key_store_at_the_upgrade(
    tmp_path: Path,
) -> None:
    """Residents of a poll open during the upgrade can still change their vote (the same key), and the
    database no longer holds it."""
    from alembic import command

    key = bytes(range(32))
    async with database_url("sqlite", tmp_path, fresh=True) as url:
        database = Database(url, key_dir=tmp_path / "keys")
        try:
            async with database.write_engine.begin() as connection:
                await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0004"))
                await connection.exec_driver_sql(
                    "INSERT INTO poll (id, question, multi, public, hidden, private_results, language, "
                    "timezone, created_at) VALUES (7, 'Q ?', 0, 0, 0, 0, 'fr', 'Europe/Paris', "
                    "'2026-11-26 09:00:00')"
                )
                await connection.exec_driver_sql("INSERT INTO poll_key (poll_id, key) VALUES (7, ?)", (key,))
            await database.migrate()
            async with database.read() as session:
                tables = (
                    await execute(session, text("SELECT name FROM sqlite_master WHERE type = 'table'"))
                ).all()
        finally:
            await database.dispose()
    assert database.keys.get("poll-7") == key
    assert ("poll_key",) not in tables


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_event_announced_before_the_upgrade_keeps_its_answers_history_and_pending_card(
    backend: str, tmp_path: Path
) -> None:
    """The word "meeting" left the schema: an event announced before, its residents' answers, its audit
    history and a card still waiting in the outbox all read as an event after the upgrade."""
    from alembic import command

    from storage.events import Counts, counts, get_event

    async with database_url(backend, tmp_path, fresh=True) as url:
        database = Database(url, key_dir=tmp_path / "keys")
        try:
            async with database.write_engine.begin() as connection:
                await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0005"))
                for statement in (
                    "INSERT INTO meeting (id, title, place, description, starts_at, timezone, language, "
                    "platform, chat_id, version, created_at) VALUES (3, 'Réunion publique', 'Mairie', '', "
                    "'2026-12-10 18:00:00', 'Europe/Paris', 'fr', 'console', 'place', 1, "
                    "'2026-12-01 09:00:00')",
                    "INSERT INTO rsvp (meeting_id, platform, user_id, answer) "
                    "VALUES (3, 'console', 'alice', 'yes')",
                    "INSERT INTO audit_entry (at, actor, action, object_type, object_id, detail) VALUES "
                    "('2026-12-01 09:00:00', 'console:mayor', 'meeting.create', 'meeting', '3', '')",
                    "INSERT INTO outbox (dedup_key, platform, recipient, payload, state, attempts, "
                    "next_attempt_at, created_at) VALUES ('event:3:card', 'console', 'console:c:place', "
                    "'{\"track\": \"meeting-calendar:3\"}', 'pending', 0, '2026-12-01 09:00:00', "
                    "'2026-12-01 09:00:00')",
                ):
                    await connection.exec_driver_sql(statement)
            await database.migrate()
            event = await get_event(database, 3)
            answers = await counts(database, 3)
            async with database.read() as session:
                history = (await execute(session, text("SELECT action, object_type FROM audit_entry"))).all()
                payload = (await execute(session, text("SELECT payload FROM outbox"))).one()
        finally:
            await database.dispose()
    assert event is not None and event.title == "Réunion publique"
    assert answers == Counts(yes=1)
    assert [tuple(row) for row in history] == [("event.create", "event")]
    assert payload[0] == '{"track": "event-calendar:3"}'


@pytest.mark.parametrize("backend", BACKENDS)
async def test_events_announced_before_the_upgrade_end_two_hours_after_their_start_and_keep_their_answers(
    backend: str, tmp_path: Path
) -> None:
    """Events get an end at 0007: the two hours Discord's scheduled events already showed; their residents'
    answers stay (a column added in place, not a copied table whose drop would cascade to them), and polls
    start at version 1, undeleted."""
    from datetime import UTC, datetime

    from alembic import command

    from storage.events import Counts, counts, get_event
    from storage.polls import get_poll

    async with database_url(backend, tmp_path, fresh=True) as url:
        database = Database(url, key_dir=tmp_path / "keys")
        try:
            async with database.write_engine.begin() as connection:
                await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0006"))
                for statement in (
                    "INSERT INTO event (id, title, place, description, starts_at, timezone, language, "
                    "platform, chat_id, version, created_at) VALUES (3, 'Réunion publique', 'Mairie', '', "
                    "'2026-12-10 18:00:00', 'Europe/Paris', 'fr', 'console', 'place', 1, "
                    "'2026-12-01 09:00:00')",
                    "INSERT INTO rsvp (event_id, platform, user_id, answer) "
                    "VALUES (3, 'console', 'alice', 'yes')",
                    "INSERT INTO poll (id, question, multi, public, hidden, private_results, language, "
                    "timezone, created_at) VALUES (7, 'Q ?', false, true, false, false, 'fr', "
                    "'Europe/Paris', '2026-11-26 09:00:00')",
                ):
                    await connection.exec_driver_sql(statement)
            await database.migrate()
            event = await get_event(database, 3)
            answers = await counts(database, 3)
            poll = await get_poll(database, 7)
        finally:
            await database.dispose()
    assert event is not None and event.ends_at == datetime(2026, 12, 10, 20, 0, tzinfo=UTC)
    assert answers == Counts(yes=1)
    assert poll is not None and poll.version == 1 and not poll.deleted
