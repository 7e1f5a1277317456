"""Anonymous consultations with several processes on one database and one key directory: a resident's one
submission and its changes hold whichever process takes them, and a process killed mid-way loses no
acknowledged submission and counts none twice."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from sqlmodel import func, select

from bot.clock import ManualClock
from bot.engine import Engine
from bot.features import FEATURES
from bot.replies import Notice
from config.settings import Settings
from storage import consultations as store
from storage.database import Database
from storage.tables import AnswerRow, Consultation, Participation, Submission
from tests.consultation_crash_worker import choice_of
from tests.standalone_engine import START, command, press, private, said
from tests.test_consultation_submission import COMPLETE, consultation, draft, receipt_of, send

ROOT = Path(__file__).resolve().parent.parent
RESIDENTS = 40


@asynccontextmanager
async def workers(url: str, key_dir: Path, count: int) -> AsyncIterator[list[Engine]]:
    """`count` engines, as separate processes of one deployment would be: same database, same key store."""
    settings = Settings(
        _env_file=None,
        database_url=url,
        admins=["console:alice"],
        secret_key="a test key",
        default_language="fr",
        key_dir=key_dir,
    )
    started: list[Engine] = []
    try:
        for _ in range(count):
            engine = Engine(
                Database(url, key_dir=key_dir), settings, clock=ManualClock(START), features=FEATURES
            )
            await engine.start()
            started.append(engine)
        yield started
    finally:
        for engine in started:
            await engine.stop()
            await engine.db.dispose()


async def test_one_submission_per_resident_and_its_changes_hold_across_two_workers(
    db_url: str, tmp_path: Path
):
    """Bob sends on the first worker, changes his answers through his receipt on the second, then sends
    again from the first: one submission, and the close counts the changed answers."""
    async with workers(db_url, tmp_path / "keys", 2) as (first, second):
        loaded = await consultation(first)
        await draft(first, loaded, "bob", COMPLETE)
        secret = receipt_of(first, await send(first, loaded, "bob"))

        opened = await second.handle(press(second.signer.sign("ce", secret), "bob", chat=private("bob")))
        assert any("Trop de voitures" in text for text in said(opened)), "the second worker opens it"
        editing = await store.load_draft(second.db, loaded.id, "console", "bob")
        assert editing is not None and editing.editing is not None
        await draft(second, loaded, "bob", {**COMPLETE, "frequence": "rarement"}, editing=editing.editing)
        assert "Your answers are recorded." in said(await send(second, loaded, "bob"))[0]

        again = await first.handle(command("consult", "bob", "place-test", chat=private("bob")))
        assert any("already answered" in text for text in said(again))
        await draft(first, loaded, "bob", COMPLETE)  # (a draft from another device, say)
        assert await send(first, loaded, "bob") == [
            Notice(text="You have already answered this consultation.", alert=True)
        ]

        await first.consultations.close(loaded.id, actor="civicbot")
        async with first.db.read() as session:
            options = (
                await session.exec(
                    select(AnswerRow.option).where(
                        AnswerRow.consultation_id == loaded.id, AnswerRow.question == "frequence"
                    )
                )
            ).all()
        assert options == ["rarement"], "one submission, with the changed answers"
        assert await store.submission_count(first.db, loaded.id) == 1


async def test_a_worker_killed_mid_way_loses_no_acknowledged_submission_and_counts_none_twice(
    db_url: str, tmp_path: Path
):
    """A process sending 40 residents' answers is killed (SIGKILL) at a random moment after some were
    acknowledged; a new process sends every resident again (those already in are refused as such). After the
    close: one submission per resident, each resident's choice counted once."""
    key_dir = tmp_path / "keys"
    db = Database(db_url, key_dir=key_dir)
    try:
        row = Consultation(
            slug="arbres", title="Arbres", definition="{}", source="", anonymous=True,
            closes_at=START + timedelta(days=30), created_at=START,
        )  # fmt: skip
        saved = await store.save_consultation(db, row, actor="console:alice", now=START)
        assert saved.id is not None
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        arguments = [db_url, str(key_dir), "arbres", str(RESIDENTS)]
        acknowledged: set[int] = set()
        killed = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.consultation_crash_worker", *arguments,
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            assert killed.stdout is not None
            kill_after = random.randint(6, 25)
            while len(acknowledged) < kill_after:
                line = await asyncio.wait_for(killed.stdout.readline(), timeout=30)
                assert line, "the worker stopped before the kill"
                acknowledged.add(int(line.split()[1]))
        finally:
            killed.send_signal(signal.SIGKILL)
            await killed.wait()
        assert len(acknowledged) < RESIDENTS, "killed mid-way"

        finishing = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.consultation_crash_worker", *arguments,
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        output, errors = await asyncio.wait_for(finishing.communicate(), timeout=60)
        assert finishing.returncode == 0, errors.decode()[-2000:]
        second: dict[int, str] = {
            int(n): word for word, n in (line.split() for line in output.decode().split("\n") if line)
        }
        assert {n for n, word in second.items() if word == "done"} >= acknowledged, (
            "what was acknowledged stays"
        )
        assert set(second) == set(range(RESIDENTS))

        assert await store.close_consultation(db, saved.id, now=START, actor="civicbot")
        async with db.read() as session:
            taking_part = (
                await session.exec(select(func.count()).where(Participation.consultation_id == saved.id))
            ).one()
            written = (
                await session.exec(select(func.count()).where(Submission.consultation_id == saved.id))
            ).one()
            choices = Counter(
                (
                    await session.exec(select(AnswerRow.option).where(AnswerRow.consultation_id == saved.id))
                ).all()
            )
        assert taking_part == written == RESIDENTS, "one submission per resident, none lost, none twice"
        assert choices == Counter(choice_of(n) for n in range(RESIDENTS))
        assert db.keys.names() == []
    finally:
        await db.dispose()
