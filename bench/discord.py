"""Button presses per second on Discord, end to end: discord.py's own parsing of each interaction, the
adapter's persistent button, the engine and its group-commit writer, the ephemeral "Vote enregistré" answer
over HTTP, and coalesced live edits of the card, against the fake Discord API on 127.0.0.1.

Presses are offered at a fixed rate, as members tap (a burst of thousands at once is answered late even by
a bare discord.py bot: see "Reference ceilings" in docs/benchmarks.md), and each counts as answered in time
when its interaction callback reached the fake within Discord's 3 seconds of the press. Each press is a
different member, on one poll of four options, in one channel.

The same presses are also offered to a bare discord.py bot (one persistent button answering ephemerally,
no logic) in the same run, the ceiling civicbot's figure is a share of (--no-baseline skips it).

    python -m bench.discord [--votes 5000] [--rate 500 ...] [--runs 3] [--no-baseline] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import random
import re
import time
from typing import Any

import discord

from adapters.discord import DiscordPlatform
from bench.common import median, percentile, report, throwaway_database
from bot.app import App
from config.settings import Settings
from storage import polls as poll_store
from tests.fakes.discord_api import DiscordHarness, FakeDiscordServer, InteractionRecord

GUILD, CHANNEL, ORGANIZER = 800_000_000_000_000_001, 800_000_000_000_000_010, 800_000_000_000_000_100
DEADLINE = 3.0  # Discord's limit for the first answer to an interaction
OPTIONS = ["Parc", "Piste", "Marché", "Fontaine"]


async def offer(harness: DiscordHarness, payloads: list[dict[str, Any]], rate: float) -> None:
    """Feed the presses at `rate` per second.

    The thousands of payloads built in advance (and the fake's own records) are a load generator's, not a
    bot's: they are frozen out of the garbage collector's reach, else its full collections scan them over
    and over and stall either bot at random (a run of the same bench then varies by a factor of 2)."""
    gc.collect()
    gc.freeze()
    try:
        started = time.perf_counter()
        for n, payload in enumerate(payloads):
            wait = started + n / rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            elif n % 20 == 0:
                await asyncio.sleep(0)  # behind schedule: still let the bot work between presses
            await harness.feed(payload)
    finally:
        gc.unfreeze()


def measure(records: list[InteractionRecord], votes: int) -> dict[str, Any]:
    latencies = [r.acknowledged_at - r.created_at for r in records if r.acknowledged_at is not None]
    last_answer = max((r.acknowledged_at for r in records if r.acknowledged_at is not None), default=0.0)
    first_offer = min(r.created_at for r in records)
    return {
        "per_s": len(latencies) / max(last_answer - first_offer, 1e-9),
        "in_time": sum(latency <= DEADLINE for latency in latencies) / votes,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


async def civicbot_run(votes: int, rate: float) -> dict[str, Any]:
    """civicbot's whole path, on a throwaway SQLite database, live edits every 3 s as in production."""
    async with throwaway_database("sqlite") as url, FakeDiscordServer(interaction_deadline=None) as server:
        settings = Settings(
            _env_file=None,
            database_url=url,
            admins=[f"discord:{ORGANIZER}"],
            discord_token="bench-token",
            live_edit_interval=3.0,
        )
        server.add_guild(GUILD, "Bench", channels=[{"id": CHANNEL, "name": "place"}])
        async with DiscordHarness(
            server, ignore_tasks=("__timeout_task_impl", "BallotWriter._run")
        ) as harness:
            app = App.build(settings)
            platform = DiscordPlatform(app, settings)
            await harness.connect(platform.client)
            await app.start(scheduler=False)
            options = {f"option{n}": option for n, option in enumerate(OPTIONS, start=1)}
            poll = harness.slash_command("poll", {"question": "Quel projet ?", **options}, user_id=ORGANIZER)
            card = (await harness.interact(poll)).original
            assert card is not None and card["components"], "the poll card was posted"
            customs = [c["custom_id"] for row in card["components"] for c in row["components"]]
            rng = random.Random(7)
            payloads = [
                harness.button_press(rng.choice(customs), int(card["id"]), user_id=900_000 + n, locale="fr")
                for n in range(votes)
            ]
            await offer(harness, payloads, rate)
            await harness.settle(max_wait=60)  # every press handled, every request answered
            await app.runtime.settle()
            result = measure([server.interactions[int(p["id"])] for p in payloads], votes)
            result["edits"] = sum(
                1 for c in server.calls if c.method == "PATCH" and c.params.get("message_id") == card["id"]
            )
            info = await poll_store.get_poll(app.db, 1)
            assert info is not None
            result["counted"] = (await poll_store.tally(app.db, info)).voters
            await harness.disconnect(platform.client)
            await app.stop()
    return result


class BareVote(discord.ui.DynamicItem[discord.ui.Button], template=r"bare:(?P<option>.+)"):
    """The ceiling: a persistent button answering ephemerally, with no bot logic at all."""

    def __init__(self, option: str) -> None:
        super().__init__(discord.ui.Button(label=option, custom_id=f"bare:{option}"))
        self.option = option

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> BareVote:
        return cls(match["option"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Vote enregistré : {self.option}", ephemeral=True)


class BareClient(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=discord.Intents(guilds=True))

    async def setup_hook(self) -> None:
        self.add_dynamic_items(BareVote)


async def bare_run(votes: int, rate: float) -> dict[str, Any]:
    """The same presses on a bare discord.py bot, in the same process and loop: the ceiling to compare to."""
    async with FakeDiscordServer(interaction_deadline=None) as server, DiscordHarness(server) as harness:
        server.add_guild(GUILD, "Bench", channels=[CHANNEL])
        client = await harness.connect(BareClient())
        view = discord.ui.View(timeout=None)
        for option in OPTIONS:
            view.add_item(BareVote(option))
        channel = client.get_partial_messageable(CHANNEL)
        card = await channel.send("Quel projet ?", view=view)
        rng = random.Random(7)
        payloads = [
            harness.button_press(f"bare:{rng.choice(OPTIONS)}", card.id, user_id=900_000 + n, locale="fr")
            for n in range(votes)
        ]
        await offer(harness, payloads, rate)
        await harness.settle(max_wait=60)
        return measure([server.interactions[int(p["id"])] for p in payloads], votes)


async def main_async(args: argparse.Namespace) -> None:
    logging.getLogger("discord").setLevel(logging.ERROR)
    rows = []
    kinds = [("civicbot", civicbot_run)] + ([("bare discord.py", bare_run)] if args.baseline else [])
    for rate in args.rate or [500.0]:
        for name, run in kinds:
            runs = [await run(args.votes, rate) for _ in range(args.runs)]
            middle = sorted(runs, key=lambda r: r["per_s"])[len(runs) // 2]
            rows.append(
                {
                    "bot": name,
                    "offered/s": rate,
                    "presses": args.votes,
                    "answered/s (median run)": median([r["per_s"] for r in runs]),
                    "answered in 3 s (worst run)": f"{min(r['in_time'] for r in runs):.1%}",
                    "p50 ms": middle["p50_ms"],
                    "p99 ms": middle["p99_ms"],
                    "card edits": middle.get("edits", "—"),
                    "votes counted": middle.get("counted", "—"),
                    "runs": args.runs,
                }
            )
    report(
        "civicbot on Discord: button presses through discord.py, the adapter and the engine (SQLite)",
        list(rows[0]),
        rows,
        as_json=args.json,
        extra={"deadline_s": DEADLINE},
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--votes", type=int, default=5000)
    parser.add_argument("--rate", type=float, action="append", help="presses offered per second (repeatable)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-baseline", dest="baseline", action="store_false", help="skip the bare discord.py bot"
    )
    parser.add_argument("--json", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
