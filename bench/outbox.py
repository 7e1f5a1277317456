"""Outbox dispatch: 10,000 queued messages drained by 1 or 2 worker processes into a sink.

Two measures: against a sink enforcing a rate limit (achieved / limit, 429s, lost, duplicated), and against
no limit (messages per second the dispatcher sustains) on SQLite and PostgreSQL. Each worker process runs
the real dispatcher on the shared database; its sink records every message key it receives, and the parent
merges them to count what was lost or sent twice.

    python -m bench.outbox [--messages 10000] [--limit 500] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import report, throwaway_database
from bot.formatting import doc
from bot.inbound import ChatRef, Inbound, MessageRef
from bot.outbox.codec import reply_to_json
from bot.replies import DeliveryError, Reply, Send
from config.settings import Settings


class Sink:
    """A platform taking at most `limit` messages a second (a token bucket of one), like a strict API."""

    platform = "sink"

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.received: list[str] = []
        self.too_many = 0
        self.first = self.last = 0.0
        self._allowance_at = 0.0

    async def deliver(self, reply: Reply, *, event: Inbound | None) -> MessageRef | None:
        assert isinstance(reply, Send)
        if self.limit:
            now = time.monotonic()
            if now < self._allowance_at - 0.5 / self.limit:
                self.too_many += 1
                raise DeliveryError("429", permanent=False, retry_after=1.0 / self.limit)
            self._allowance_at = max(self._allowance_at, now) + 1.0 / self.limit
        self.received.append(reply.idempotency_key or "")
        self.last = time.time()
        self.first = self.first or self.last
        return MessageRef(reply.to, str(len(self.received)))

    async def finish(self, event: Inbound) -> None:
        return None


async def fill(url: str, count: int) -> None:
    from bot.app import App
    from storage import outbox

    app = App.build(Settings(_env_file=None, database_url=url))
    await app.db.migrate()
    messages = []
    for n in range(count):
        reply = Send(
            to=ChatRef.private("sink", f"r{n}"), body=doc(f"Rappel : réunion publique ce soir ({n})")
        )
        messages.append(outbox.Outgoing(f"bench:{n}", "sink", reply.to.key, reply_to_json(reply)))
    from datetime import UTC, datetime

    async with app.db.write() as session:
        for start in range(0, count, 1000):
            await outbox.enqueue(session, messages[start : start + 1000], now=datetime.now(UTC))
    await app.db.dispose()


async def work(url: str, limit: float | None, share: float | None) -> dict[str, Any]:
    """One worker process: drain the outbox into a sink, then write what the sink received."""
    from adapters.launcher import freeze_start_up_objects
    from bot.app import App
    from storage import outbox

    rates = f"sink:{share}" if share else ""
    app = App.build(Settings(_env_file=None, database_url=url, outbox_rates=rates))
    await app.start(scheduler=False, dispatcher=False)
    sink = Sink(limit)
    app.runtime.attach(sink)
    freeze_start_up_objects()  # as `civicbot run` does
    while True:
        await app.dispatcher.drain()
        left = await outbox.counts(app.db)
        if not left.get("pending") and not left.get("sending"):
            break
        await asyncio.sleep(0.01)
    await app.stop()
    return {"received": sink.received, "too_many": sink.too_many, "first": sink.first, "last": sink.last}


async def one_case(backend: str, workers: int, messages: int, limit: float | None) -> dict[str, Any]:
    async with throwaway_database(backend) as url:
        await fill(url, messages)
        with tempfile.TemporaryDirectory() as folder:
            outs = [Path(folder) / f"w{n}.json" for n in range(workers)]
            share = limit / workers if limit else None
            started = time.perf_counter()
            processes = [
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bench.outbox",
                    "--worker",
                    url,
                    "--out",
                    str(out),
                    *(["--limit", str(share), "--share", str(share)] if limit else []),
                )
                for out in outs
            ]
            for process in processes:
                await process.wait()
            elapsed = time.perf_counter() - started
            received: list[str] = []
            too_many = 0
            firsts, lasts = [], []
            for out in outs:
                data = json.loads(out.read_text())
                received += data["received"]
                too_many += data["too_many"]
                if data["received"]:
                    firsts.append(data["first"])
                    lasts.append(data["last"])
    unique = set(received)
    span = (max(lasts) - min(firsts)) if firsts else elapsed
    rate = (len(unique) - 1) / span if span > 0 else float("nan")
    return {
        "backend": backend,
        "workers": workers,
        "limit/s": limit or "none",
        "messages/s": rate,
        "achieved/limit": rate / limit if limit else "",
        "429s": too_many,
        "lost": messages - len(unique),
        "duplicated": len(received) - len(unique),
        "dispatch s": span,
        "with start-up s": elapsed,
    }


async def main_async(args: argparse.Namespace) -> None:
    cases = [("sqlite", 1, args.limit)]
    cases += [(backend, workers, None) for backend in ("sqlite", "postgresql") for workers in (1, 2)]
    rows = [await one_case(backend, workers, args.messages, limit) for backend, workers, limit in cases]
    report(
        f"civicbot outbox: {args.messages:,} queued messages, first to last delivery",
        [
            "backend",
            "workers",
            "limit/s",
            "messages/s",
            "achieved/limit",
            "429s",
            "lost",
            "duplicated",
            "dispatch s",
            "with start-up s",
        ],
        rows,
        as_json=args.json,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument(
        "--limit", type=float, default=500.0, help="the rate-limited sink's messages a second"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--share", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        limit = args.limit if "--limit" in sys.argv else None
        result = asyncio.run(work(args.worker, limit, args.share))
        Path(args.out).write_text(json.dumps(result))
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
