"""Stopping civicbot, as a person running it sees it: the terminal chat fed a script exits as soon as the
script ends, and a live bot stops within seconds of SIGTERM (a service manager, a deploy) or Ctrl-C, with no
traceback and nothing lost: a message not sent yet stays pending for the next start, none is left half-sent.

These run the real `civicbot` command in a process of its own."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from storage import outbox
from storage.database import Database
from tests.fakes.telegram_api import FakeTelegramServer
from tests.test_outbox_crash import queue_broadcast

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "examples" / "place-du-marche.yaml"
SHELL_RUNS = 2  # side by side, one per core: see the test's docstring for why not more
SHELL_EXIT_WITHIN = 2.0
RUN_EXIT_WITHIN = 5.0

SCRIPT = f"""\
/poll --closes "dans 2 heures" Fermeture de la rue le dimanche ? | Oui | Non
#1
/in private
/upload {EXAMPLE}
"""
LAST_REPLY = "Lancez-la dans une communauté avec /lancer place-du-marche"


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICBOT_")}
    env.update(
        PYTHONPATH=str(ROOT),
        CIVICBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'civicbot.db'}",
        CIVICBOT_FILES_DIR=str(tmp_path / "files"),
        **extra,
    )
    return env


@asynccontextmanager
async def civicbot(
    command: str, folder: Path, env: dict[str, str], *, stdin: int, stdout: int
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The real `civicbot COMMAND` in a process of its own, in `folder`, its stderr piped to the test;
    killed if the test ends before it does."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli",
        command,
        cwd=folder,
        env=env,
        stdin=stdin,
        stdout=stdout,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def exit_of(process: asyncio.subprocess.Process) -> tuple[float, str]:
    """How long `process` takes to exit from now, and what it wrote on stderr meanwhile."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with asyncio.timeout(30):
        streams = [stream for stream in (process.stdout, process.stderr) if stream is not None]
        *_, errors = await asyncio.gather(*(stream.read() for stream in streams))
        await process.wait()
    return loop.time() - began, errors.decode()


async def read_until(stream: asyncio.StreamReader, fragment: str, within: float) -> str:
    """What `stream` printed up to the line holding `fragment`."""
    seen: list[str] = []
    async with asyncio.timeout(within):
        while line := (await stream.readline()).decode():
            seen.append(line)
            if fragment in line:
                return "".join(seen)
    raise AssertionError(f"the output ended without {fragment!r}:\n{''.join(seen)}")


async def one_shell_session(tmp_path: Path) -> float:
    """Feed the script, wait for its last reply, close the input; how long the shell took to exit."""
    pipe = asyncio.subprocess.PIPE
    async with civicbot("shell", tmp_path, environment(tmp_path), stdin=pipe, stdout=pipe) as process:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(SCRIPT.encode())
        await process.stdin.drain()
        await read_until(process.stdout, LAST_REPLY, within=40)
        process.stdin.close()  # the end of the script
        took, errors = await exit_of(process)
    assert process.returncode == 0
    assert errors == "", "nothing on stderr: no traceback, no scheduler warning"
    return took


@pytest.mark.timeout(120)  # two processes start on a machine busy with the rest of the suite
async def test_the_terminal_chat_fed_a_script_exits_promptly_every_time(tmp_path: Path) -> None:
    """Each run's clock starts when its input closes, so what is measured is the way out, and that way has
    nothing that differs from one run to the next: the end of input ends the read loop, `App.stop` sets the
    deadline runner's and the dispatcher's stop events and awaits their tasks (asleep, or finishing one
    bounded step: there is no timer, retry or random choice on this path), the database closes, and the
    process ends with `os._exit` instead of tearing the interpreter down. What does vary is the machine's
    load, so the runs go side by side, each loading the machine for the other while it exits. Twenty runs
    (this test until December 2026) measured that same path twenty times and spent about 30 s of the suite
    mostly starting Python (~1.3 s of imports and migrations per process); two prove the same promise —
    exit code 0, nothing on stderr, out within 2 s of the end of input — for a tenth of the time. The
    script leaves the background parts with something to hold (a poll with a deadline, an uploaded
    consultation), as a resident's session would."""

    async def session(n: int) -> float:
        folder = tmp_path / str(n)
        folder.mkdir()
        return await one_shell_session(folder)

    took = await asyncio.gather(*(session(n) for n in range(SHELL_RUNS)))
    slow = [round(t, 2) for t in took if t > SHELL_EXIT_WITHIN]
    assert not slow, f"runs that took more than {SHELL_EXIT_WITHIN} s to exit: {slow} (all: {took})"


# -- civicbot run -----------------------------------------------------------------------------------------

RECIPIENTS = [30_000 + n for n in range(300)]


async def outbox_counts(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        return await outbox.counts(db)
    finally:
        await db.dispose()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
async def test_a_live_bot_stops_within_seconds_mid_broadcast_and_loses_nothing(
    tmp_path: Path, signum: signal.Signals
) -> None:
    env = environment(tmp_path, CIVICBOT_OUTBOX_RATES="telegram:50", CIVICBOT_LOG_LEVEL="INFO")
    url = env["CIVICBOT_DATABASE_URL"]
    await queue_broadcast(url, RECIPIENTS)
    async with FakeTelegramServer() as telegram:
        for user in RECIPIENTS:
            telegram.start_private(user, f"Habitant {user}")
        env.update(CIVICBOT_TELEGRAM_TOKEN=telegram.token, CIVICBOT_TELEGRAM_API_URL=telegram.base_url)
        nothing = asyncio.subprocess.DEVNULL
        async with civicbot("run", tmp_path, env, stdin=nothing, stdout=nothing) as process:
            assert process.stderr is not None
            await read_until(process.stderr, "civicbot is running", within=40)
            await telegram.wait_until(lambda: telegram.delivered_total >= 20, timeout=30)
            process.send_signal(signum)
            took, errors = await exit_of(process)
        delivered = telegram.delivered_total

    assert took <= RUN_EXIT_WITHIN, f"stopped {took:.1f} s after the signal"
    assert process.returncode == 0
    assert "Traceback" not in errors and " ERROR " not in errors, errors
    counts = await outbox_counts(url)
    assert counts.get("sending", 0) == 0, "no message left half-sent"
    assert counts.get("sent", 0) == delivered, "every message delivered is recorded as sent"
    assert counts.get("pending", 0) == len(RECIPIENTS) - delivered > 0, "the rest waits for the next start"
