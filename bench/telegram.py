"""Telegram end to end: the real python-telegram-bot stack against the fake Bot API over real HTTP.

(1) Inbound — 5,000 residents tap one poll; the fake hands the taps out by getUpdates batches of 100
    callback queries; each tap is verified, recorded by the group-commit writer, answered with its toast,
    and the card edits are coalesced. Votes/s = 5,000 / time until the last tap is answered (every vote is
    committed by then). Beside it, a bare PTB bot that only answers each query, in the same setup.
(2) Outbound — 3,000 messages to distinct private chats, through the adapter's outlet, against a fake
    enforcing a global limit scaled up to 300/s so the run stays short (a 429 says retry after ≥ 1 s, as
    Telegram does): civicbot's limiter, then PTB's AIORateLimiter on the same fake.

The fake runs in its own process by default, as Telegram's servers are not on the bot's CPU (this machine
has two cores); `--fake-in-process` puts it on the bot's event loop instead.

    python -m bench.telegram [--votes 5000] [--messages 3000] [--rate 300] [--burst 3] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import time
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    ContextTypes,
)

from adapters.telegram import Limits, TelegramPlatform
from adapters.telegram.http import GatedRequest
from adapters.telegram.limiter import TelegramRateLimiter
from adapters.telegram.outlet import TelegramOutlet
from adapters.telegram.prompts import Prompts
from adapters.telegram.secrecy import guard_logs
from bench.common import median, report, throwaway_database
from bot.app import App
from bot.formatting import doc
from bot.inbound import ChatRef
from bot.replies import DeliveryError, Send
from config.settings import Settings
from storage import polls as poll_store
from tests.fakes.telegram_api import FakeTelegramServer

GROUP = -1001000000001
ORGANIZER = 1
QUESTION = "/poll Quel projet ? | Parc | Piste | Marché | Fontaine"


# -- the fake, here or in its own process -------------------------------------------------------------------


def _press_many(fake: FakeTelegramServer, message_id: int, data: list[str]) -> None:
    for n, callback_data in enumerate(data):
        fake.press(10_000 + n, GROUP, message_id, callback_data)


def _answers(fake: FakeTelegramServer) -> list[str | None]:
    return [answer["text"] for answer in fake.answered_callbacks.values()]


def _delivered(fake: FakeTelegramServer, users: list[int]) -> list[int]:
    return [fake.delivered[user] for user in users]


def _start_privates(fake: FakeTelegramServer, users: list[int]) -> None:
    for user in users:
        fake.start_private(user, f"Résident {user}")


HELPERS: dict[str, Callable[..., Any]] = {
    "press_many": _press_many,
    "answers": _answers,
    "delivered": _delivered,
    "start_privates": _start_privates,
    "answered": lambda fake: len(fake.answered_callbacks),
    "count_429": lambda fake: fake.count_429,
    "card": lambda fake: fake.last_message(GROUP),
}


async def _apply(fake: FakeTelegramServer, name: str, args: tuple[Any, ...]) -> Any:
    helper = HELPERS.get(name)
    result = helper(fake, *args) if helper is not None else getattr(fake, name)(*args)
    return await result if asyncio.iscoroutine(result) else result


class LocalFake:
    """The fake on the bot's own event loop."""

    def __init__(self) -> None:
        self.server = FakeTelegramServer(record_calls=False)

    async def start(self) -> None:
        await self.server.start()

    async def call(self, name: str, *args: Any) -> Any:
        return await _apply(self.server, name, args)

    async def stop(self) -> None:
        await self.server.stop()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def token(self) -> str:
        return self.server.token


def _serve(connection: Any) -> None:
    async def serve() -> None:
        fake = FakeTelegramServer(record_calls=False)
        await fake.start()
        connection.send((fake.base_url, fake.token))
        requests: asyncio.Queue[tuple[str, tuple[Any, ...]]] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        loop.add_reader(connection.fileno(), lambda: requests.put_nowait(connection.recv()))
        while True:
            name, args = await requests.get()
            if name == "stop":
                loop.remove_reader(connection.fileno())
                await fake.stop()
                connection.send(None)
                return
            connection.send(await _apply(fake, name, args))

    asyncio.run(serve())


class RemoteFake:
    """The fake in a process of its own, driven over a pipe (one call at a time)."""

    async def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        self.base_url, self.token = await self._receive()
        self._lock = asyncio.Lock()

    async def _receive(self) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, self._connection.recv)

    async def call(self, name: str, *args: Any) -> Any:
        async with self._lock:
            self._connection.send((name, args))
            return await self._receive()

    async def stop(self) -> None:
        await self.call("stop")
        self._process.join(timeout=5)


Fake = LocalFake | RemoteFake


async def running_fake(in_process: bool) -> Fake:
    fake: Fake = LocalFake() if in_process else RemoteFake()
    await fake.start()
    return fake


