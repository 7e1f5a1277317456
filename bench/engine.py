"""Votes per second through the engine and storage: residents tapping one poll, many taps in flight.

Each vote goes the whole way a real tap goes — a button event, signature check, anonymity pseudonym, the
group-commit writer — and counts as done only when its transaction is committed (WAL + synchronous=FULL on
SQLite). Live edits of the poll card are coalesced as in production (one per second here).

    python -m bench.engine [--votes 1000] [--concurrency 50] [--runs 3] [--backend sqlite] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from typing import Any

from bench.common import median, percentile, report, throwaway_database
from bot.app import App
from bot.inbound import ButtonPress, ChatRef, Command, Inbound, MessageRef, Person
from bot.replies import Notice, Reply, Send
from config.settings import Settings


class CountingOutlet:
    """Stands for a platform: records what would be sent, answers instantly."""

    platform = "bench"

    def __init__(self) -> None:
        self.edits = 0
        self.notices = 0
        self._next = 0

    async def deliver(self, reply: Reply, *, event: Inbound | None) -> MessageRef | None:
        if isinstance(reply, Send):
            self._next += 1
            return MessageRef(reply.to, str(self._next))
        if type(reply).__name__ == "Edit":
            self.edits += 1
        else:
            self.notices += 1
        return None

    async def finish(self, event: Inbound) -> None:
        return None


async def one_run(url: str, votes: int, concurrency: int) -> dict[str, Any]:
    settings = Settings(_env_file=None, database_url=url, admins=["bench:organizer"], live_edit_interval=1.0)
    app = App.build(settings)
    await app.start(scheduler=False)
    outlet = CountingOutlet()
    app.runtime.attach(outlet)
    square = ChatRef("bench", "square")
    organizer = Person("bench", "organizer", "Organizer", "fr")
    await app.runtime.dispatch(
        Command(
            sender=organizer,
            chat=square,
            name="poll",
            args="Quel projet ? | Parc | Piste | Marché | Fontaine",
        )
    )
    poll_id = 1
    signer = app.engine.signer
    buttons = [signer.sign("v", poll_id, n) for n in range(4)]
    card = MessageRef(square, "1")
    rng = random.Random(7)
    events = [
        ButtonPress(
            sender=Person("bench", f"resident{n}", f"Resident {n}", "fr"),
            chat=square,
            action=rng.choice(buttons),
            message=card,
        )
        for n in range(votes)
    ]
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def tap(event: ButtonPress) -> None:
        async with gate:
            started = time.perf_counter()
            replies = await app.runtime.dispatch(event)
            latencies.append(time.perf_counter() - started)
            assert any(isinstance(r, Notice) and "enregistré" in r.text for r in replies), replies

    started = time.perf_counter()
    await asyncio.gather(*(tap(e) for e in events))
    elapsed = time.perf_counter() - started
    await app.runtime.settle()
    tally = await app.engine.polls.card_edits(poll_id)
    await app.stop()
    assert tally, "the poll card was recorded"
    return {
        "votes_per_s": votes / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "edits": outlet.edits,
    }


async def main_async(args: argparse.Namespace) -> None:
    rows = []
    for backend in args.backend or ["sqlite", "postgresql"]:
        runs = []
        for _ in range(args.runs):
            async with throwaway_database(backend, args.pg_driver) as url:
                runs.append(await one_run(url, args.votes, args.concurrency))
        best = sorted(runs, key=lambda r: r["votes_per_s"])[len(runs) // 2]
        rows.append(
            {
                "backend": backend if backend == "sqlite" else f"postgresql ({args.pg_driver})",
                "votes": args.votes,
                "in flight": args.concurrency,
                "votes/s (median run)": median([r["votes_per_s"] for r in runs]),
                "p50 ms": best["p50_ms"],
                "p99 ms": best["p99_ms"],
                "card edits": best["edits"],
                "runs": args.runs,
            }
        )
    report(
        "civicbot engine: votes through engine + storage, durably committed",
        ["backend", "votes", "in flight", "votes/s (median run)", "p50 ms", "p99 ms", "card edits", "runs"],
        rows,
        as_json=args.json,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--votes", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--pg-driver", choices=["asyncpg", "psycopg"], default="asyncpg")
    parser.add_argument("--json", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
