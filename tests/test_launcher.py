"""`civicbot run --only …`: one process runs every part of the bot (the adapters receiving updates, the
deadline scheduler, the outbox dispatcher), or only those named, so that on PostgreSQL the parts can be split
across processes. The command passes exactly the chosen parts, and the launcher starts exactly those."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters import cli, launcher
from bot.app import App
from bot.clock import ManualClock
from bot.formatting import PLAIN, doc, render
from bot.inbound import ChatRef, Inbound, MessageRef
from bot.outbox.codec import reply_to_json
from bot.replies import Reply, Send
from config.settings import Settings
from storage import events as event_store
from storage import outbox as outbox_store
from storage.database import Database

# -- the command -------------------------------------------------------------------------------------------


@pytest.fixture
def launched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[frozenset[str]]]:
    """`civicbot run` with a token, whose launcher records the parts it was given instead of running."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("CIVICBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'run.db'}")
    # with no token at all `run` opens the terminal chat instead of launching the platforms
    monkeypatch.setenv("CIVICBOT_TELEGRAM_TOKEN", "123:not-a-real-token")
    monkeypatch.delenv("CIVICBOT_DISCORD_TOKEN", raising=False)
    monkeypatch.setattr(cli, "_logging", lambda settings: None)  # the process's logging, not the test's
    calls: list[frozenset[str]] = []

    async def run_platforms(settings: Settings, parts: frozenset[str]) -> None:
        calls.append(parts)

    monkeypatch.setattr(launcher, "run_platforms", run_platforms)
    yield calls


@pytest.mark.parametrize("part", launcher.PARTS)
def test_run_only_a_part_launches_that_part_alone(launched: list[frozenset[str]], part: str) -> None:
    result = CliRunner().invoke(cli.app, ["run", "--only", part])
    assert result.exit_code == 0, result.output
    assert launched == [frozenset({part})]


def test_several_only_options_are_combined(launched: list[frozenset[str]]) -> None:
    result = CliRunner().invoke(cli.app, ["run", "--only", "scheduler", "--only", "dispatcher"])
    assert result.exit_code == 0, result.output
    assert launched == [frozenset({"scheduler", "dispatcher"})]


def test_run_without_only_launches_every_part(launched: list[frozenset[str]]) -> None:
    result = CliRunner().invoke(cli.app, ["run"])
    assert result.exit_code == 0, result.output
    assert launched == [frozenset({"adapters", "scheduler", "dispatcher"})]


def test_an_unknown_part_is_refused_with_the_parts_there_are_and_nothing_is_launched(
    launched: list[frozenset[str]],
) -> None:
    result = CliRunner().invoke(cli.app, ["run", "--only", "dispatcher", "--only", "webhooks"])
    assert result.exit_code == 2
    assert "--only prend adapters, scheduler, dispatcher ; pas webhooks." in result.stderr
    assert launched == []