async def wait_answered(fake: Fake, count: int, within: float) -> float:
    """Seconds until `count` callback queries were answered (polled every 5 ms)."""
    started = time.perf_counter()
    while await fake.call("answered") < count:
        if time.perf_counter() - started > within:
            raise TimeoutError(f"only {await fake.call('answered')} of {count} taps answered")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


# -- (1) inbound ------------------------------------------------------------------------------------------


async def inbound_civicbot(votes: int, in_process: bool, edit_interval: float) -> dict[str, Any]:
    fake = await running_fake(in_process)
    try:
        await fake.call("add_group", GROUP, "Place du village", [ORGANIZER])
        async with throwaway_database("sqlite") as url:
            settings = Settings(
                _env_file=None,
                database_url=url,
                admins=[f"telegram:{ORGANIZER}"],
                live_edit_interval=edit_interval,
                telegram_token=fake.token,
                telegram_api_url=fake.base_url,
            )
            app = App.build(settings)
            platform = TelegramPlatform(app, settings, limits=Limits.unlimited(), listen="127.0.0.1")
            await app.start(scheduler=False)
            await platform.start()
            try:
                await fake.call("send_text", ORGANIZER, GROUP, QUESTION)
                card = await fake.call("card")
                for _ in range(1000):  # the card is posted within milliseconds
                    if card is not None:
                        break
                    await asyncio.sleep(0.01)
                    card = await fake.call("card")
                options, edits_before = card.callback_data, card.edits  # (in process, `card` stays live)
                taps = [options[n % len(options)] for n in range(votes)]
                await fake.call("press_many", card.message_id, taps)
                elapsed = await wait_answered(fake, votes, within=votes / 20)
                await platform.settle()
                await app.runtime.settle()
                poll = await poll_store.get_poll(app.db, 1)
                assert poll is not None
                tally = await poll_store.tally(app.db, poll)
                answers = await fake.call("answers")
                edits = (await fake.call("card")).edits - edits_before
            finally:
                await platform.stop()
                await app.stop()
    finally:
        await fake.stop()
    assert tally.voters == votes and all(a and a.startswith("Vote enregistré") for a in answers)
    return {"votes_per_s": votes / elapsed, "seconds": elapsed, "tallied": tally.voters, "edits": edits}


async def _answer_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer("Vote enregistré")


async def inbound_bare_ptb(votes: int, in_process: bool) -> dict[str, Any]:
    """PTB as its documentation sets it up, with one handler answering each query: the ceiling."""
    fake = await running_fake(in_process)
    try:
        await fake.call("add_group", GROUP, "Place du village", [ORGANIZER])
        application = ApplicationBuilder().token(fake.token).base_url(fake.base_url).job_queue(None).build()
        application.add_handler(CallbackQueryHandler(_answer_only))
        await application.initialize()
        message = await application.bot.send_message(
            GROUP, CARD_HTML, parse_mode="HTML", reply_markup=_keyboard()
        )
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0)
        try:
            await fake.call("press_many", message.message_id, [CARD_DATA[n % 4] for n in range(votes)])
            elapsed = await wait_answered(fake, votes, within=votes / 20)
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
    finally:
        await fake.stop()
    return {"votes_per_s": votes / elapsed, "seconds": elapsed, "tallied": None, "edits": None}


# The bare bot posts a message shaped like civicbot's poll card (same entities, four buttons carrying 60-byte
# data), so that both bots parse updates of the same size.
CARD_HTML = (
    "<b>Quel projet ?</b>\n\n"
    + "\n".join(f"{name} : 0 (0 %)\n░░░░░░░░░░" for name in ("Parc", "Piste", "Marché", "Fontaine"))
    + "\n\n<i>0 votant · vote anonyme · un seul choix · sondage n° 1</i>\n\n"
    "Appuyez sur une option pour voter. Appuyez à nouveau dessus pour retirer votre vote."
)
CARD_DATA = [f"v.1.{n}.{'x' * 54}" for n in range(4)]


def _keyboard() -> Any:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    labels = ("Parc", "Piste", "Marché", "Fontaine")
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data)]
            for label, data in zip(labels, CARD_DATA, strict=True)
        ]
    )


# -- (2) outbound -----------------------------------------------------------------------------------------


