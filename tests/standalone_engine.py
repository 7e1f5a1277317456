"""The engine on its own, with no adapter in front: events in, replies out, on a SQLite database copied from a
migrated one. For unit tests of trust-critical engine code, which must run in milliseconds (the mutation check
runs them hundreds of times); what residents see on each platform is specified in tests/scenarios.

The same people as the scenarios: alice is a global admin (CIVICBOT_ADMINS), olivia administers the square,
bob, carol and dave are residents; "square" and "annex" are two communities.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.clock import ManualClock
from bot.context import Context
from bot.engine import Engine
from bot.features import FEATURES
from bot.i18n import translator
from bot.inbound import ButtonPress, ChatRef, Command, Inbound, Person
from bot.polls.spec import PollSpec
from bot.replies import Notice, Reply, Send
from config.settings import Settings
from storage.database import Database
from storage.polls import PollInfo
from storage.tables import Ballot
from tests.databases import database_url

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a Thursday, like the scenarios
SQUARE = ChatRef("console", "square")
ANNEX = ChatRef("console", "annex")


def person(name: str) -> Person:
    return Person("console", name, name.capitalize(), "en")


def private(name: str) -> ChatRef:
    return ChatRef.private("console", name)


@asynccontextmanager
async def standalone_engine(tmp_path: Path, backend: str = "sqlite") -> AsyncIterator[Engine]:
    async with database_url(backend, tmp_path) as url:
        settings = Settings(
            _env_file=None,
            database_url=url,
            admins=["console:alice"],
            secret_key="a test key",
            default_language="fr",  # communities speak French; the people here ask for English
        )
        db = Database(url)
        engine = Engine(db, settings, clock=ManualClock(START), features=FEATURES)
        try:
            await engine.start()
            yield engine
        finally:
            await engine.stop()
            await db.dispose()


def command(name: str, who: str, args: str = "", *, chat: ChatRef = SQUARE, admin: bool = False) -> Command:
    """`/name args` typed by `who`; `admin`: the platform reports them as an administrator of `chat`."""
    return Command(sender=person(who), chat=chat, name=name, args=args, sender_is_admin=admin)


def press(action: str, who: str, *, chat: ChatRef = SQUARE) -> ButtonPress:
    return ButtonPress(sender=person(who), chat=chat, action=action)


def notices(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if isinstance(r, Notice)]


def said(replies: list[Reply]) -> list[str]:
    """The plain text of each message sent."""
    return [r.body.plain for r in replies if isinstance(r, Send)]


async def ballots(engine: Engine, poll_id: int) -> list[Ballot]:
    async with engine.db.read() as session:
        return list((await session.exec(select(Ballot).where(Ballot.poll_id == poll_id))).all())


def context(engine: Engine, event: Inbound) -> Context:
    """What a handler gets for `event`, in English."""
    return Context(engine, event, translator("en"))


async def new_poll(
    engine: Engine,
    *,
    targets: tuple[ChatRef, ...] = (SQUARE,),
    by: str = "olivia",
    question: str = "Which day?",
    options: tuple[str, ...] = ("Mon", "Tue", "Wed"),
    **spec: Any,
) -> PollInfo:
    """A poll posted by `by`, an administrator of the first community of `targets`."""
    ctx = context(engine, command("poll", by, chat=targets[0], admin=True))
    return await engine.polls.create(ctx, PollSpec(question, list(options), **spec), list(targets))
