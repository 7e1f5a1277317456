"""A real civicbot process is killed (SIGKILL) in the middle of a 1,000-recipient broadcast to the Telegram
fake, then started again: every recipient gets the message, and at most one gets it twice (the one in flight
at the kill), as the README promises."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.formatting import doc
from bot.inbound import ChatRef
from bot.outbox.codec import reply_to_json
from bot.replies import Send
from storage import outbox
from storage.database import Database
from tests.fakes.telegram_api import FakeTelegramServer

RECIPIENTS = [20_000 + n for n in range(500)]
ROOT = Path(__file__).resolve().parent.parent


async def queue_broadcast(url: str, recipients: list[int] = RECIPIENTS) -> None:
    """A reminder for each of `recipients` in private, pending in the outbox of the database at `url`."""
    db = Database(url)
    await db.migrate()
    messages = []
    for user in recipients:
        reply = Send(
            to=ChatRef.private("telegram", str(user)), body=doc("Rappel : réunion publique ce soir, 19 h.")
        )
        messages.append(
            outbox.Outgoing(
                f"event:1:reminder:1h:telegram:{user}", "telegram", reply.to.key, reply_to_json(reply)
            )
        )
    async with db.write() as session:
        await outbox.enqueue(session, messages, now=datetime.now(UTC))
    await db.dispose()


async def all_sent(db: Database) -> bool:
    return (await outbox.counts(db)).get("sent", 0) == len(RECIPIENTS)


async def start_worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.crash_worker", cwd=ROOT, env=env, stderr=asyncio.subprocess.DEVNULL
    )


async def test_a_broadcast_killed_mid_way_is_completed_after_restart_with_at_most_one_duplicate(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    await queue_broadcast(url)
    async with FakeTelegramServer() as telegram:
        for user in RECIPIENTS:
            telegram.start_private(user, f"Habitant {user}")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CIVICBOT_DATABASE_URL": url,
            "CIVICBOT_TELEGRAM_TOKEN": telegram.token,
            "CIVICBOT_TELEGRAM_API_URL": telegram.base_url,
            "CIVICBOT_OUTBOX_RATES": "telegram:300",
            "CIVICBOT_OUTBOX_LEASE": "1",
            "CIVICBOT_LOG_LEVEL": "WARNING",
        }
        first = await start_worker(env)
        await telegram.wait_until(lambda: telegram.delivered_total >= 150, timeout=60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = telegram.delivered_total
        assert at_kill < len(RECIPIENTS), "the kill happened in the middle of the broadcast"

        second = await start_worker(env)
        db = Database(url)
        try:
            # every row recorded as sent, the one in flight at the kill included once its lease expired:
            # from then on nothing is left to send, so no later duplicate can come (no sleep needed)
            await telegram.wait_until(lambda: all_sent(db), timeout=90)
        finally:
            await db.dispose()
            second.terminate()
            await second.wait()

    received = [telegram.delivered[user] for user in RECIPIENTS]
    assert min(received) == 1, "every recipient got the message"
    assert sum(received) - len(RECIPIENTS) <= 1, (
        "at most the one message in flight at the kill was sent twice"
    )
