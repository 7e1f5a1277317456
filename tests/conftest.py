"""Shared fixtures: databases on both backends, and the scenario driver of each platform."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.database import Database
from tests.databases import BACKENDS, database_url, drop_template
from tests.drivers.base import Driver

# Every scenario runs on each of these: the console on both databases, the platforms on SQLite.
# Each driver module exposes `make_driver(database_url, tmp_path)` returning a started-able driver.
DRIVERS = [
    pytest.param(("console", "sqlite"), id="console-sqlite"),
    pytest.param(("console", "postgresql"), id="console-postgresql", marks=pytest.mark.postgres),
    pytest.param(("telegram", "sqlite"), id="telegram-sqlite"),
    pytest.param(("discord", "sqlite"), id="discord-sqlite"),
]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the migrated PostgreSQL template this process copied its test databases from, if it made one,
    whether the tests passed or not."""
    drop_template()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.migrate()
    yield database
    await database.dispose()


@pytest.fixture(params=DRIVERS)
async def driver(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Driver]:
    platform, backend = request.param
    async with database_url(backend, tmp_path) as url:
        module = importlib.import_module(f"tests.drivers.{platform}")
        instance = module.make_driver(url, tmp_path)
        await instance.start()
        try:
            yield instance
        finally:
            await instance.stop()