async def outbound_run(
    limiter: BaseRateLimiter[Any], messages: int, rate: float, burst: int, in_process: bool
) -> dict[str, Any]:
    fake = await running_fake(in_process)
    users = [100_000 + n for n in range(messages)]
    failures = 0
    try:
        await fake.call("start_privates", users)
        await fake.call("set_rate_limit", rate, burst)  # retry_after = ceil(wait) ≥ 1 s, as Telegram answers
        redactor = guard_logs(fake.token)
        application = (
            ApplicationBuilder()
            .token(fake.token)
            .base_url(fake.base_url)
            .rate_limiter(limiter)
            .job_queue(None)
            .request(GatedRequest())
            .build()
        )
        await application.initialize()
        outlet = TelegramOutlet(application.bot, Prompts(), redactor)

        async def send(user: int) -> None:
            nonlocal failures
            try:
                body = doc("Le sondage sur le marché est ouvert.")
                await outlet.deliver(Send(to=ChatRef.private("telegram", str(user)), body=body), event=None)
            except DeliveryError:
                failures += 1

        try:
            started = time.perf_counter()
            await asyncio.gather(*(send(user) for user in users))
            elapsed = time.perf_counter() - started
        finally:
            await application.shutdown()
        delivered = await fake.call("delivered", users)
        refusals = await fake.call("count_429")
    finally:
        await fake.stop()
    arrived = sum(1 for d in delivered if d > 0)
    return {
        "rate": arrived / elapsed,  # messages that reached their chat: lost ones do not count
        "ratio": arrived / elapsed / rate,
        "429s": refusals,
        "lost": sum(1 for d in delivered if d == 0),
        "duplicated": sum(d - 1 for d in delivered if d > 1),
        "failures": failures,
    }


LIMITERS: dict[str, Callable[[float], BaseRateLimiter[Any]]] = {
    "civicbot": lambda rate: TelegramRateLimiter(Limits(per_second=rate)),
    "PTB AIORateLimiter (its defaults)": lambda rate: AIORateLimiter(
        overall_max_rate=rate, overall_time_period=1
    ),
    "PTB AIORateLimiter (max_retries=8)": lambda rate: AIORateLimiter(
        overall_max_rate=rate, overall_time_period=1, max_retries=8
    ),
}


# -- report -----------------------------------------------------------------------------------------------


def _median_run(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return sorted(runs, key=lambda r: r[key])[len(runs) // 2]


async def inbound_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for name, run in (
        ("bare PTB, answer only", lambda: inbound_bare_ptb(args.votes, args.fake_in_process)),
        ("civicbot", lambda: inbound_civicbot(args.votes, args.fake_in_process, args.edit_interval)),
    ):
        runs = [await run() for _ in range(args.runs)]
        middle = _median_run(runs, "votes_per_s")
        rows.append(
            {
                "bot": name,
                "votes": args.votes,
                "votes/s (median)": median([r["votes_per_s"] for r in runs]),
                "runs": ", ".join(f"{r['votes_per_s']:.0f}" for r in runs),
                "tallied": middle["tallied"] if middle["tallied"] is not None else "-",
                "card edits": middle["edits"] if middle["edits"] is not None else "-",
            }
        )
    bare, civicbot = rows[0]["votes/s (median)"], rows[1]["votes/s (median)"]
    rows[1]["of bare PTB"] = f"{civicbot / bare:.2f}"
    rows[0]["of bare PTB"] = "1.00"
    return rows


async def outbound_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for name, make in LIMITERS.items():
        runs = [
            await outbound_run(make(args.rate), args.messages, args.rate, args.burst, args.fake_in_process)
            for _ in range(args.runs)
        ]
        middle = _median_run(runs, "rate")
        rows.append(
            {
                "limiter": name,
                "messages": args.messages,
                "msg/s (median)": middle["rate"],
                "of the limit": f"{middle['ratio']:.2f}",
                "429s (each run)": ", ".join(str(r["429s"]) for r in runs),
                "lost (each run)": ", ".join(str(r["lost"]) for r in runs),
                "duplicated (each run)": ", ".join(str(r["duplicated"]) for r in runs),
                "of the limit (each run)": ", ".join(f"{r['ratio']:.2f}" for r in runs),
            }
        )
    return rows


async def main_async(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    placement = "on the bot's event loop" if args.fake_in_process else "in its own process"
    inbound = await inbound_rows(args) if args.part in ("all", "inbound") else []
    outbound = await outbound_rows(args) if args.part in ("all", "outbound") else []
    if args.json:
        report(
            "telegram",
            [],
            [],
            as_json=True,
            extra={"fake": placement, "inbound": inbound, "outbound": outbound, "limit": args.rate},
        )
        return
    if inbound:
        title = f"Telegram inbound: {args.votes:,} taps, getUpdates batches of 100, fake {placement}"
        report(title, list(inbound[1]), inbound, as_json=False)
    if outbound:
        title = (
            f"Telegram outbound: {args.messages:,} private messages, fake limit {args.rate:g}/s "
            f"(bucket of {args.burst}), fake {placement}"
        )
        report(title, list(outbound[0]), outbound, as_json=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--votes", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=300.0, help="the fake's global limit, messages/s")
    parser.add_argument("--burst", type=int, default=3, help="tokens in the fake's bucket (its tolerance)")
    parser.add_argument("--edit-interval", type=float, default=1.0, help="seconds between live edits")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--part", choices=["all", "inbound", "outbound"], default="all")
    parser.add_argument("--fake-in-process", action="store_true")
    parser.add_argument("--json", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
