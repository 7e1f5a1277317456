"""Shared fixtures: databases on both backends, and the scenario driver of each platform."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import select
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import SupportsIndex

import pytest

from storage.database import Database
from tests.databases import BACKENDS, database_url, drop_template
from tests.drivers.base import Driver


def _sleep_without_clock_nanosleep(seconds: float | SupportsIndex) -> None:
    select.select([], [], [], float(seconds))


BROKEN_SLEEP = (
    "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1"
)
if BROKEN_SLEEP:
    # libfaketime 0.9.10 with the monotonic clock left alone makes clock_nanosleep fail (EINVAL), which is
    # all of Python's time.sleep: the run with the wall clock moved would fail for that alone.
    time.sleep = _sleep_without_clock_nanosleep


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Under that libfaketime, run in this one process: pytest-xdist's workers would sleep before this
    conftest can mend their time.sleep."""
    if BROKEN_SLEEP:
        config.option.numprocesses = 0


# Every scenario runs on each of these: the console on both databases, the platforms on SQLite.
# Each driver module exposes `make_driver(database_url, tmp_path)` returning a started-able driver.
DRIVERS = [
    pytest.param(("console", "sqlite"), id="console-sqlite"),
    pytest.param(("console", "postgresql"), id="console-postgresql", marks=pytest.mark.postgres),
    pytest.param(("telegram", "sqlite"), id="telegram-sqlite"),
    pytest.param(("discord", "sqlite"), id="discord-sqlite"),
]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The random order's seed, shown even with -q, so that an order-dependent failure can be replayed."""
    seed = getattr(config.option, "randomly_seed", None)
    if seed is not None and not hasattr(config, "workerinput"):
        terminalreporter.write_line(
            f"tests ran in random order; replay it with: pytest -p randomly --randomly-seed={seed}"
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the migrated PostgreSQL template this process copied its test databases from, if it made one,
    whether the tests passed or not."""
    drop_template()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def deadline_runner_errors_fail_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """A deadline pass that raised fails the test that started the runner, instead of being a log line
    nobody reads (a test about such failures says so with `@pytest.mark.deadline_errors`)."""
    handler = _Records()
    logger = logging.getLogger("bot.deadlines")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if handler.records and request.node.get_closest_marker("deadline_errors") is None:
        messages = "; ".join(record.getMessage() for record in handler.records)
        pytest.fail(f"the deadline runner logged errors: {messages}")


@pytest.fixture(autouse=True)
async def nothing_left_running() -> AsyncIterator[None]:
    """Every task a test started is finished at its teardown: a task left behind is what used to hang the
    run when the event loop closed."""
    before = asyncio.all_tasks()
    yield
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2.0
    while left := {t for t in asyncio.all_tasks() - before if t is not asyncio.current_task()}:
        if loop.time() > deadline:
            names = sorted(t.get_name() + " " + repr(t.get_coro()) for t in left)
            pytest.fail(f"{len(left)} task(s) still running after the test: {names}")
        await asyncio.sleep(0.02)


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def db(db_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(db_url, key_dir=tmp_path / "keys")
    await database.migrate()
    yield database
    await database.dispose()


@pytest.fixture(params=BACKENDS)
async def console_driver(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Driver]:
    """The console driver on both databases: for what the engine alone decides, whatever the platform."""
    async with database_url(request.param, tmp_path) as url:
        from tests.drivers.console import make_driver

        instance = make_driver(url, tmp_path)
        await instance.start()
        try:
            yield instance
        finally:
            await instance.stop()


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
