"""Shared fixtures: databases on both backends, and the scenario driver of each platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.database import Database
from tests.databases import BACKENDS, database_url
from tests.drivers.console import ConsoleDriver, console_settings

# Scenario drivers: the console on both databases; platform drivers join as their adapters land.
DRIVERS = [
    pytest.param(("console", "sqlite"), id="console-sqlite"),
    pytest.param(("console", "postgresql"), id="console-postgresql", marks=pytest.mark.postgres),
]


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
async def driver(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ConsoleDriver]:
    platform, backend = request.param
    async with database_url(backend, tmp_path) as url:
        if platform == "console":
            instance = ConsoleDriver(console_settings(url, tmp_path), tmp_path)
        else:  # pragma: no cover - filled in by the platform adapters
            raise NotImplementedError(platform)
        await instance.start()
        try:
            yield instance
        finally:
            await instance.stop()
