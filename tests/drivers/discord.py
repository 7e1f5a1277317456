"""The Discord driver: scenarios played through the real discord.py client and the Discord adapter, against
the fake Discord REST API (tests/fakes/discord_api.py), without a gateway or the network.

People are members of one server ("Mairie de Villeneuve"): alice is a global organizer (CIVICBOT_ADMINS),
olivia holds a role with Manage Server, everybody else is a plain member. "square" and "annex" are text
channels named "Place du village" and "Annexe"; "@bob" is bob's DM channel with the bot.

What a person does becomes what Discord would send: a line starting with "/" is a slash-command interaction
with typed parameters (the engine-style argument line is parsed into them); other text in a DM answers the
open modal, or opens it with the prompt's Answer button and submits it, or else is a DM message; a tap is a
component interaction on the stored message. What a person sees is read back from the fake: non-ephemeral
bot messages, as plain text (markdown escapes removed), with their button labels and attachments; the
acknowledgement of a tap is its ephemeral answer.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import shlex
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from adapters.discord import DiscordPlatform, ids
from bot.app import App
from bot.clock import ManualClock
from bot.consultations import views
from bot.dates import WhenError, parse_when
from bot.i18n import translator
from bot.inbound import parse_command
from bot.polls.spec import (
    FLAG_CLOSES,
    FLAG_HIDDEN,
    FLAG_MULTI,
    FLAG_PRIVATE_RESULTS,
    FLAG_PUBLIC,
    MAX_OPTION,
    MAX_OPTIONS,
)
from config.settings import Settings
from tests import databases
from tests.drivers.base import ANNEX_ADMIN, GLOBAL_ADMIN, SQUARE_ADMIN, START, Seen
from tests.fakes.discord_api import (
    MESSAGE_FLAG_EPHEMERAL,
    MESSAGE_FLAG_LOADING,
    PERM_MANAGE_GUILD,
    DiscordHarness,
    FakeDiscordServer,
    InteractionRecord,
)

GUILD_ID = 500_000_000_000_000_001
CHANNELS = {"square": 500_000_000_000_000_010, "annex": 500_000_000_000_000_011}
TITLES = {"square": "Place du village", "annex": "Annexe"}
TOWN_HALL_ROLE = 500_000_000_000_000_100
ANNEX_GUILD_ID = 500_000_000_000_000_002  # the annex is another server, with its own administrators
ANNEX_BOARD_ROLE = 500_000_000_000_000_102
BOT_ROLE = 500_000_000_000_000_101
ANNEX_BOT_ROLE = 500_000_000_000_000_103
FIRST_USER = 600_000_000_000_000_001
LOCALE = "fr"  # the residents use Discord in French
TIMEZONE = "Europe/Paris"


def discord_settings(
    database_url: str, tmp_path: Path, user_ids: dict[str, int], **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "admins": [f"discord:{user_ids[GLOBAL_ADMIN]}"],
        "live_edit_interval": 0,
        "files_dir": str(tmp_path / "files"),
        "key_dir": tmp_path / "keys",
        "discord_token": "fake-discord-token",
    }
    return Settings(_env_file=None, **{**values, **overrides})


# -- reading what Discord shows ---------------------------------------------------------------------------


def plain_text(markdown: str) -> str:
    """Discord markdown as a reader sees it: escapes resolved, bold/italic markers and code ticks dropped,
    masked links shown by their text, invisible zero-width spaces removed."""
    out: list[str] = []
    i = 0
    while i < len(markdown):
        char = markdown[i]
        if char == "\\" and i + 1 < len(markdown):
            out.append(markdown[i + 1])
            i += 2
        elif char == "*":
            i += 1
        elif char == "`":
            fence = "``" if markdown.startswith("``", i) else "`"
            end = markdown.find(fence, i + len(fence))
            if end < 0:
                out.append(char)
                i += 1
                continue
            inner = markdown[i + len(fence) : end]
            out.append(inner.strip(" ") if fence == "``" else inner)
            i = end + len(fence)
        elif char == "[" and "](" in markdown[i:]:
            close = markdown.index("](", i)
            end = markdown.find(")", close)
            out.append(plain_text(markdown[i + 1 : close]))
            i = end + 1 if end > 0 else close + 2
        else:
            out.append(char)
            i += 1
    return "".join(out).replace("\u200b", "")


def _components(message: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = list(message.get("components") or [])
    while stack:
        component = stack.pop(0)
        found.append(component)
        stack[:0] = component.get("components") or []
    return found


def _choices(message: dict[str, Any]) -> list[tuple[str, dict[str, Any], str | None]]:
    """(label, component, select value) for each button and select option of a message."""
    choices: list[tuple[str, dict[str, Any], str | None]] = []
    for component in _components(message):
        if component.get("type") == 2:
            choices.append((component.get("label") or "", component, None))
        elif component.get("type") == 3:
            choices.extend((o["label"], component, o["value"]) for o in component.get("options") or [])
    return choices


def _text(message: dict[str, Any]) -> str:
    parts = [message.get("content") or ""] + [e.get("description") or "" for e in message.get("embeds") or []]
    return plain_text("\n\n".join(p for p in parts if p))


# -- parsing what a person types into slash-command parameters --------------------------------------------


def _deadline_words(words: list[str], now: Any) -> int:
    """How many leading words make the deadline: the longest run that reads as a date, as the engine reads a
    one-line poll (else the first word, whose error the engine explains)."""
    for count in range(min(5, len(words)), 0, -1):
        try:
            parse_when(" ".join(words[:count]), now=now, tz=TIMEZONE, language=LOCALE)
            return count
        except WhenError:
            continue
    return 1


def poll_options(args: str, *, now: Any) -> dict[str, Any]:
    """`--multi --closes demain 18h Question ? | A | B` as the /poll parameters a member would fill in.
    Options go one per parameter; when Discord's form could not hold them (an empty one, more than 12,
    one too long) the whole poll goes in `question`, the one-line form the command also accepts."""
    head, bar, tail = args.partition("|")
    try:
        words = shlex.split(head)
    except ValueError:
        words = head.split()
    values: dict[str, Any] = {}
    flags = {**dict.fromkeys(FLAG_MULTI, "multi"), **dict.fromkeys(FLAG_PUBLIC, "public")}
    flags.update(dict.fromkeys(FLAG_HIDDEN, "hidden"))
    flags.update(dict.fromkeys(FLAG_PRIVATE_RESULTS, "private_results"))
    while words and words[0].startswith("--"):
        flag, _, inline = words[0].partition("=")
        if flag.lower() in flags:
            values[flags[flag.lower()]] = True
            words.pop(0)
        elif flag.lower() in FLAG_CLOSES and (inline or len(words) > 1):
            words.pop(0)
            if not inline:
                count = _deadline_words(words, now)
                inline = " ".join(words[:count])
                del words[:count]
            values["closes"] = inline
        else:
            break  # an unknown flag stays in the question: the engine explains it
    question = " ".join(words)
    options = [option.strip() for option in tail.split("|")] if bar else []
    if all(options) and len(options) <= MAX_OPTIONS and all(len(o) <= MAX_OPTION for o in options):
        values["question"] = question
        values.update({f"option{n}": option for n, option in enumerate(options, start=1)})
    else:
        values["question"] = f"{question} |{tail}"
    return {name: value for name, value in values.items() if value not in ("", None)}


def results_options(args: str) -> dict[str, Any]:
    """`place-test --filtre arbres=oui` as the /results parameters a member would fill in: the number or id,
    then what follows each flag in its own field."""
    try:
        target, request = views.split(args, translator(LOCALE))
    except views.ViewError:
        return {"number": args}
    values = {"number": target, "where": " ".join(request.where), "cross": " ".join(request.cross)}
    return {name: value for name, value in values.items() if value}


def slash_options(name: str, args: str, *, now: Any) -> dict[str, Any]:
    if name == "poll":
        return poll_options(args, now=now)
    if name == "poll_edit":  # its number, then /poll's form
        number, _, rest = args.partition(" ")
        return {"number": number, **(poll_options(rest, now=now) if rest.strip() else {})}
    if name == "results":
        return results_options(args)
    if not args:
        return {}
    parameter = {
        "start": "topic",
        "results": "number",
        "close": "number",
        "poll_delete": "number",
        "lang": "language",
    }.get(name, "arguments")
    return {parameter: args}


# -- the driver -------------------------------------------------------------------------------------------


class _Errors(logging.Handler):
    """Errors the adapter logged (it never lets one reach discord.py, so the harness would not see them)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class DiscordDriver:
    name = "discord"

    def __init__(
        self,
        database_url: str,
        tmp_path: Path,
        *,
        edit_interval: float = 0,
        bot_permissions: int = 0,
        **settings: Any,
    ) -> None:
        """`bot_permissions`: what the server grants the bot beyond a member's defaults (a role)."""
        self.people: dict[str, int] = {}
        for person in (GLOBAL_ADMIN, SQUARE_ADMIN, ANNEX_ADMIN, "bob", "carol", "dave"):
            self.user_id(person)
        self.settings = discord_settings(database_url, tmp_path, self.people, **settings)
        self.edit_interval = edit_interval
        self.bot_permissions = bot_permissions
        self.clock = ManualClock(START)
        self.server = FakeDiscordServer()
        # the engine's ballot writer runs as long as the app: settle() must not wait for it
        self.harness = DiscordHarness(self.server, ignore_tasks=("__timeout_task_impl", "BallotWriter._run"))
        self.app: App
        self.platform: DiscordPlatform
        self._hidden: set[str] = set()
        self._modals: dict[str, str] = {}  # person → custom id of the modal open on their screen
        self._errors = _Errors()

    def identity(self, person: str) -> str:
        """`discord:<user id>`, as CIVICBOT_ADMINS and the audit log write it."""
        return f"discord:{self.user_id(person)}"

    def block_bot(self, person: str) -> None:
        self.server.set_dms_closed(self.user_id(person))

    def user_id(self, person: str) -> int:
        if person not in self.people:
            self.people[person] = FIRST_USER + len(self.people)
        return self.people[person]

    # -- lifecycle --------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.server.start()
        self.server.add_guild(
            GUILD_ID,
            "Mairie de Villeneuve",
            channels=[{"id": CHANNELS["square"], "name": TITLES["square"]}],
            roles=[{"id": TOWN_HALL_ROLE, "name": "Mairie", "permissions": PERM_MANAGE_GUILD}],
            preferred_locale="fr",
        )
        self.server.add_guild(
            ANNEX_GUILD_ID,
            "Association des Tilleuls",
            channels=[{"id": CHANNELS["annex"], "name": TITLES["annex"]}],
            roles=[{"id": ANNEX_BOARD_ROLE, "name": "Bureau", "permissions": PERM_MANAGE_GUILD}],
            preferred_locale="fr",
        )
        for person in self.people:
            self._add_member(person)
        if self.bot_permissions:
            self.server.add_role(GUILD_ID, BOT_ROLE, "civicbot", self.bot_permissions)
            self.server.guilds[GUILD_ID]["members"][self.server.bot_user_id]["roles"].append(str(BOT_ROLE))
            self.server.add_role(ANNEX_GUILD_ID, ANNEX_BOT_ROLE, "civicbot", self.bot_permissions)
            annex_bot = self.server.guilds[ANNEX_GUILD_ID]["members"][self.server.bot_user_id]
            annex_bot["roles"].append(str(ANNEX_BOT_ROLE))
        self.harness.install()
        logging.getLogger("adapters.discord").addHandler(self._errors)
        await self._boot()
        # the bot has been added to the server and has seen both channels (as in the console driver)
        for chat in ("square", "annex"):
            await self.send(SQUARE_ADMIN, "/start", chat=chat)
        self._hidden = {m["id"] for chat in ("square", "annex") for m in self.server.messages(CHANNELS[chat])}

    def _add_member(self, person: str) -> None:
        uid = self.user_id(person)
        if uid not in self.server.users:
            self.server.add_user(uid, person, global_name=person.capitalize())
        self.server.add_member(GUILD_ID, uid, roles=[TOWN_HALL_ROLE] if person == SQUARE_ADMIN else [])
        self.server.add_member(ANNEX_GUILD_ID, uid, roles=[ANNEX_BOARD_ROLE] if person == ANNEX_ADMIN else [])

    async def _boot(self) -> None:
        self.app = App.build(self.settings, clock=self.clock, edit_interval=self.edit_interval)
        self.platform = DiscordPlatform(self.app, self.settings)
        await self.harness.connect(self.platform.client)
        await self.app.start(dispatcher=False)  # settle() drains the outbox, as the console driver does

    async def _shutdown(self) -> None:
        await self.settle()
        await self.harness.disconnect(self.platform.client)
        await self.app.stop()

    async def stop(self) -> None:
        try:
            await self._shutdown()
        finally:
            logging.getLogger("adapters.discord").removeHandler(self._errors)
            await self.harness.close()
            await self.server.stop()

    async def restart(self) -> None:
        """A new process: a new client and app on the same database and the same Discord."""
        await self._shutdown()
        self._modals.clear()
        await self._boot()

    async def settle(self) -> None:
        while True:
            await self.app.deadlines.settle()  # deadline passes run outside any interaction
            await self.harness.settle()
            await self.app.runtime.settle()
            if await self.app.dispatcher.drain():
                continue
            if not self.server.in_flight:
                break
        if self._errors.records:
            errors, self._errors.records = self._errors.records, []
            raise AssertionError(
                "the Discord adapter logged errors: " + "; ".join(r.getMessage() for r in errors)
            )

    # -- where --------------------------------------------------------------------------------------------

    def _place(self, person: str, chat: str) -> dict[str, Any]:
        if chat.startswith("@"):
            assert chat[1:] == person, f"{person} cannot act in {chat}"
            return {"dm": True}
        return {"channel_id": CHANNELS[chat]}

    def _channel(self, chat: str) -> int | None:
        if chat.startswith("@"):
            return self.server.dm_channel_of(self.user_id(chat[1:]))
        return CHANNELS[chat]

    def bot_messages(self, chat: str) -> list[dict[str, Any]]:
        channel = self._channel(chat)
        if channel is None:
            return []
        bot = str(self.server.bot_user_id)
        return [
            m
            for m in self.server.messages(channel)
            if m["author"]["id"] == bot
            and m["id"] not in self._hidden
            and not m["flags"] & MESSAGE_FLAG_LOADING
        ]

    # -- acting -------------------------------------------------------------------------------------------

    async def interact(self, person: str, payload: dict[str, Any]) -> InteractionRecord:
        iid = await self.harness.feed(payload)
        await self.settle()
        record = self.server.interaction_responses(iid)
        if record.callback_type == 9 and record.callback_data is not None:
            self._modals[person] = record.callback_data["custom_id"]
        else:
            self._modals.pop(person, None)
        return record

    def who(self, person: str) -> dict[str, Any]:
        if self.user_id(person) not in self.server.users:
            self._add_member(person)
        return {"user_id": self.user_id(person), "locale": LOCALE}

    async def send(self, person: str, text: str, *, chat: str = "square") -> None:
        who = self.who(person)
        command = parse_command(text)
        if command is not None:
            spec = self.app.engine.registry.command(command[0])
            assert spec is not None, f"no slash command for {text!r}"
            options = slash_options(spec.name, command[1], now=self.clock.now())
            await self.interact(
                person, self.harness.slash_command(spec.name, options, **self._place(person, chat), **who)
            )
            return
        if not chat.startswith("@"):
            await self.harness.user_message(text, channel_id=CHANNELS[chat], user_id=who["user_id"])
            await self.settle()
            return
        if person not in self._modals:
            prompt = next((m for m in reversed(self.bot_messages(chat))), None)
            answer = next(
                (c for _, c, _ in _choices(prompt or {}) if c.get("custom_id", "").startswith(ids.ANSWER)),
                None,
            )
            if prompt is not None and answer is not None:
                await self.interact(
                    person, self.harness.button_press(answer["custom_id"], int(prompt["id"]), **who)
                )
        modal = self._modals.pop(person, None)
        if modal is not None:
            await self.interact(person, self.harness.modal_submit(modal, {ids.ANSWER_INPUT: text}, **who))
            return
        await self.harness.user_message(text, dm=True, user_id=who["user_id"])
        await self.settle()

    async def upload(self, person: str, filename: str, data: bytes, *, chat: str) -> None:
        """A file attached to a message. Only a DM reaches the bot: it asks for no intent to read the messages
        of server channels."""
        user_id = self.who(person)["user_id"]
        channel = int(self.server.open_dm(user_id)["id"]) if chat.startswith("@") else CHANNELS[chat]
        stored = self.server.add_user_message(channel, user_id, "")
        attachment = str(self.server.new_snowflake())
        url = f"{self.server.base_url}/attachments/{channel}/{attachment}/{filename}"
        stored["attachments"] = [
            {
                "id": attachment,
                "filename": filename,
                "size": len(data),
                "url": url,
                "proxy_url": url,
                "content_type": mimetypes.guess_type(filename)[0] or "application/octet-stream",
                "bytes": data,  # what the fake's CDN route serves
            }
        ]
        if chat.startswith("@"):
            await self.harness.dispatch("MESSAGE_CREATE", self.server.public_message(stored))
        await self.settle()

    def _find(self, label: str, chat: str) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        for message in reversed(self.bot_messages(chat)):
            for seen, component, value in _choices(message):
                if seen == label:
                    return message, component, value
        shown = [[c[0] for c in _choices(m)] for m in self.bot_messages(chat)]
        raise AssertionError(f"no button {label!r} in {chat}: {shown}")

    async def press(self, person: str, label: str, *, chat: str = "square") -> str | None:
        message, component, value = self._find(label, chat)
        payload = self.harness.button_press(
            component["custom_id"],
            int(message["id"]),
            component_type=component["type"],
            values=None if value is None else [value],
            **self.who(person),
        )
        return self._acknowledgement(await self.interact(person, payload))

    async def press_raw(self, person: str, action: str, *, chat: str = "square") -> str | None:
        messages = self.bot_messages(chat)
        assert messages, f"{chat} received nothing"
        message = next((m for m in reversed(messages) if _choices(m)), messages[-1])
        payload = self.harness.button_press(ids.button_id(action), int(message["id"]), **self.who(person))
        return self._acknowledgement(await self.interact(person, payload))

    def button_action(self, label: str, *, chat: str = "square") -> str:
        """The action behind a button, as a curious member could read it in the custom id."""
        _, component, value = self._find(label, chat)
        return value if value is not None else ids.action_of(component["custom_id"])

    def _acknowledgement(self, record: InteractionRecord) -> str | None:
        """The ephemeral text the person saw for their tap, if any (the last one)."""
        texts = []
        if record.callback_type == 4 and record.ephemeral:
            texts.append((record.callback_data or {}).get("content") or "")
        texts.extend(f.get("content") or "" for f in record.followups if f["flags"] & MESSAGE_FLAG_EPHEMERAL)
        return plain_text(texts[-1]) if texts else None

    # -- seeing -------------------------------------------------------------------------------------------

    def _edited(self, message: dict[str, Any]) -> bool:
        edits = message["edit_count"]
        record = self.server.interactions.get(message.get("interaction_id") or 0)
        if record is not None and record.callback_type == 5 and record.original is message:
            edits -= 1  # the "thinking…" placeholder replaced by the answer is no edit to the reader
        return edits > 0

    def messages(self, chat: str) -> list[Seen]:
        posted = self.bot_messages(chat)
        by_id = {str(m["id"]): m for m in posted}

        def quote(m: dict[str, Any]) -> str | None:
            """The message it replies to, or links to (an interaction's answer can only link)."""
            linked = re.search(r"discord\.com/channels/(?:\d+|@me)/\d+/(\d+)", m.get("content") or "")
            earlier = (m.get("message_reference") or {}).get("message_id") or (linked and linked.group(1))
            target = by_id.get(str(earlier))
            return (_text(target).splitlines() or [""])[0] if target is not None else None

        return [
            Seen(
                text=_text(m),
                buttons=[label for label, _, _ in _choices(m)],
                edited=self._edited(m),
                files=[f"{a['filename']} — {a.get('description') or ''}" for a in m.get("attachments") or []],
                quote=quote(m),
            )
            for m in posted
        ]


def make_driver(database_url: str, tmp_path: Path) -> DiscordDriver:
    return DiscordDriver(database_url, tmp_path)


@asynccontextmanager
async def discord_driver(tmp_path: Path, **options: Any) -> AsyncIterator[DiscordDriver]:
    """A started driver on a SQLite file, for the Discord-specific tests (`options` as for DiscordDriver)."""
    async with databases.database_url("sqlite", tmp_path) as url:  # a copy of a migrated file: quicker
        driver = DiscordDriver(url, tmp_path, **options)
        await driver.start()
        try:
            yield driver
        finally:
            await driver.stop()
