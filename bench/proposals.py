"""Supports per second through the engine and storage: residents tapping « Je soutiens » on one proposal's
card, many taps in flight.

Each support goes the whole way a real tap goes — a button event, signature check, the proposal's community
checked, the resident's row (created at their first tap, as in production), the support written under the
proposal's lock with its count and threshold — and counts as done only when its transaction is committed
(WAL + synchronous=FULL on SQLite). The threshold is reached once on the way (its organizers' notices go to
the outbox). Live edits of the card are coalesced as in production (one per second here).

    python -m bench.proposals [--supports 1000] [--concurrency 50] [--runs 3] [--backend sqlite] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from bench.common import median, percentile, report, throwaway_database
from bench.engine import CountingOutlet
from bot.app import App
from bot.inbound import ButtonPress, ChatRef, Command, MessageRef, Person, TextMessage
from bot.replies import Notice
from config.settings import Settings
from storage import proposal_supports


async def one_run(url: str, supports: int, concurrency: int) -> dict[str, Any]:
    settings = Settings(
        _env_file=None,
        database_url=url,
        admins=["bench:organizer"],
        live_edit_interval=1.0,
        proposal_threshold=max(1, supports // 2),
    )
    app = App.build(settings)
    await app.start(scheduler=False, dispatcher=False)  # the outbox is drained here, when it matters
    outlet = CountingOutlet()
    app.runtime.attach(outlet)
    square = ChatRef("bench", "square")
    organizer = Person("bench", "organizer", "Organizer", "fr")
    author = Person("bench", "author", "Author", "fr")
    private = ChatRef.private("bench", "author")
    await app.runtime.dispatch(
        Command(sender=organizer, chat=square, name="proposals_settings", args="moderation non")
    )
    await app.runtime.dispatch(Command(sender=author, chat=square, name="help", args=""))
    await app.runtime.dispatch(Command(sender=author, chat=private, name="propose", args=""))
    for text in ("Un banc sous le tilleul", "Pour s'asseoir à l'ombre, place du marché."):
        await app.runtime.dispatch(TextMessage(sender=author, chat=private, text=text))
    send = app.engine.signer.sign("pr", "g", "n", 1)
    await app.runtime.dispatch(ButtonPress(sender=author, chat=private, action=send))
    await app.dispatcher.drain()  # its card is posted
    button = app.engine.signer.sign("pr", "s", 1)
    card = MessageRef(square, "1")
    events = [
        ButtonPress(
            sender=Person("bench", f"resident{n}", f"Resident {n}", "fr"),
            chat=square,
            action=button,
            message=card,
        )
        for n in range(supports)
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
    await app.dispatcher.drain()  # the organizers' notices of the threshold
    counted = await proposal_supports.count(app.db, 1)
    await app.stop()
    assert counted == supports, (counted, supports)
    return {
        "supports_per_s": supports / elapsed,
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
                runs.append(await one_run(url, args.supports, args.concurrency))
        best = sorted(runs, key=lambda r: r["supports_per_s"])[len(runs) // 2]
        rows.append(
            {
                "backend": backend if backend == "sqlite" else f"postgresql ({args.pg_driver})",
                "supports": args.supports,
                "in flight": args.concurrency,
                "supports/s (median run)": median([r["supports_per_s"] for r in runs]),
                "p50 ms": best["p50_ms"],
                "p99 ms": best["p99_ms"],
                "card edits": best["edits"],
                "runs": args.runs,
            }
        )
    report(
        "civicbot engine: supports of one proposal through engine + storage, durably committed",
        [
            "backend",
            "supports",
            "in flight",
            "supports/s (median run)",
            "p50 ms",
            "p99 ms",
            "card edits",
            "runs",
        ],
        rows,
        as_json=args.json,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--supports", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--pg-driver", choices=["asyncpg", "psycopg"], default="asyncpg")
    parser.add_argument("--json", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
