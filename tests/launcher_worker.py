"""A second civicbot process for tests/test_reminders_processes.py: an App of its own on the database named by
CIVICBOT_DATABASE_URL, on a clock the test sets, that decides due reminders and drains the outbox when told.

One JSON object per line each way (stdin → stdout):
    {"decide": "2026-11-27T18:00:01+00:00"}  →  {"offered": 3}          the clock moves to that instant first
    {"drain": true}                          →  {"delivered": [7, 9]}   outbox row ids, in the order sent
It writes {"ready": true} once started, and stops at the end of its input.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from bot.app import App
from bot.clock import ManualClock
from bot.events.reminders import decide_due
from bot.inbound import Inbound, MessageRef
from bot.replies import Reply, Send
from config.settings import Settings


class Recorder:
    """The console platform as the dispatcher sees it: records the outbox row of each message it is handed
    (the dispatcher gives every Send the idempotency key `civicbot-<row id>`)."""

    platform = "console"

    def __init__(self) -> None:
        self.rows: list[int] = []

    async def deliver(self, reply: Reply, *, event: Inbound | None) -> MessageRef | None:
        assert isinstance(reply, Send) and reply.idempotency_key is not None
        self.rows.append(int(reply.idempotency_key.removeprefix("civicbot-")))
        return MessageRef(reply.to, str(len(self.rows)))

    async def finish(self, event: Inbound) -> None:
        return None

    def take(self) -> list[int]:
        rows, self.rows = self.rows, []
        return rows


def answer(message: dict[str, object]) -> None:
    print(json.dumps(message), flush=True)


async def main() -> None:
    clock = ManualClock(datetime.now(UTC))
    app = App.build(Settings(_env_file=None), clock=clock)
    await app.start(scheduler=False, dispatcher=False)
    app.dispatcher.batch = 1  # claim row by row, so that two dispatchers really share the rows
    recorder = Recorder()
    app.runtime.attach(recorder)
    answer({"ready": True})
    try:
        while line := await asyncio.to_thread(sys.stdin.readline):
            command = json.loads(line)
            if "decide" in command:
                clock.set(datetime.fromisoformat(command["decide"]))
                answer({"offered": await decide_due(app.engine)})
            elif "drain" in command:
                await app.dispatcher.drain()
                answer({"delivered": recorder.take()})
    finally:
        await app.stop()


if __name__ == "__main__":
    asyncio.run(main())