def test_only_without_a_token_is_refused_rather_than_opening_the_terminal_chat(
    launched: list[frozenset[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CIVICBOT_TELEGRAM_TOKEN")
    result = CliRunner().invoke(cli.app, ["run", "--only", "dispatcher"], input="")
    assert result.exit_code == 2
    assert "--only lance une partie d'un bot en ligne, qui a besoin de CIVICBOT_TELEGRAM" in result.stderr
    assert launched == []


# -- the launcher ------------------------------------------------------------------------------------------


class FakePlatform:
    """A platform with a token, as `configured_platforms` would build it: it attaches itself to the runtime
    when built, records how it is started and stopped, and what the dispatcher hands it."""

    platform = "fake"
    answer_after = 0.0  # seconds the platform takes to confirm a message it has received

    def __init__(self, app: App) -> None:
        self.app = app
        self.started: list[bool] = []  # `receive` of each start
        self.stopped = False
        self.delivered: list[Reply] = []
        self.got_delivery = asyncio.Event()
        app.runtime.attach(self)

    async def start(self, *, receive: bool = True) -> None:
        self.started.append(receive)

    async def stop(self) -> None:
        self.stopped = True

    async def deliver(self, reply: Reply, *, event: Inbound | None) -> MessageRef | None:
        assert isinstance(reply, Send)
        self.delivered.append(reply)
        self.got_delivery.set()
        await asyncio.sleep(self.answer_after)
        return MessageRef(reply.to, str(len(self.delivered)))

    async def finish(self, event: Inbound) -> None:
        return None


@dataclass
class Running:
    """What one `run_platforms` was seen doing while it ran, and its platform."""

    parts: frozenset[str]
    platform: FakePlatform | None = None
    scheduler: bool = False  # the deadline runner was running
    dispatcher: bool = False  # the outbox dispatcher's task was running


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'launcher.db'}")


async def run(
    settings: Settings,
    parts: set[str],
    monkeypatch: pytest.MonkeyPatch,
    *,
    until: Callable[[Running], Awaitable[object]] | None = None,
) -> Running:
    """Run `parts` as `civicbot run --only` would, until they are all up (and `until` is done), then stop
    them with SIGTERM, as a service manager would.

    The launcher says it is up by freezing its start-up objects, right after starting the platforms and
    right before waiting for a signal: replacing that hook (which would also freeze the test session's
    objects) tells the test when to look. The stop is the real one: `run_platforms` installs its SIGTERM
    handler on this event loop, so signalling our own process sets its stop event and nothing else."""
    seen = Running(frozenset(parts))
    up = asyncio.Event()

    def platforms(app: App, settings: Settings) -> list[launcher.Platform]:
        seen.platform = FakePlatform(app)
        return [seen.platform]

    monkeypatch.setattr(launcher, "configured_platforms", platforms)
    monkeypatch.setattr(launcher, "freeze_start_up_objects", up.set)
    task = asyncio.create_task(launcher.run_platforms(settings, seen.parts))
    try:
        waiting = asyncio.create_task(up.wait())
        await asyncio.wait({task, waiting}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if task.done():
            task.result()  # it failed on the way up: show why
        assert up.is_set(), "the launcher did not come up"
        assert seen.platform is not None
        app = seen.platform.app
        seen.scheduler = app.deadlines.running
        # the dispatcher offers no public "running": its background task is what `start()` creates
        seen.dispatcher = app.dispatcher._task is not None and not app.dispatcher._task.done()
        if until is not None:
            await asyncio.wait_for(until(seen), timeout=10)
    finally:
        if up.is_set():  # its signal handlers are installed: stop it the way a service manager would
            os.kill(os.getpid(), signal.SIGTERM)
        else:  # without them a SIGTERM would end the test session
            task.cancel()
        await asyncio.wait({task}, timeout=10)
    task.result()
    assert seen.platform.stopped, "the platform is stopped with the process"
    assert not app.deadlines.running and app.dispatcher._task is None, "and the app with it"
    return seen


@pytest.mark.parametrize(
    ("parts", "scheduler", "dispatcher", "receive"),
    [
        pytest.param({"dispatcher"}, False, True, False, id="dispatcher"),
        pytest.param({"scheduler"}, True, False, False, id="scheduler"),
        pytest.param({"adapters"}, False, False, True, id="adapters"),
        pytest.param({"scheduler", "dispatcher"}, True, True, False, id="scheduler+dispatcher"),
        pytest.param(set(launcher.PARTS), True, True, True, id="all"),
    ],
)
async def test_each_part_is_started_only_when_named_and_platforms_receive_only_with_the_adapters(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    parts: set[str],
    scheduler: bool,
    dispatcher: bool,
    receive: bool,
) -> None:
    seen = await run(settings, parts, monkeypatch)
    assert seen.scheduler is scheduler
    assert seen.dispatcher is dispatcher
    assert seen.platform is not None
    assert seen.platform.started == [receive], "started once, receiving updates only as the adapters part"


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait for what a part does in the background, as the database shows it (`run` bounds the wait)."""
    while not await check():  # noqa: ASYNC110 (another part's work: the database has no event to wait on)
        await asyncio.sleep(0.02)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The database the parts share, as the test sees it."""
    db = Database(settings.database_url)
    await db.migrate()
    yield db
    await db.dispose()


async def test_a_scheduler_process_decides_a_due_reminder_and_a_dispatcher_process_then_delivers_it(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    await event_store.create_event(  # in half an hour; its one-hour reminder fell due while nothing ran
        database,
        title="Public event",
        place="Village hall",
        description="",
        starts_at=now + timedelta(minutes=30),
        ends_at=now + timedelta(minutes=150),
        timezone="Europe/Paris",
        language="en",
        platform="fake",
        chat_id="square",
        reminder_offsets="1h",
        created_by=None,
        actor="test",
        now=now - timedelta(hours=2),
    )

    async def decided() -> bool:
        return bool(await outbox_store.counts(database))

    scheduler = await run(settings, {"scheduler"}, monkeypatch, until=lambda seen: eventually(decided))
    assert await outbox_store.counts(database) == {"pending": 1}
    assert scheduler.platform is not None and scheduler.platform.delivered == [], "deciding is not sending"

    async def sent() -> bool:
        return await outbox_store.counts(database) == {"sent": 1}

    dispatcher = await run(settings, {"dispatcher"}, monkeypatch, until=lambda seen: eventually(sent))
    assert dispatcher.platform is not None and dispatcher.platform.started == [False], "sending only"
    [reply] = dispatcher.platform.delivered
    assert isinstance(reply, Send) and reply.to.chat_id == "square"
    assert "Public event" in render(reply.body, PLAIN)


async def test_a_dispatcher_stopped_while_a_send_is_in_flight_lets_it_finish_and_records_it_sent(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = Send(to=ChatRef("fake", "square"), body=doc("Rappel : réunion publique ce soir"))
    async with database.write() as session:
        outgoing = outbox_store.Outgoing("k1", "fake", reply.to.key, reply_to_json(reply))
        await outbox_store.enqueue(session, [outgoing], now=datetime.now(UTC))
    monkeypatch.setattr(FakePlatform, "answer_after", 0.2)

    async def received(seen: Running) -> None:
        assert seen.platform is not None
        await seen.platform.got_delivery.wait()

    seen = await run(settings, {"dispatcher"}, monkeypatch, until=received)  # SIGTERM before the answer
    assert seen.platform is not None and len(seen.platform.delivered) == 1

    # the next dispatcher, once the stopped one's lease has expired
    later = App.build(
        settings, clock=ManualClock(datetime.now(UTC) + timedelta(seconds=settings.outbox_lease + 1))
    )
    await later.start(scheduler=False, dispatcher=False)
    again = FakePlatform(later)
    try:
        await later.dispatcher.drain()
    finally:
        await later.stop()
    assert again.delivered == [], "a message delivered before a clean stop is not sent again"
    assert await outbox_store.counts(database) == {"sent": 1}
