"""In-process fake of Discord's REST API (v10) and a gateway-less harness for discord.py.

``FakeDiscordServer`` serves, over real HTTP on 127.0.0.1 (random free port), the endpoints a
bot uses: login, application commands, channel messages, DMs, interaction callbacks,
interaction webhooks (followups / original response edits) and guild scheduled events. Every
request is recorded in ``server.calls``; messages, interaction responses and scheduled events
are kept in memory for assertions. Errors use Discord's JSON error shape, so discord.py raises
``discord.Forbidden`` / ``discord.NotFound`` / ``discord.HTTPException`` with the right ``code``.

``DiscordHarness`` runs a REAL ``discord.Client`` against it without any gateway: the client
logs in over HTTP, the harness feeds READY / GUILD_CREATE / INTERACTION_CREATE payloads into the
client's own ``ConnectionState.parse_*`` methods, so CommandTree commands, views, modals and
``DynamicItem`` persistent buttons run unchanged. ``settle()`` waits until every task
discord.py spawned for what was fed is finished and no request to the fake is in flight.

Typical use::

    async with FakeDiscordServer() as server, DiscordHarness(server) as harness:
        server.add_guild(GUILD_ID, "Town hall", channels=[CHANNEL_ID])
        client = MyClient()
        await harness.connect(client)
        iid = await harness.feed(harness.slash_command("poll", {"question": "Why?"}))
        await harness.settle()
        record = server.interaction_responses(iid)
        assert record.callback_type == 4

Only loopback traffic: ``discord.http.Route.BASE`` is pointed at the fake while the harness is
installed (both ``HTTPClient`` and the webhook adapter build their URLs from it) and restored by
``DiscordHarness.close()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import copy
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import mimetypes
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import aiohttp
import discord
from aiohttp import web

__all__ = [
    "DEFAULT_MEMBER_PERMISSIONS",
    "DEFAULT_USER_ID",
    "MESSAGE_FLAG_EPHEMERAL",
    "MESSAGE_FLAG_LOADING",
    "PERM_ADMINISTRATOR",
    "PERM_MANAGE_EVENTS",
    "PERM_MANAGE_GUILD",
    "ROUTE_CREATE_MESSAGE",
    "ROUTE_EDIT_MESSAGE",
    "ROUTE_EDIT_ORIGINAL",
    "ROUTE_FOLLOWUP",
    "ROUTE_INTERACTION_CALLBACK",
    "ROUTE_OPEN_DM",
    "Call",
    "DiscordHarness",
    "FakeDiscordServer",
    "HarnessError",
    "InteractionRecord",
]

_log = logging.getLogger(__name__)
ClientT = TypeVar("ClientT", bound=discord.Client)

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits (https://discord.com/developers/docs/topics/permissions)
PERM_ADD_REACTIONS = 1 << 6
PERM_ADMINISTRATOR = 1 << 3
PERM_MANAGE_GUILD = 1 << 5  # "Manage Server"
PERM_VIEW_CHANNEL = 1 << 10
PERM_SEND_MESSAGES = 1 << 11
PERM_EMBED_LINKS = 1 << 14
PERM_ATTACH_FILES = 1 << 15
PERM_READ_MESSAGE_HISTORY = 1 << 16
PERM_USE_APPLICATION_COMMANDS = 1 << 31
PERM_MANAGE_EVENTS = 1 << 33
PERM_CREATE_EVENTS = 1 << 44
ALL_PERMISSIONS = (1 << 51) - 1
DEFAULT_MEMBER_PERMISSIONS = (
    PERM_ADD_REACTIONS
    | PERM_VIEW_CHANNEL
    | PERM_SEND_MESSAGES
    | PERM_EMBED_LINKS
    | PERM_ATTACH_FILES
    | PERM_READ_MESSAGE_HISTORY
    | PERM_USE_APPLICATION_COMMANDS
)

# Message flags
MESSAGE_FLAG_SUPPRESS_EMBEDS = 1 << 2
MESSAGE_FLAG_EPHEMERAL = 1 << 6
MESSAGE_FLAG_LOADING = 1 << 7
MESSAGE_FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
MESSAGE_FLAG_COMPONENTS_V2 = 1 << 15

# Route keys, spelled exactly like discord.py's ``Route.key`` (method + path template).
ROUTE_CREATE_MESSAGE = "POST /channels/{channel_id}/messages"
ROUTE_EDIT_MESSAGE = "PATCH /channels/{channel_id}/messages/{message_id}"
ROUTE_OPEN_DM = "POST /users/@me/channels"
ROUTE_INTERACTION_CALLBACK = "POST /interactions/{webhook_id}/{webhook_token}/callback"
ROUTE_FOLLOWUP = "POST /webhooks/{webhook_id}/{webhook_token}"
ROUTE_EDIT_ORIGINAL = "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original"

DEFAULT_USER_ID = 200_000_000_000_000_001

# fmt: off
VALID_LOCALES = frozenset({
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no", "pl",
    "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN", "ja",
    "zh-TW", "ko",
})
# fmt: on

_ERROR_MESSAGES = {
    0: "General error",
    10003: "Unknown Channel",
    10004: "Unknown Guild",
    10007: "Unknown Member",
    10008: "Unknown Message",
    10013: "Unknown User",
    10015: "Unknown Webhook",
    10062: "Unknown interaction",
    10063: "Unknown application command",
    10070: "Unknown Guild Scheduled Event",
    20028: "The write action you are performing on the channel has hit the write rate limit.",
    40060: "Interaction has already been acknowledged.",
    50001: "Missing Access",
    50005: "Cannot edit a message authored by another user",
    50006: "Cannot send an empty message",
    50007: "Cannot send messages to this user",
    50013: "Missing Permissions",
    50027: "Invalid Webhook Token",
    50035: "Invalid Form Body",
    50109: "The request body contains invalid JSON.",
}

_STATUS_MESSAGES = {401: "401: Unauthorized", 404: "404: Not Found", 405: "405: Method Not Allowed"}

# Keys the fake adds to stored messages; stripped before a message goes over the wire.
_FAKE_MESSAGE_KEYS = ("allowed_mentions", "edit_count", "edits", "deleted", "interaction_id")


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _snowflake_str(value: Any) -> str | None:
    return None if value is None else str(int(value))


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class DiscordAPIError(Exception):
    """Raised inside route handlers; turned into a Discord-shaped JSON error response."""

    def __init__(
        self,
        status: int,
        code: int = 0,
        message: str | None = None,
        *,
        errors: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message or _ERROR_MESSAGES.get(code) or _STATUS_MESSAGES.get(status, f"{status}")
        self.errors = errors
        super().__init__(f"{status} {code} {self.message}")

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


class _FormErrors:
    """Collects Discord's nested ``{"field": {"_errors": [...]}}`` validation errors."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: Sequence[str | int], code: str, message: str) -> None:
        node = self.errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_len(self, path: Sequence[str | int], value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def raise_if_any(self) -> None:
        if self.errors:
            raise DiscordAPIError(400, 50035, errors=self.errors)


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class UploadedFile:
    field: str
    filename: str
    data: bytes
    content_type: str | None = None


@dataclasses.dataclass
class Call:
    """One HTTP request received by the fake (recorded when it arrives, completed on answer)."""

    method: str
    path: str  # concrete path, without the /api/v10 prefix
    route: str | None  # discord.py style route key, e.g. "POST /channels/{channel_id}/messages"
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    reason: str | None = None
    status: int | None = None
    response: Any = None
    at: float = dataclasses.field(default_factory=time.monotonic)


@dataclasses.dataclass
class InteractionRecord:
    """What the bot did with one interaction (see ``FakeDiscordServer.interaction_responses``)."""

    id: int
    token: str
    type: int  # interaction type: 2 command, 3 component, 4 autocomplete, 5 modal submit
    payload: dict[str, Any]
    created_at: float
    channel_id: int | None = None
    guild_id: int | None = None
    user_id: int | None = None
    message_id: int | None = None  # message carrying the component / the modal's source message
    callback_type: int | None = None  # 4 message, 5 deferred, 6 deferred update, 7 update, 9 modal ...
    callback_data: dict[str, Any] | None = None
    callback_files: list[UploadedFile] = dataclasses.field(default_factory=list)
    acknowledged_at: float | None = None
    original: dict[str, Any] | None = None  # stored message created by callback 4/5 (live dict)
    followups: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # live dicts
    edits: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # {"target", "payload"}
    rejected: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # refused callbacks

    @property
    def acknowledged(self) -> bool:
        return self.callback_type is not None

    @property
    def flags(self) -> int:
        return int((self.callback_data or {}).get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MESSAGE_FLAG_EPHEMERAL)

    @property
    def content(self) -> str | None:
        """Text of the answer: callback data content, or the (edited) original message."""
        if self.original is not None:
            return self.original.get("content")
        return (self.callback_data or {}).get("content")

    @property
    def custom_id(self) -> str | None:
        return (self.payload.get("data") or {}).get("custom_id")

    @property
    def command_name(self) -> str | None:
        return (self.payload.get("data") or {}).get("name")


@dataclasses.dataclass
class _Fault:
    status: int
    code: int
    count: int
    message: str | None
    retry_after: float | None
    is_global: bool
    scope: str
    errors: dict[str, Any] | None


# ---------------------------------------------------------------------------------------------
# Payload validation
# ---------------------------------------------------------------------------------------------

_ACTION_ROW, _BUTTON, _STRING_SELECT, _TEXT_INPUT, _LABEL = 1, 2, 3, 4, 18
_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
# interaction type -> callback types Discord accepts for it
_ALLOWED_CALLBACKS = {2: {4, 5, 9, 12}, 3: {4, 5, 6, 7, 9, 12}, 4: {8}, 5: {4, 5, 6, 7}}


def _validate_embeds(errs: _FormErrors, embeds: Any, path: tuple[str | int, ...] = ()) -> None:
    if embeds is None:
        return
    if not isinstance(embeds, list):
        errs.add((*path, "embeds"), "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
        return
    if len(embeds) > 10:
        errs.add((*path, "embeds"), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        p = (*path, "embeds", i)
        errs.max_len((*p, "title"), embed.get("title"), 256)
        errs.max_len((*p, "description"), embed.get("description"), 4096)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errs.add((*p, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, field in enumerate(fields):
            errs.max_len((*p, "fields", j, "name"), field.get("name"), 256)
            errs.max_len((*p, "fields", j, "value"), field.get("value"), 1024)
        errs.max_len((*p, "footer", "text"), (embed.get("footer") or {}).get("text"), 2048)
        errs.max_len((*p, "author", "name"), (embed.get("author") or {}).get("name"), 256)
        total += sum(
            len(x or "")
            for x in (
                embed.get("title"),
                embed.get("description"),
                (embed.get("footer") or {}).get("text"),
                (embed.get("author") or {}).get("name"),
                *[f.get("name") for f in fields],
                *[f.get("value") for f in fields],
            )
        )
    if total > 6000:
        errs.add((*path, "embeds"), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _validate_interactive(errs: _FormErrors, comp: Mapping[str, Any], path: tuple[str | int, ...]) -> None:
    ctype = comp.get("type")
    if "custom_id" in comp:
        errs.max_len((*path, "custom_id"), comp.get("custom_id"), 100)
    if ctype == _BUTTON:
        errs.max_len((*path, "label"), comp.get("label"), 80)
        if comp.get("style") != 5 and comp.get("style") != 6 and not comp.get("custom_id"):
            errs.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    elif ctype in _SELECT_TYPES:
        errs.max_len((*path, "placeholder"), comp.get("placeholder"), 150)
        options = comp.get("options") or []
        if len(options) > 25:
            errs.add((*path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for k, opt in enumerate(options):
            errs.max_len((*path, "options", k, "label"), opt.get("label"), 100)
            errs.max_len((*path, "options", k, "value"), opt.get("value"), 100)
    elif ctype == _TEXT_INPUT:
        errs.max_len((*path, "label"), comp.get("label"), 45)
        errs.max_len((*path, "placeholder"), comp.get("placeholder"), 100)
        errs.max_len((*path, "value"), comp.get("value"), 4000)


def _walk_v2(errs: _FormErrors, comps: Sequence[Mapping[str, Any]], path: tuple[str | int, ...]) -> int:
    count = 0
    for i, comp in enumerate(comps):
        count += 1
        p = (*path, i)
        _validate_interactive(errs, comp, p)
        if isinstance(comp.get("components"), list):
            count += _walk_v2(errs, comp["components"], (*p, "components"))
        if isinstance(comp.get("accessory"), dict):
            count += 1
            _validate_interactive(errs, comp["accessory"], (*p, "accessory"))
        if isinstance(comp.get("component"), dict):
            count += _walk_v2(errs, [comp["component"]], (*p, "component"))
    return count


def _validate_components(
    errs: _FormErrors, components: Any, flags: int, path: tuple[str | int, ...] = ()
) -> None:
    if components is None:
        return
    if not isinstance(components, list):
        errs.add((*path, "components"), "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
        return
    if flags & MESSAGE_FLAG_COMPONENTS_V2:
        if _walk_v2(errs, components, (*path, "components")) > 40:
            errs.add((*path, "components"), "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in length.")
        return
    if len(components) > 5:
        errs.add((*path, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    for i, row in enumerate(components):
        p = (*path, "components", i)
        if row.get("type") != _ACTION_ROW:
            errs.add((*p, "type"), "UI_COMPONENT_INVALID", "Top-level components must be action rows.")
            continue
        children = row.get("components") or []
        if not 1 <= len(children) <= 5:
            errs.add((*p, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
        if any(c.get("type") in _SELECT_TYPES for c in children) and len(children) > 1:
            errs.add(
                (*p, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for j, child in enumerate(children):
            _validate_interactive(errs, child, (*p, "components", j))


def _validate_message(
    payload: Mapping[str, Any], *, path: tuple[str | int, ...] = (), errs: _FormErrors
) -> None:
    errs.max_len((*path, "content"), payload.get("content"), 2000)
    _validate_embeds(errs, payload.get("embeds"), path)
    _validate_components(errs, payload.get("components"), int(payload.get("flags") or 0), path)
    if payload.get("nonce") is not None and len(str(payload["nonce"])) > 25:
        errs.add((*path, "nonce"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")


def _validate_modal(data: Any) -> None:
    errs = _FormErrors()
    if not isinstance(data, dict):
        errs.add(("data",), "BASE_TYPE_REQUIRED", "This field is required")
        errs.raise_if_any()
        return
    p: tuple[str | int, ...] = ("data",)
    title = data.get("title")
    if not title:
        errs.add((*p, "title"), "BASE_TYPE_REQUIRED", "This field is required")
    errs.max_len((*p, "title"), title, 45)
    if not data.get("custom_id"):
        errs.add((*p, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    errs.max_len((*p, "custom_id"), data.get("custom_id"), 100)
    comps = data.get("components") or []
    if not 1 <= len(comps) <= 5:
        errs.add((*p, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    for i, comp in enumerate(comps):
        cp = (*p, "components", i)
        if comp.get("type") == _LABEL:
            errs.max_len((*cp, "label"), comp.get("label"), 45)
            errs.max_len((*cp, "description"), comp.get("description"), 100)
            inner = comp.get("component") or {}
            _validate_interactive(errs, inner, (*cp, "component"))
        elif comp.get("type") == _ACTION_ROW:
            for j, child in enumerate(comp.get("components") or []):
                _validate_interactive(errs, child, (*cp, "components", j))
        else:
            _validate_interactive(errs, comp, cp)
    errs.raise_if_any()


def _modal_inputs(modal: Mapping[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(wrapper kind, input component, label component) for each input of a recorded modal."""
    out: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
    for comp in modal.get("components") or []:
        if comp.get("type") == _LABEL and isinstance(comp.get("component"), dict):
            out.append(("label", comp["component"], comp))
        elif comp.get("type") == _ACTION_ROW:
            out.extend(("row", child, None) for child in comp.get("components") or [])
        elif comp.get("custom_id"):
            out.append(("bare", comp, None))
    return out


# ---------------------------------------------------------------------------------------------
# The fake server
# ---------------------------------------------------------------------------------------------


_Handler = Callable[["_Request"], Any]


@dataclasses.dataclass
class _Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    authorization: str | None
    call: Call


class FakeDiscordServer:
    """A fake Discord REST API on 127.0.0.1. Use ``async with FakeDiscordServer() as server``.

    Knobs (plain attributes, change them any time):

    * ``interaction_deadline`` (3.0 s, ``None`` disables): an initial callback later than this
      after the interaction was fed answers 404 / 10062 "Unknown interaction".
    * ``token_ttl`` (900 s, ``None`` disables): followups / original-response edits after this
      answer 401 / 50027.
    * ``nonce_window`` (300 s): a message create with ``enforce_nonce`` and a nonce already
      used in the channel within the window returns the first message instead of a new one.
    * ``ratelimit_headers`` (True): successful answers carry realistic, never-exhausted
      ``X-RateLimit-*`` headers.
    """

    def __init__(
        self,
        *,
        application_id: int = 900_000_000_000_000_001,
        bot_user_id: int | None = None,
        bot_name: str = "CivicBot",
        token: str | None = None,
        interaction_deadline: float | None = 3.0,
        token_ttl: float | None = 900.0,
        nonce_window: float = 300.0,
    ) -> None:
        self.application_id = int(application_id)
        self.bot_user_id = int(bot_user_id if bot_user_id is not None else application_id)
        self.bot_name = bot_name
        self.token = token  # None: any non-empty bot token is accepted
        self.interaction_deadline = interaction_deadline
        self.token_ttl = token_ttl
        self.nonce_window = nonce_window
        self.ratelimit_headers = True

        self.calls: list[Call] = []
        self.users: dict[int, dict[str, Any]] = {}
        self.guilds: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.scheduled_events: dict[int, dict[str, Any]] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # None = global
        self.interactions: dict[int, InteractionRecord] = {}
        self.attachment_bytes_served = 0  # bytes of attachments downloaded from the CDN route

        self._dms_closed: set[int] = set()
        self._dm_by_user: dict[int, int] = {}
        self._messages: dict[int, dict[str, Any]] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._interactions_by_token: dict[str, InteractionRecord] = {}
        self._modals: dict[str, tuple[dict[str, Any], int]] = {}
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._last_snowflake = 0
        self._routes: list[tuple[str, str, re.Pattern[str], _Handler]] = []
        self._build_routes()

        self.internal_errors: list[BaseException] = []
        self.in_flight = 0
        self._idle: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

        self.add_user(self.bot_user_id, bot_name, bot=True)
        self.add_user(DEFAULT_USER_ID, "citizen")  # default interaction user, also the app owner

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FakeDiscordServer:
        if self._runner is not None:
            return self
        self._idle = asyncio.Event()
        self._idle.set()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=4096)  # bursts of new connections
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscordServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to."""
        return self.base_url + API_PREFIX

    async def wait_idle(self, max_wait: float = 5.0) -> None:
        """Wait until no request is being handled."""
        if self._idle is not None:
            await asyncio.wait_for(self._idle.wait(), max_wait)

    # -- ids ---------------------------------------------------------------------------------

    def new_snowflake(self) -> int:
        now_ms = int(time.time() * 1000)
        value = ((now_ms - DISCORD_EPOCH_MS) << 22) | (1 << 17)
        if value <= self._last_snowflake:
            value = self._last_snowflake + 1
        self._last_snowflake = value
        return value

    # -- state helpers for tests -------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        name: str,
        *,
        dms_closed: bool = False,
        bot: bool = False,
        global_name: str | None = None,
    ) -> dict[str, Any]:
        user = {
            "id": str(int(user_id)),
            "username": name,
            "discriminator": "0",
            "global_name": global_name if global_name is not None else (None if bot else name),
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "bot": bot,
        }
        self.users[int(user_id)] = user
        self.set_dms_closed(user_id, dms_closed)
        return user

    def ensure_user(self, user_id: int, name: str | None = None) -> dict[str, Any]:
        user = self.users.get(int(user_id))
        if user is None:
            user = self.add_user(user_id, name or f"user{int(user_id) % 100000}")
        return user

    def set_dms_closed(self, user_id: int, closed: bool = True) -> None:
        (self._dms_closed.add if closed else self._dms_closed.discard)(int(user_id))

    def bot_user(self) -> dict[str, Any]:
        return self.users[self.bot_user_id]

    def add_guild(
        self,
        guild_id: int,
        name: str,
        channels: Iterable[int | Mapping[str, Any]] = (),
        *,
        owner_id: int | None = None,
        roles: Iterable[Mapping[str, Any]] = (),
        everyone_permissions: int = DEFAULT_MEMBER_PERMISSIONS,
        preferred_locale: str = "en-US",
    ) -> dict[str, Any]:
        """Register a guild. ``channels``: ids (text channels) or dicts ``{id, name, type, ...}``.

        ``roles``: dicts ``{id, name, permissions}``; the @everyone role (id = guild id) is added.
        """
        gid = int(guild_id)
        guild: dict[str, Any] = {
            "id": str(gid),
            "name": name,
            "owner_id": str(owner_id or DEFAULT_USER_ID),
            "preferred_locale": preferred_locale,
            "roles": [
                {
                    "id": str(gid),
                    "name": "@everyone",
                    "permissions": str(everyone_permissions),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channel_ids": [],
            "members": {},
            "joined_at": _now_iso(),
        }
        self.guilds[gid] = guild
        for pos, role in enumerate(roles, start=1):
            self.add_role(gid, int(role["id"]), role.get("name", f"role{pos}"), role.get("permissions", 0))
        for pos, channel in enumerate(channels):
            if isinstance(channel, Mapping):
                spec = {"position": pos, **{k: v for k, v in channel.items() if k != "id"}}
                self.add_channel(gid, int(channel["id"]), **spec)
            else:
                self.add_channel(gid, int(channel), position=pos)
        self.add_member(gid, self.bot_user_id)
        return guild

    def add_role(self, guild_id: int, role_id: int, name: str, permissions: int | str = 0) -> dict[str, Any]:
        guild = self.guilds[int(guild_id)]
        role = {
            "id": str(int(role_id)),
            "name": name,
            "permissions": str(int(permissions)),
            "position": len(guild["roles"]),
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": True,
            "flags": 0,
        }
        guild["roles"].append(role)
        return role

    def add_channel(
        self,
        guild_id: int,
        channel_id: int,
        name: str | None = None,
        *,
        type: int = 0,
        position: int = 0,
        **extra: Any,
    ) -> dict[str, Any]:
        gid = int(guild_id)
        cid = int(channel_id)
        channel = {
            "id": str(cid),
            "type": type,
            "guild_id": str(gid),
            "name": name or f"channel-{len(self.guilds[gid]['channel_ids']) + 1}",
            "position": position,
            "permission_overwrites": [],
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "last_message_id": None,
            "flags": 0,
        }
        channel.update(extra)
        self.channels[cid] = channel
        self.guilds[gid]["channel_ids"].append(cid)
        return channel

    def add_member(
        self, guild_id: int, user_id: int, *, roles: Iterable[int] = (), nick: str | None = None
    ) -> dict[str, Any]:
        user = self.ensure_user(user_id)
        member = {
            "user": user,
            "roles": [str(int(r)) for r in roles],
            "nick": nick,
            "avatar": None,
            "joined_at": _now_iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        self.guilds[int(guild_id)]["members"][int(user_id)] = member
        return member

    def member_permissions(self, guild_id: int, roles: Iterable[int]) -> int:
        """Permissions Discord would compute for a member with ``roles`` (no overwrites)."""
        guild = self.guilds[int(guild_id)]
        wanted = {str(int(r)) for r in roles} | {str(int(guild_id))}
        perms = 0
        for role in guild["roles"]:
            if role["id"] in wanted:
                perms |= int(role["permissions"])
        return ALL_PERMISSIONS if perms & PERM_ADMINISTRATOR else perms

    def open_dm(self, user_id: int) -> dict[str, Any]:
        """Get or create the DM channel with ``user_id`` (what POST /users/@me/channels does)."""
        uid = int(user_id)
        user = self.users.get(uid)
        if user is None:
            raise DiscordAPIError(404, 10013)
        cid = self._dm_by_user.get(uid)
        if cid is None:
            cid = self.new_snowflake()
            self.channels[cid] = {
                "id": str(cid),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [user],
            }
            self._dm_by_user[uid] = cid
        return self.channels[cid]

    def dm_channel_of(self, user_id: int) -> int | None:
        return self._dm_by_user.get(int(user_id))

    def dm_messages(self, user_id: int) -> list[dict[str, Any]]:
        cid = self.dm_channel_of(user_id)
        return [] if cid is None else self.messages(cid)

    def messages(
        self, channel_id: int, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        """Stored messages of a channel, oldest first (live dicts).

        Each is a Discord message payload plus: ``allowed_mentions`` (as sent), ``edit_count``,
        ``edits`` (payloads of later edits), ``deleted``, ``interaction_id``; attachments carry
        ``bytes``. Ephemeral interaction answers are left out unless ``include_ephemeral``.
        """
        out = []
        for mid in self._channel_messages.get(int(channel_id), []):
            msg = self._messages[mid]
            if msg["deleted"] and not include_deleted:
                continue
            if int(msg.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL and not include_ephemeral:
                continue
            out.append(msg)
        return out

    def message(self, message_id: int) -> dict[str, Any]:
        return self._messages[int(message_id)]

    def add_user_message(self, channel_id: int, user_id: int, content: str) -> dict[str, Any]:
        """Plant a message written by a (non-bot) user, e.g. for fetch_message / history tests."""
        return self._store_message(
            int(channel_id), {"content": content}, [], author=self.ensure_user(user_id), validate=False
        )

    def public_message(self, message: Mapping[str, Any] | int) -> dict[str, Any]:
        """The message as Discord would send it over the wire (fake-only keys stripped)."""
        msg = self._messages[int(message)] if isinstance(message, int) else message
        out = {k: copy.deepcopy(v) for k, v in msg.items() if k not in _FAKE_MESSAGE_KEYS}
        out["attachments"] = [
            {k: v for k, v in a.items() if k != "bytes"} for a in msg.get("attachments", [])
        ]
        return out

    def interaction_responses(self, interaction_id: int) -> InteractionRecord:
        return self.interactions[int(interaction_id)]

    def modal(self, custom_id: str) -> dict[str, Any] | None:
        """The last modal (callback type 9 data) shown with this custom_id."""
        entry = self._modals.get(custom_id)
        return None if entry is None else entry[0]

    def commands_for(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        return self.commands.get(None if guild_id is None else int(guild_id), [])

    def calls_to(self, route: str) -> list[Call]:
        """Calls whose route key (``"POST /channels/{channel_id}/messages"``) or concrete
        ``"METHOD /path"`` equals ``route``."""
        return [c for c in self.calls if route in (c.route, f"{c.method} {c.path}")]

    # -- fault injection ---------------------------------------------------------------------

    def fail_next(
        self,
        route_key: str,
        status: int,
        code: int = 0,
        count: int = 1,
        *,
        message: str | None = None,
        retry_after: float | None = None,
        is_global: bool = False,
        scope: str = "user",
        errors: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``count`` requests matching ``route_key`` with an error.

        ``route_key`` is a discord.py route key (``ROUTE_CREATE_MESSAGE``), a concrete
        ``"POST /channels/123/messages"``, or ``"*"`` for any route. ``status=429`` sends a
        rate-limit answer (``retry_after`` seconds, default 0.05) with the ``Via`` and
        ``X-RateLimit-*`` headers discord.py needs to retry by itself (``scope``: user, global,
        shared). Other statuses send ``{"message", "code"}``; note discord.py sleeps 1 s+ and
        retries by itself on 500/502/504.
        """
        if status == 429 and retry_after is None:
            retry_after = 0.05
        fault = _Fault(status, code, count, message, retry_after, is_global, scope, errors)
        self._faults.setdefault(route_key, deque()).append(fault)

    def rate_limit_next(self, route_key: str, retry_after: float = 0.05, count: int = 1, **kw: Any) -> None:
        self.fail_next(route_key, 429, count=count, retry_after=retry_after, **kw)

    def _pop_fault(self, keys: Sequence[str]) -> _Fault | None:
        for key in (*keys, "*"):
            queue = self._faults.get(key)
            if queue:
                fault = queue[0]
                fault.count -= 1
                if fault.count <= 0:
                    queue.popleft()
                return fault
        return None

    # -- interactions (used by the harness) --------------------------------------------------

    def register_interaction(
        self, payload: Mapping[str, Any], *, created_at: float | None = None
    ) -> InteractionRecord:
        """Make the fake know an interaction (its token) before it is fed to a client."""
        iid = int(payload["id"])
        rec = self.interactions.get(iid)
        if rec is not None:  # duplicate delivery: keep the first record (and its deadline)
            return rec
        user = payload.get("user") or (payload.get("member") or {}).get("user") or {}
        message = payload.get("message") or {}
        rec = InteractionRecord(
            id=iid,
            token=payload["token"],
            type=int(payload["type"]),
            payload=copy.deepcopy(dict(payload)),
            created_at=time.monotonic() if created_at is None else created_at,
            channel_id=int(payload["channel_id"]) if payload.get("channel_id") else None,
            guild_id=int(payload["guild_id"]) if payload.get("guild_id") else None,
            user_id=int(user["id"]) if user.get("id") else None,
            message_id=int(message["id"]) if message.get("id") else None,
        )
        self.interactions[iid] = rec
        self._interactions_by_token[rec.token] = rec
        return rec

    # -- HTTP plumbing -----------------------------------------------------------------------

    def _build_routes(self) -> None:
        table: list[tuple[str, str, _Handler]] = [
            ("GET", "/users/@me", self._get_me),
            ("POST", "/users/@me/channels", self._open_dm),
            ("GET", "/users/{user_id}", self._get_user),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/applications/{application_id}/commands", self._get_commands),
            ("PUT", "/applications/{application_id}/commands", self._put_commands),
            ("POST", "/applications/{application_id}/commands", self._post_command),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self._get_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands),
            ("POST", "/applications/{application_id}/guilds/{guild_id}/commands", self._post_command),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("GET", "/channels/{channel_id}/messages", self._get_messages),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("POST", "/interactions/{webhook_id}/{webhook_token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self._followup),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self._get_webhook_message),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                self._edit_webhook_message,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                self._delete_webhook_message,
            ),
            (
                "GET",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._get_webhook_message,
            ),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._edit_webhook_message,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._delete_webhook_message,
            ),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("GET", "/guilds/{guild_id}/scheduled-events", self._list_events),
            ("POST", "/guilds/{guild_id}/scheduled-events", self._create_event),
            ("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self._get_event),
            ("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self._edit_event),
            ("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self._delete_event),
        ]
        for method, template, handler in table:
            pattern = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
            pattern = re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", pattern)
            self._routes.append((method, template, re.compile(f"^{pattern}$"), handler))

    def _match(self, method: str, path: str) -> tuple[str | None, dict[str, str], _Handler | None, bool]:
        path_known = False
        for r_method, template, regex, handler in self._routes:
            m = regex.match(path)
            if m is None:
                continue
            path_known = True
            if r_method == method:
                return f"{method} {template}", m.groupdict(), handler, True
        return None, {}, None, path_known

    def _response(
        self,
        data: Any,
        status: int = 200,
        *,
        route: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        hdrs = {"Via": "1.1 google"}
        if self.ratelimit_headers and route is not None:
            hdrs.update(
                {
                    "X-RateLimit-Limit": "50",
                    "X-RateLimit-Remaining": "49",
                    "X-RateLimit-Reset": f"{time.time() + 1.0:.3f}",
                    "X-RateLimit-Reset-After": "1.000",
                    "X-RateLimit-Bucket": hashlib.md5(route.encode()).hexdigest(),
                }
            )
        if headers:
            hdrs.update(headers)
        if status == 204 or data is None:
            return web.Response(status=204, headers=hdrs)
        hdrs["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(data).encode(), headers=hdrs)

    def _fault_response(self, fault: _Fault, route: str | None) -> tuple[web.Response, dict[str, Any]]:
        if fault.status == 429:
            retry_after = float(fault.retry_after or 0.0)
            body: dict[str, Any] = {
                "message": fault.message or "You are being rate limited.",
                "retry_after": retry_after,
                "global": fault.is_global,
            }
            if fault.code:
                body["code"] = fault.code
            headers = {
                "Retry-After": str(max(1, int(retry_after + 0.999))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Bucket": hashlib.md5((route or "?").encode()).hexdigest(),
                "X-RateLimit-Scope": "global" if fault.is_global else fault.scope,
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            return self._response(body, 429, headers=headers), body
        err = DiscordAPIError(fault.status, fault.code, fault.message, errors=fault.errors)
        return self._response(err.body(), fault.status, route=route), err.body()

    async def _read_body(self, request: web.Request) -> tuple[Any, list[UploadedFile]]:
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            files: list[UploadedFile] = []
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader):  # nested multipart: not used by Discord
                    continue
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                else:
                    data = bytes(await part.read(decode=False))
                    files.append(
                        UploadedFile(
                            field=part.name or "",
                            filename=part.filename or part.name or "file",
                            data=data,
                            content_type=part.headers.get("Content-Type"),
                        )
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError as exc:
            raise DiscordAPIError(400, 50109) from exc

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        assert self._idle is not None
        self.in_flight += 1
        self._idle.clear()
        try:
            return await self._handle_inner(request)
        except Exception as exc:  # a bug in the fake: answer fast (no 5xx, discord.py would retry)
            _log.exception("FakeDiscordServer failed on %s %s", request.method, request.path)
            self.internal_errors.append(exc)
            body = {"message": f"FakeDiscordServer internal error: {exc!r}", "code": -1}
            return self._response(body, 400)
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self._idle.set()

    async def _handle_inner(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/attachments/"):
            return self._serve_attachment(path)
        sub = path[len(API_PREFIX) :] if path.startswith(API_PREFIX + "/") else None
        route, params, handler, path_known = (
            self._match(request.method, sub) if sub else (None, {}, None, False)
        )
        try:
            body, files = await self._read_body(request)
        except DiscordAPIError as exc:
            body, files = None, []
            bad_json: DiscordAPIError | None = exc
        else:
            bad_json = None
        call = Call(
            method=request.method,
            path=sub if sub is not None else path,
            route=route,
            params=params,
            query=dict(request.query),
            json=body,
            files=files,
            reason=request.headers.get("X-Audit-Log-Reason"),
        )
        self.calls.append(call)

        def finish(resp: web.Response, data: Any) -> web.Response:
            call.status = resp.status
            call.response = data
            return resp

        if handler is None:
            status = 405 if path_known else 404
            body_out = {"message": _STATUS_MESSAGES[status], "code": 0}
            return finish(self._response(body_out, status), body_out)

        assert route is not None
        fault = self._pop_fault((route, f"{request.method} {sub}"))
        if fault is not None:
            return finish(*self._fault_response(fault, route))

        try:
            if bad_json is not None:
                raise bad_json
            self._check_auth(route, request.headers.get("Authorization"))
            req = _Request(request.method, sub or "", params, dict(request.query), body, files, None, call)
            result = handler(req)
            if asyncio.iscoroutine(result):
                result = await result
        except DiscordAPIError as exc:
            return finish(self._response(exc.body(), exc.status, route=route), exc.body())
        if result is None:
            return finish(self._response(None, 204, route=route), None)
        return finish(self._response(result, 200, route=route), result)

    def _check_auth(self, route: str, authorization: str | None) -> None:
        # Interaction callbacks and webhook-token routes are authenticated by their token.
        if "{webhook_token}" in route:
            return
        if not authorization or not authorization.startswith("Bot ") or len(authorization) <= 4:
            raise DiscordAPIError(401, 0)
        if self.token is not None and authorization[4:] != self.token:
            raise DiscordAPIError(401, 0)

    def _serve_attachment(self, path: str) -> web.Response:
        parts = path.split("/")
        # /attachments/{channel_id}/{attachment_id}/{filename}
        if len(parts) >= 4 and parts[3].isdigit():
            att_id = parts[3]
            for msg in self._messages.values():
                for att in msg.get("attachments", []):
                    if att["id"] == att_id:
                        self.attachment_bytes_served += len(att["bytes"])
                        return web.Response(
                            body=att["bytes"],
                            headers={"Content-Type": att.get("content_type") or "application/octet-stream"},
                        )
        return web.Response(status=404, body=b"Not Found")

    # -- message storage ---------------------------------------------------------------------

    def _build_attachments(
        self,
        channel_id: int,
        payload: Mapping[str, Any],
        files: Sequence[UploadedFile],
        existing: Sequence[dict[str, Any]] = (),
    ) -> list[dict[str, Any]]:
        by_index: dict[int, UploadedFile] = {}
        for pos, f in enumerate(files):
            m = re.fullmatch(r"files\[(\d+)\]", f.field)
            by_index[int(m.group(1)) if m else pos] = f
        described = payload.get("attachments")
        if described is None:
            described = [*({"id": a["id"]} for a in existing), *({"id": i} for i in sorted(by_index))]
        out: list[dict[str, Any]] = []
        old = {a["id"]: a for a in existing}
        for entry in described:
            key = entry.get("id")
            if str(key) in old:
                out.append(old[str(key)])
                continue
            try:
                upload = by_index[int(key)]
            except (KeyError, TypeError, ValueError):
                continue
            att_id = str(self.new_snowflake())
            filename = entry.get("filename") or upload.filename
            ctype = mimetypes.guess_type(filename)[0] or upload.content_type or "application/octet-stream"
            url = f"{self.base_url}/attachments/{channel_id}/{att_id}/{filename}"
            att = {
                "id": att_id,
                "filename": filename,
                "size": len(upload.data),
                "url": url,
                "proxy_url": url,
                "content_type": ctype,
                "bytes": upload.data,
            }
            if entry.get("description"):
                att["description"] = entry["description"]
            out.append(att)
        return out

    def _store_message(
        self,
        channel_id: int,
        payload: Mapping[str, Any],
        files: Sequence[UploadedFile],
        *,
        author: dict[str, Any] | None = None,
        msg_type: int = 0,
        interaction: InteractionRecord | None = None,
        allowed_flags: int = MESSAGE_FLAG_SUPPRESS_EMBEDS
        | MESSAGE_FLAG_SUPPRESS_NOTIFICATIONS
        | MESSAGE_FLAG_COMPONENTS_V2,
        extra_flags: int = 0,
        validate: bool = True,
        errors_path: tuple[str | int, ...] = (),
    ) -> dict[str, Any]:
        if validate:
            errs = _FormErrors()
            _validate_message(payload, path=errors_path, errs=errs)
            errs.raise_if_any()
            has_body = (
                payload.get("content")
                or payload.get("embeds")
                or payload.get("components")
                or files
                or payload.get("sticker_ids")
                or payload.get("poll")
            )
            if not has_body and not extra_flags & MESSAGE_FLAG_LOADING:
                raise DiscordAPIError(400, 50006)
        channel = self.channels[channel_id]
        mid = self.new_snowflake()
        flags = (int(payload.get("flags") or 0) & allowed_flags) | extra_flags
        msg: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": copy.deepcopy(author or self.bot_user()),
            "content": payload.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._build_attachments(channel_id, payload, files),
            "embeds": [{"type": "rich", **e} for e in payload.get("embeds") or []],
            "components": copy.deepcopy(payload.get("components") or []),
            "pinned": False,
            "type": msg_type,
            "flags": flags,
            "allowed_mentions": copy.deepcopy(payload.get("allowed_mentions")),
            "edit_count": 0,
            "edits": [],
            "deleted": False,
            "interaction_id": None,
        }
        if channel.get("guild_id"):
            msg["guild_id"] = channel["guild_id"]
        if payload.get("nonce") is not None:
            msg["nonce"] = payload["nonce"]
        if payload.get("message_reference"):
            msg["message_reference"] = copy.deepcopy(payload["message_reference"])
        if interaction is not None:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
            msg["interaction_id"] = interaction.id
            user = interaction.payload.get("user") or (interaction.payload.get("member") or {}).get("user")
            meta: dict[str, Any] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": copy.deepcopy(user),
                "authorizing_integration_owners": copy.deepcopy(
                    interaction.payload.get("authorizing_integration_owners", {})
                ),
            }
            if interaction.message_id is not None:
                meta["interacted_message_id"] = str(interaction.message_id)
            if interaction.command_name:
                meta["name"] = interaction.command_name
            msg["interaction_metadata"] = meta
        self._messages[mid] = msg
        self._channel_messages.setdefault(channel_id, []).append(mid)
        channel["last_message_id"] = str(mid)
        return msg

    def _apply_edit(
        self,
        msg: dict[str, Any],
        payload: Mapping[str, Any] | None,
        files: Sequence[UploadedFile],
        *,
        errors_path: tuple[str | int, ...] = (),
    ) -> dict[str, Any]:
        payload = payload or {}
        errs = _FormErrors()
        flags = int(payload.get("flags", msg.get("flags")) or 0)
        _validate_message({**payload, "flags": flags}, path=errors_path, errs=errs)
        errs.raise_if_any()
        if "content" in payload:
            msg["content"] = payload["content"] or ""
        if "embeds" in payload:
            msg["embeds"] = [{"type": "rich", **e} for e in payload["embeds"] or []]
        if "components" in payload:
            msg["components"] = copy.deepcopy(payload["components"] or [])
        if "allowed_mentions" in payload:
            msg["allowed_mentions"] = copy.deepcopy(payload["allowed_mentions"])
        if "flags" in payload and payload["flags"] is not None:
            keep = int(msg["flags"]) & (MESSAGE_FLAG_EPHEMERAL | MESSAGE_FLAG_COMPONENTS_V2)
            msg["flags"] = keep | (
                int(payload["flags"]) & (MESSAGE_FLAG_SUPPRESS_EMBEDS | MESSAGE_FLAG_COMPONENTS_V2)
            )
        if "attachments" in payload or files:
            msg["attachments"] = self._build_attachments(
                int(msg["channel_id"]), payload, files, msg["attachments"]
            )
        msg["flags"] = int(msg["flags"]) & ~MESSAGE_FLAG_LOADING
        msg["edited_timestamp"] = _now_iso()
        msg["edit_count"] += 1
        msg["edits"].append(copy.deepcopy(dict(payload)))
        return msg

    def _channel_or_404(self, channel_id: str | int) -> dict[str, Any]:
        channel = self.channels.get(int(channel_id))
        if channel is None:
            raise DiscordAPIError(404, 10003)
        return channel

    def _message_in_channel(self, channel_id: str | int, message_id: str | int) -> dict[str, Any]:
        self._channel_or_404(channel_id)
        msg = self._messages.get(int(message_id))
        if (
            msg is None
            or msg["deleted"]
            or msg["channel_id"] != str(int(channel_id))
            or int(msg.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL
        ):
            raise DiscordAPIError(404, 10008)
        return msg

    # -- route handlers: identity ------------------------------------------------------------

    def _get_me(self, req: _Request) -> dict[str, Any]:
        return {**self.bot_user(), "verified": True, "mfa_enabled": False, "locale": "en-US"}

    def _get_user(self, req: _Request) -> dict[str, Any]:
        user = self.users.get(int(req.params["user_id"]))
        if user is None:
            raise DiscordAPIError(404, 10013)
        return user

    def _get_application(self, req: _Request) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.bot_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": self.ensure_user(DEFAULT_USER_ID),
            "team": None,
            "bot": self.bot_user(),
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
        }

    def _get_gateway(self, req: _Request) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/gateway-not-served"}

    def _get_gateway_bot(self, req: _Request) -> dict[str, Any]:
        return {
            **self._get_gateway(req),
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1},
        }

    # -- application commands ----------------------------------------------------------------

    def _command_scope(self, req: _Request) -> int | None:
        if int(req.params["application_id"]) != self.application_id:
            raise DiscordAPIError(403, 50001)
        gid = req.params.get("guild_id")
        if gid is not None and int(gid) not in self.guilds:
            raise DiscordAPIError(404, 10004)
        return None if gid is None else int(gid)

    def _validate_commands(self, payload: Any) -> None:
        errs = _FormErrors()
        if not isinstance(payload, list):
            errs.add((), "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
            errs.raise_if_any()
        if len(payload) > 100:
            errs.add((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        seen: set[tuple[int, str]] = set()
        for i, cmd in enumerate(payload):
            ctype = int(cmd.get("type", 1))
            self._validate_command_names(errs, cmd, (i,), slash=ctype == 1)
            key = (ctype, cmd.get("name", ""))
            if key in seen:
                errs.add((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Command names must be unique")
            seen.add(key)
        errs.raise_if_any()

    def _validate_command_names(
        self, errs: _FormErrors, obj: Mapping[str, Any], path: tuple[str | int, ...], *, slash: bool
    ) -> None:
        name = obj.get("name") or ""
        if not name or len(name) > 32 or (slash and (name != name.lower() or " " in name)):
            errs.add((*path, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        desc = obj.get("description", "")
        if slash and not 1 <= len(desc) <= 100:
            errs.add((*path, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        for field, limit in (("name_localizations", 32), ("description_localizations", 100)):
            for locale, value in (obj.get(field) or {}).items():
                where = (*path, field, locale)
                if locale not in VALID_LOCALES:
                    errs.add(where, "ENUM_TYPE_COERCE", f'Value "{locale}" is not a valid enum value.')
                elif not value or len(value) > limit:
                    errs.add(where, "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {limit} in length.")
                elif field == "name_localizations" and slash and (value != value.lower() or " " in value):
                    errs.add(where, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        for j, opt in enumerate(obj.get("options") or []):
            self._validate_command_names(errs, opt, (*path, "options", j), slash=True)

    def _store_command(
        self, scope: int | None, cmd: Mapping[str, Any], existing: Mapping[tuple[int, str], dict]
    ) -> dict:
        ctype = int(cmd.get("type", 1))
        old = existing.get((ctype, cmd.get("name", "")))
        stored = {
            "id": old["id"] if old else str(self.new_snowflake()),
            "application_id": str(self.application_id),
            "version": str(self.new_snowflake()),
            "type": ctype,
            "name": cmd.get("name"),
            "name_localizations": cmd.get("name_localizations"),
            "description": cmd.get("description", ""),
            "description_localizations": cmd.get("description_localizations"),
            "options": copy.deepcopy(cmd.get("options") or []),
            "default_member_permissions": cmd.get("default_member_permissions"),
            "nsfw": bool(cmd.get("nsfw", False)),
            "contexts": cmd.get("contexts"),
            "integration_types": cmd.get("integration_types", [0]),
        }
        if "dm_permission" in cmd:
            stored["dm_permission"] = cmd["dm_permission"]
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored

    def _get_commands(self, req: _Request) -> list[dict[str, Any]]:
        return self.commands.get(self._command_scope(req), [])

    def _put_commands(self, req: _Request) -> list[dict[str, Any]]:
        scope = self._command_scope(req)
        self._validate_commands(req.json)
        existing = {(c["type"], c["name"]): c for c in self.commands.get(scope, [])}
        self.commands[scope] = [self._store_command(scope, c, existing) for c in req.json]
        return self.commands[scope]

    def _post_command(self, req: _Request) -> dict[str, Any]:
        scope = self._command_scope(req)
        self._validate_commands([req.json])
        current = self.commands.setdefault(scope, [])
        existing = {(c["type"], c["name"]): c for c in current}
        stored = self._store_command(scope, req.json, existing)
        current[:] = [c for c in current if c["id"] != stored["id"]] + [stored]
        return stored

    # -- channels & messages -----------------------------------------------------------------

    def _get_channel(self, req: _Request) -> dict[str, Any]:
        return self._channel_or_404(req.params["channel_id"])

    def _open_dm(self, req: _Request) -> dict[str, Any]:
        recipient: Any = (req.json or {}).get("recipient_id")
        if recipient is None:
            errs = _FormErrors()
            errs.add(("recipient_id",), "BASE_TYPE_REQUIRED", "This field is required")
            errs.raise_if_any()
        return self.open_dm(int(recipient))

    def _create_message(self, req: _Request) -> dict[str, Any]:
        cid = int(req.params["channel_id"])
        channel = self._channel_or_404(cid)
        if channel["type"] == 1:
            recipient = int(channel["recipients"][0]["id"])
            if recipient in self._dms_closed:
                raise DiscordAPIError(403, 50007)
        payload = req.json or {}
        nonce = payload.get("nonce")
        now = time.monotonic()
        if nonce is not None and payload.get("enforce_nonce"):
            hit = self._nonces.get((cid, str(nonce)))
            if hit is not None and now - hit[1] <= self.nonce_window:
                return self.public_message(self._messages[hit[0]])
        msg = self._store_message(cid, payload, req.files)
        if nonce is not None and payload.get("enforce_nonce"):
            self._nonces[(cid, str(nonce))] = (int(msg["id"]), now)
        return self.public_message(msg)

    def _get_messages(self, req: _Request) -> list[dict[str, Any]]:
        self._channel_or_404(req.params["channel_id"])
        msgs = self.messages(int(req.params["channel_id"]))
        limit = max(1, min(100, int(req.query.get("limit", 50))))
        if "before" in req.query:
            msgs = [m for m in msgs if int(m["id"]) < int(req.query["before"])]
        if "after" in req.query:
            msgs = [m for m in msgs if int(m["id"]) > int(req.query["after"])][:limit]
        return [self.public_message(m) for m in reversed(msgs)][:limit]

    def _get_message(self, req: _Request) -> dict[str, Any]:
        return self.public_message(
            self._message_in_channel(req.params["channel_id"], req.params["message_id"])
        )

    def _edit_message(self, req: _Request) -> dict[str, Any]:
        msg = self._message_in_channel(req.params["channel_id"], req.params["message_id"])
        if msg["author"]["id"] != str(self.bot_user_id):
            raise DiscordAPIError(403, 50005)
        return self.public_message(self._apply_edit(msg, req.json, req.files))

    def _delete_message(self, req: _Request) -> None:
        msg = self._message_in_channel(req.params["channel_id"], req.params["message_id"])
        msg["deleted"] = True

    # -- interactions ------------------------------------------------------------------------

    def _interaction_callback(self, req: _Request) -> dict[str, Any] | None:
        rec = self.interactions.get(int(req.params["webhook_id"]))
        if rec is None or rec.token != req.params["webhook_token"]:
            raise DiscordAPIError(404, 10062)
        payload = req.json or {}
        try:
            return self._do_callback(rec, payload, req.files, want_response="with_response" in req.query)
        except DiscordAPIError as exc:
            rec.rejected.append(
                {"status": exc.status, "code": exc.code, "message": exc.message, "type": payload.get("type")}
            )
            raise

    def _do_callback(
        self,
        rec: InteractionRecord,
        payload: Mapping[str, Any],
        files: Sequence[UploadedFile],
        *,
        want_response: bool,
    ) -> dict[str, Any] | None:
        now = time.monotonic()
        ctype: Any = payload.get("type")
        data = payload.get("data")
        self._check_callback(rec, ctype, now)
        respond = self._CALLBACK_RESPONSES.get(ctype)
        message = respond(self, rec, data, files) if respond is not None else None
        rec.callback_type = int(ctype)
        rec.callback_data = copy.deepcopy(data)
        rec.callback_files = list(files)
        rec.acknowledged_at = now
        if not want_response:
            return None
        return self._callback_body(rec, ctype, message)

    def _check_callback(self, rec: InteractionRecord, ctype: Any, now: float) -> None:
        """The interaction is still open, not yet answered, and takes this response type."""
        if self.interaction_deadline is not None and now - rec.created_at > self.interaction_deadline:
            raise DiscordAPIError(404, 10062)
        if rec.callback_type is not None:
            raise DiscordAPIError(400, 40060)
        if ctype not in _ALLOWED_CALLBACKS.get(rec.type, set()) or (
            ctype in (6, 7) and rec.message_id is None
        ):
            errs = _FormErrors()
            errs.add(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type")
            errs.raise_if_any()

    def _callback_message(
        self, rec: InteractionRecord, data: Any, files: Sequence[UploadedFile]
    ) -> dict[str, Any] | None:
        """CHANNEL_MESSAGE_WITH_SOURCE (4): the response message itself."""
        if not isinstance(data, dict):
            raise DiscordAPIError(400, 50006)
        message = self._store_message(
            int(rec.channel_id or 0),
            data,
            files,
            msg_type=20 if rec.type == 2 else 0,
            interaction=rec,
            allowed_flags=MESSAGE_FLAG_SUPPRESS_EMBEDS
            | MESSAGE_FLAG_SUPPRESS_NOTIFICATIONS
            | MESSAGE_FLAG_COMPONENTS_V2
            | MESSAGE_FLAG_EPHEMERAL,
            errors_path=("data",),
        )
        rec.original = message
        return message

    def _callback_deferred(
        self, rec: InteractionRecord, data: Any, files: Sequence[UploadedFile]
    ) -> dict[str, Any] | None:
        """DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE (5): a loading message, edited later."""
        flags = int((data or {}).get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL
        message = self._store_message(
            int(rec.channel_id or 0),
            {},
            [],
            msg_type=20 if rec.type == 2 else 0,
            interaction=rec,
            extra_flags=flags | MESSAGE_FLAG_LOADING,
            validate=False,
        )
        rec.original = message
        return message

    def _callback_update(
        self, rec: InteractionRecord, data: Any, files: Sequence[UploadedFile]
    ) -> dict[str, Any] | None:
        """UPDATE_MESSAGE (7): edits the message the component is on."""
        assert rec.message_id is not None
        message = self._messages.get(rec.message_id)
        if message is None:
            raise DiscordAPIError(404, 10008)
        self._apply_edit(message, data, files, errors_path=("data",))
        return message

    def _callback_modal(
        self, rec: InteractionRecord, data: Any, files: Sequence[UploadedFile]
    ) -> dict[str, Any] | None:
        """MODAL (9): remembered, so that a test can submit it."""
        _validate_modal(data)
        assert isinstance(data, dict)
        self._modals[data["custom_id"]] = (copy.deepcopy(data), rec.id)
        return None

    # What each interaction response type does (the others - 6, 8... - only acknowledge); the message it
    # creates or edits, if any.
    _CALLBACK_RESPONSES: ClassVar[
        dict[
            Any,
            Callable[
                [FakeDiscordServer, InteractionRecord, Any, Sequence[UploadedFile]], dict[str, Any] | None
            ],
        ]
    ] = {
        4: _callback_message,
        5: _callback_deferred,
        7: _callback_update,
        9: _callback_modal,
    }

    def _callback_body(
        self, rec: InteractionRecord, ctype: Any, message: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The ``?with_response=true`` body: the interaction callback response."""
        interaction: dict[str, Any] = {"id": str(rec.id), "type": rec.type}
        if message is not None:
            interaction["response_message_id"] = message["id"]
            interaction["response_message_loading"] = ctype == 5
            interaction["response_message_ephemeral"] = bool(int(message["flags"]) & MESSAGE_FLAG_EPHEMERAL)
        body: dict[str, Any] = {"interaction": interaction}
        if message is not None:
            body["resource"] = {"type": ctype, "message": self.public_message(message)}
        return body

    def _webhook_interaction(self, req: _Request) -> InteractionRecord:
        if int(req.params["webhook_id"]) != self.application_id:
            raise DiscordAPIError(404, 10015)
        rec = self._interactions_by_token.get(req.params["webhook_token"])
        if rec is None or rec.callback_type is None:
            raise DiscordAPIError(404, 10015)
        if self.token_ttl is not None and time.monotonic() - rec.created_at > self.token_ttl:
            raise DiscordAPIError(401, 50027)
        return rec

    def _webhook_target(self, rec: InteractionRecord, message_id: str | None) -> dict[str, Any]:
        if message_id is None:  # @original
            if rec.original is not None:
                msg: dict[str, Any] | None = rec.original
            elif rec.callback_type in (6, 7) and rec.message_id is not None:
                msg = self._messages.get(rec.message_id)
            else:
                raise DiscordAPIError(404, 10008)
        else:
            msg = next((m for m in rec.followups if m["id"] == message_id), None)
            if msg is None and rec.original is not None and rec.original["id"] == message_id:
                msg = rec.original
        if msg is None or msg["deleted"]:
            raise DiscordAPIError(404, 10008)
        return msg

    def _followup(self, req: _Request) -> dict[str, Any] | None:
        rec = self._webhook_interaction(req)
        payload = req.json or {}
        original = rec.original
        if original is not None and int(original["flags"]) & MESSAGE_FLAG_LOADING and not original["deleted"]:
            # Discord: the first followup after a deferred (type 5) answer replaces the "thinking" message.
            self._apply_edit(original, {k: v for k, v in payload.items() if k != "flags"}, req.files)
            msg = original
        else:
            msg = self._store_message(
                int(rec.channel_id or 0),
                payload,
                req.files,
                msg_type=20 if rec.type == 2 else 0,
                interaction=rec,
                allowed_flags=MESSAGE_FLAG_SUPPRESS_EMBEDS
                | MESSAGE_FLAG_SUPPRESS_NOTIFICATIONS
                | MESSAGE_FLAG_COMPONENTS_V2
                | MESSAGE_FLAG_EPHEMERAL,
            )
        rec.followups.append(msg)
        if req.query.get("wait") in ("1", "true", "True"):
            return self.public_message(msg)
        return None

    def _get_webhook_message(self, req: _Request) -> dict[str, Any]:
        rec = self._webhook_interaction(req)
        return self.public_message(self._webhook_target(rec, req.params.get("message_id")))

    def _edit_webhook_message(self, req: _Request) -> dict[str, Any]:
        rec = self._webhook_interaction(req)
        msg = self._webhook_target(rec, req.params.get("message_id"))
        self._apply_edit(msg, req.json, req.files)
        rec.edits.append(
            {"target": req.params.get("message_id", "@original"), "payload": copy.deepcopy(req.json)}
        )
        return self.public_message(msg)

    def _delete_webhook_message(self, req: _Request) -> None:
        rec = self._webhook_interaction(req)
        msg = self._webhook_target(rec, req.params.get("message_id"))
        msg["deleted"] = True
        rec.edits.append(
            {"target": req.params.get("message_id", "@original"), "payload": None, "deleted": True}
        )

    # -- guilds & scheduled events ------------------------------------------------------------

    def _guild_or_404(self, guild_id: str | int) -> dict[str, Any]:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            raise DiscordAPIError(404, 10004)
        return guild

    def guild_payload(self, guild_id: int, *, gateway: bool = True) -> dict[str, Any]:
        """GUILD_CREATE (``gateway=True``) or REST guild payload."""
        guild = self._guild_or_404(guild_id)
        out: dict[str, Any] = {
            "id": guild["id"],
            "name": guild["name"],
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": guild["owner_id"],
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": copy.deepcopy(guild["roles"]),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "preferred_locale": guild["preferred_locale"],
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }
        if gateway:
            out.update(
                {
                    "joined_at": guild["joined_at"],
                    "large": False,
                    "unavailable": False,
                    "member_count": len(guild["members"]),
                    "members": copy.deepcopy(list(guild["members"].values())),
                    "channels": [copy.deepcopy(self.channels[c]) for c in guild["channel_ids"]],
                    "threads": [],
                    "presences": [],
                    "voice_states": [],
                    "stage_instances": [],
                    "guild_scheduled_events": [
                        copy.deepcopy(e)
                        for e in self.scheduled_events.values()
                        if e["guild_id"] == guild["id"]
                    ],
                    "soundboard_sounds": [],
                }
            )
        return out

    def ready_payload(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": {**self.bot_user(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "session_id": secrets.token_hex(16),
            "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway-not-served",
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
        }

    def _get_guild(self, req: _Request) -> dict[str, Any]:
        return self.guild_payload(int(req.params["guild_id"]), gateway=False)

    def _get_guild_channels(self, req: _Request) -> list[dict[str, Any]]:
        guild = self._guild_or_404(req.params["guild_id"])
        return [self.channels[c] for c in guild["channel_ids"]]

    def _get_member(self, req: _Request) -> dict[str, Any]:
        guild = self._guild_or_404(req.params["guild_id"])
        member = guild["members"].get(int(req.params["user_id"]))
        if member is None:
            raise DiscordAPIError(404, 10007)
        return member

    def _list_events(self, req: _Request) -> list[dict[str, Any]]:
        guild = self._guild_or_404(req.params["guild_id"])
        return [e for e in self.scheduled_events.values() if e["guild_id"] == guild["id"]]

    def _event_or_404(self, req: _Request) -> dict[str, Any]:
        guild = self._guild_or_404(req.params["guild_id"])
        event = self.scheduled_events.get(int(req.params["guild_scheduled_event_id"]))
        if event is None or event["guild_id"] != guild["id"]:
            raise DiscordAPIError(404, 10070)
        return event

    def _validate_event(self, event: Mapping[str, Any]) -> None:
        errs = _FormErrors()
        name = event.get("name")
        if not name or len(name) > 100:
            errs.add(("name",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        errs.max_len(("description",), event.get("description"), 1000)
        if not event.get("scheduled_start_time"):
            errs.add(("scheduled_start_time",), "BASE_TYPE_REQUIRED", "This field is required")
        if event.get("entity_type") not in (1, 2, 3):
            errs.add(("entity_type",), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
        if event.get("entity_type") == 3:
            location = (event.get("entity_metadata") or {}).get("location")
            if not location:
                errs.add(("entity_metadata", "location"), "BASE_TYPE_REQUIRED", "This field is required")
            errs.max_len(("entity_metadata", "location"), location, 100)
            if not event.get("scheduled_end_time"):
                errs.add(("scheduled_end_time",), "BASE_TYPE_REQUIRED", "This field is required")
        elif event.get("entity_type") in (1, 2) and not event.get("channel_id"):
            errs.add(("channel_id",), "BASE_TYPE_REQUIRED", "This field is required")
        errs.raise_if_any()

    def _require_event_rights(self, guild: Mapping[str, Any], event: Mapping[str, Any] | None = None) -> None:
        """Manage Events for any event; Create Events for a new one or one the bot created itself."""
        member = guild["members"].get(self.bot_user_id, {})
        perms = self.member_permissions(int(guild["id"]), (int(r) for r in member.get("roles", [])))
        own = event is None or event.get("creator_id") == str(self.bot_user_id)
        if not (perms & PERM_MANAGE_EVENTS or (own and perms & PERM_CREATE_EVENTS)):
            raise DiscordAPIError(403, 50013)

    def _create_event(self, req: _Request) -> dict[str, Any]:
        guild = self._guild_or_404(req.params["guild_id"])
        self._require_event_rights(guild)
        payload = dict(req.json or {})
        self._validate_event(payload)
        eid = self.new_snowflake()
        event = {
            "id": str(eid),
            "guild_id": guild["id"],
            "channel_id": _snowflake_str(payload.get("channel_id")),
            "creator_id": str(self.bot_user_id),
            "creator": self.bot_user(),
            "name": payload["name"],
            "description": payload.get("description"),
            "scheduled_start_time": payload["scheduled_start_time"],
            "scheduled_end_time": payload.get("scheduled_end_time"),
            "privacy_level": payload.get("privacy_level", 2),
            "status": 1,
            "entity_type": payload["entity_type"],
            "entity_id": None,
            "entity_metadata": payload.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": payload.get("recurrence_rule"),
        }
        self.scheduled_events[eid] = event
        return event

    def _get_event(self, req: _Request) -> dict[str, Any]:
        return self._event_or_404(req)

    def _edit_event(self, req: _Request) -> dict[str, Any]:
        event = self._event_or_404(req)
        self._require_event_rights(self._guild_or_404(req.params["guild_id"]), event)
        updated = {**event, **(req.json or {})}
        if "channel_id" in (req.json or {}):
            updated["channel_id"] = _snowflake_str(updated["channel_id"])
        self._validate_event(updated)
        event.clear()
        event.update(updated)
        return event

    def _delete_event(self, req: _Request) -> None:
        event = self._event_or_404(req)
        self._require_event_rights(self._guild_or_404(req.params["guild_id"]), event)
        del self.scheduled_events[int(event["id"])]


# ---------------------------------------------------------------------------------------------
# Harness: a real discord.Client without a gateway
# ---------------------------------------------------------------------------------------------


class HarnessError(AssertionError):
    """discord.py logged errors (exceptions swallowed in handlers), or settle() timed out."""


class _Tracker:
    def __init__(self, ignore: Sequence[str]) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self.ignore = tuple(ignore)

    def wants(self, coro: Any) -> bool:
        qualname = getattr(coro, "__qualname__", "") or ""
        return not any(pattern in qualname for pattern in self.ignore)


_TRACKER: contextvars.ContextVar[_Tracker | None] = contextvars.ContextVar(
    "fake_discord_tracker", default=None
)


def _make_task_factory(previous: Any) -> Any:
    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Future[Any]:
        context = kwargs.get("context")
        tracker = context.get(_TRACKER) if context is not None else _TRACKER.get()
        if previous is not None:
            task = previous(loop, coro, **kwargs)
        else:
            task = asyncio.Task(coro, loop=loop, **kwargs)
        if tracker is not None and tracker.wants(coro):
            tracker.tasks.add(task)
        return task

    return factory


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class _FakeGateway:
    """Stands in for ``client.ws`` so presence changes / member chunking don't crash."""

    def __init__(self, harness: DiscordHarness, client: discord.Client) -> None:
        self._harness = harness
        self._client = client
        self.open = False  # Client.close() skips closing a socket that is not open
        self.latency = 0.0
        self.shard_id = None
        self.session_id = "fake-session"
        self.sequence = 0
        self.presences: list[dict[str, Any]] = []

    def is_ratelimited(self) -> bool:
        return False

    async def change_presence(self, *, activity: Any = None, status: Any = None, since: float = 0.0) -> None:
        self.presences.append({"activity": activity, "status": status, "since": since})

    async def request_chunks(
        self,
        guild_id: int,
        query: str | None = None,
        *,
        limit: int,
        user_ids: list[int] | None = None,
        presences: bool = False,
        nonce: str | None = None,
    ) -> None:
        guild = self._harness.server.guilds.get(int(guild_id), {"members": {}})
        members = list(guild["members"].values())
        if user_ids:
            members = [m for m in members if int(m["user"]["id"]) in set(user_ids)]
        if query:
            members = [m for m in members if m["user"]["username"].lower().startswith(query.lower())]
        if limit:
            members = members[:limit]
        data = {
            "guild_id": str(guild_id),
            "members": copy.deepcopy(members),
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if nonce:
            data["nonce"] = nonce
        self._client._connection.parse_guild_members_chunk(data)  # type: ignore[arg-type]  # the fake's JSON

    async def voice_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("voice is not supported by the fake gateway")

    async def close(self, code: int = 1000) -> None:
        return None


class DiscordHarness:
    """Drive real ``discord.Client`` instances against a ``FakeDiscordServer`` without a gateway.

    ``raise_errors``: ``settle()`` raises ``HarnessError`` if discord.py logged an ERROR (that is
    how it reports exceptions swallowed in command / view / event handlers).
    ``ignore_tasks``: substrings of coroutine qualnames that ``settle()`` must not wait for
    (view/modal timeout timers by default).
    """

    def __init__(
        self,
        server: FakeDiscordServer,
        *,
        raise_errors: bool = True,
        ignore_tasks: Sequence[str] = ("__timeout_task_impl",),
    ) -> None:
        self.server = server
        self.raise_errors = raise_errors
        self.clients: list[discord.Client] = []
        self._tracker = _Tracker(ignore_tasks)
        self._errors = _ErrorCollector()
        self._installed = False
        self._old_base: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._factory: Any = None
        self._previous_factory: Any = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> DiscordHarness:
        self.install()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def install(self) -> None:
        """Point discord.py at the fake, start tracking tasks and collecting error logs."""
        if self._installed:
            return
        self._old_base = discord.http.Route.BASE
        discord.http.Route.BASE = self.server.api_base
        self._loop = asyncio.get_running_loop()
        self._previous_factory = self._loop.get_task_factory()
        self._factory = _make_task_factory(self._previous_factory)
        self._loop.set_task_factory(self._factory)
        logging.getLogger("discord").addHandler(self._errors)
        self._installed = True

    async def close(self) -> None:
        """Close every connected client, cancel leftover tracked tasks, restore discord.py."""
        for client in list(self.clients):
            await self.disconnect(client)
        leftovers = [t for t in self._tracker.tasks if not t.done()]
        for task in leftovers:
            task.cancel()
        if leftovers:
            await asyncio.gather(*leftovers, return_exceptions=True)
        self._tracker.tasks.clear()
        if self._installed:
            if self._old_base is not None:
                discord.http.Route.BASE = self._old_base
            if self._loop is not None and self._loop.get_task_factory() is self._factory:
                self._loop.set_task_factory(self._previous_factory)
            logging.getLogger("discord").removeHandler(self._errors)
            self._installed = False

    @property
    def client(self) -> discord.Client:
        """The most recently connected client."""
        if not self.clients:
            raise RuntimeError("no client connected")
        return self.clients[-1]

    @contextlib.contextmanager
    def tracking(self) -> Any:
        """Tasks created inside this block (and their descendants) are awaited by settle()."""
        token = _TRACKER.set(self._tracker)
        try:
            yield
        finally:
            _TRACKER.reset(token)

    async def connect(self, client: ClientT, *, token: str | None = None) -> ClientT:
        """Log ``client`` in over HTTP and make it "ready" by feeding READY + GUILD_CREATEs."""
        self.install()
        await client.login(token or self.server.token or "fake-bot-token")
        state = client._connection
        state._chunk_guilds = False  # chunking needs the gateway; GUILD_CREATE carries members
        client.ws = _FakeGateway(self, client)  # type: ignore[assignment]  # a fake in place of the websocket
        old_timeout = state.guild_ready_timeout
        state.guild_ready_timeout = 0.005  # READY normally waits 2 s for the last GUILD_CREATE
        try:
            with self.tracking():
                state.parse_ready(self.server.ready_payload())  # type: ignore[arg-type]  # the fake's JSON
                for gid in self.server.guilds:
                    state.parse_guild_create(self.server.guild_payload(gid))
            await asyncio.wait_for(client.wait_until_ready(), 5.0)
        finally:
            state.guild_ready_timeout = old_timeout
        self.clients.append(client)
        await self.settle()
        return client

    async def disconnect(self, client: discord.Client) -> None:
        """Stop the client's views (timeout timers) and close it with its HTTP session."""
        store = client._connection._view_store
        views: set[Any] = set()
        for items in list(store._views.values()):
            views.update(item.view for item in items.values() if item.view is not None)
        views.update(store._modals.values())
        views.update(store._synced_message_views.values())
        for view in views:
            view.stop()
        await client.close()
        if client in self.clients:
            self.clients.remove(client)

    # -- feeding events ----------------------------------------------------------------------

    async def dispatch(
        self, event: str, data: dict[str, Any], *, client: discord.Client | None = None
    ) -> None:
        """Feed any gateway dispatch (``"GUILD_CREATE"``, ``"MESSAGE_CREATE"``...) to the client."""
        client = client or self.client
        with self.tracking():
            client._connection.parsers[event](data)

    async def feed(self, payload: dict[str, Any], *, client: discord.Client | None = None) -> int:
        """Feed an INTERACTION_CREATE payload; returns the interaction id. Feeding the same
        payload twice simulates a duplicate delivery (the fake keeps one record)."""
        self.server.register_interaction(payload)
        await self.dispatch("INTERACTION_CREATE", payload, client=client)
        return int(payload["id"])

    async def user_message(
        self,
        content: str,
        *,
        channel_id: int | None = None,
        user_id: int | None = None,
        dm: bool = False,
        client: discord.Client | None = None,
    ) -> dict[str, Any]:
        """A user writes ``content`` (default: first guild text channel; ``dm=True``: DM with the
        bot). Stored by the fake and fed as MESSAGE_CREATE; returns the stored message."""
        uid = int(user_id or DEFAULT_USER_ID)
        self.server.ensure_user(uid)
        gid, cid = self._pick_location(None, channel_id, dm, uid)
        stored = self.server.add_user_message(cid, uid, content)
        payload = self.server.public_message(stored)
        if gid is not None:
            member = self.server.guilds[gid]["members"].get(uid) or self.server.add_member(gid, uid)
            payload["member"] = {k: copy.deepcopy(v) for k, v in member.items() if k != "user"}
        await self.dispatch("MESSAGE_CREATE", payload, client=client)
        return stored

    async def interact(
        self, payload: dict[str, Any], *, client: discord.Client | None = None, max_wait: float = 5.0
    ) -> InteractionRecord:
        """feed() + settle(); returns the interaction's record."""
        iid = await self.feed(payload, client=client)
        await self.settle(max_wait)
        return self.server.interaction_responses(iid)

    async def settle(self, max_wait: float = 5.0, *, raise_errors: bool | None = None) -> None:
        """Wait until every tracked task is done and no request to the fake is in flight."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_wait
        quiet_rounds = 0
        while quiet_rounds < 2:
            pending = {t for t in self._tracker.tasks if not t.done()}
            self._tracker.tasks = pending
            remaining = deadline - loop.time()
            if remaining <= 0:
                names = sorted(
                    f"{t.get_name()}:{getattr(t.get_coro(), '__qualname__', '?')}" for t in pending
                )
                raise HarnessError(
                    f"settle() timed out; pending tasks: {names}, requests in flight: {self.server.in_flight}"
                )
            if pending:
                quiet_rounds = 0
                await asyncio.wait(pending, timeout=remaining)
            elif self.server.in_flight:
                quiet_rounds = 0
                with contextlib.suppress(TimeoutError):
                    await self.server.wait_idle(remaining)
            else:
                quiet_rounds += 1  # let done-callbacks / call_soon handlers run, then re-check
                await asyncio.sleep(0)
        if self.server.internal_errors:
            internal, self.server.internal_errors = self.server.internal_errors, []
            raise HarnessError(f"FakeDiscordServer internal errors: {internal!r}")
        if raise_errors if raise_errors is not None else self.raise_errors:
            errors = self.take_errors()
            if errors:
                raise HarnessError("discord.py logged errors:\n" + "\n".join(self._format(r) for r in errors))

    @property
    def errors(self) -> list[logging.LogRecord]:
        return list(self._errors.records)

    def take_errors(self) -> list[logging.LogRecord]:
        records, self._errors.records = self._errors.records, []
        return records

    @staticmethod
    def _format(record: logging.LogRecord) -> str:
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" -> {record.exc_info[1]!r}"
        return text

    # -- payload builders --------------------------------------------------------------------

    def _pick_location(
        self, guild_id: int | None, channel_id: int | None, dm: bool, user_id: int
    ) -> tuple[int | None, int]:
        if channel_id is not None:
            channel = self.server.channels[int(channel_id)]
            gid = channel.get("guild_id")
            return (int(gid) if gid else None), int(channel_id)
        if dm or (guild_id is None and not self.server.guilds):
            return None, int(self.server.open_dm(user_id)["id"])
        gid = int(guild_id) if guild_id is not None else next(iter(self.server.guilds))
        text = [
            c for c in self.server.guilds[gid]["channel_ids"] if self.server.channels[c]["type"] in (0, 5)
        ]
        if not text:
            raise ValueError(f"guild {gid} has no text channel; pass channel_id")
        return gid, text[0]

    def _base_interaction(
        self,
        itype: int,
        data: dict[str, Any],
        *,
        guild_id: int | None,
        channel_id: int | None,
        dm: bool,
        user_id: int | None,
        user_name: str | None,
        roles: Iterable[int],
        permissions: int | str | None,
        locale: str,
        guild_locale: str | None,
        message: Mapping[str, Any] | int | None,
        app_permissions: int | str | None,
    ) -> dict[str, Any]:
        server = self.server
        uid = int(user_id or DEFAULT_USER_ID)
        user = server.ensure_user(uid, user_name)
        msg = None
        if message is not None:
            msg = server.public_message(message)
            if channel_id is None:
                channel_id = int(msg["channel_id"])
        gid, cid = self._pick_location(guild_id, channel_id, dm, uid)
        iid = server.new_snowflake()
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(server.application_id),
            "type": itype,
            "data": data,
            "token": f"fake-interaction-{iid}-{secrets.token_urlsafe(12)}",
            "version": 1,
            "locale": locale,
            "app_permissions": str(ALL_PERMISSIONS if app_permissions is None else int(app_permissions)),
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(cid),
            "channel": copy.deepcopy(server.channels[cid]),
        }
        if gid is not None:
            guild = server.guilds[gid]
            role_ids = [int(r) for r in roles]
            member = guild["members"].get(uid)
            if member is None or role_ids:
                member = server.add_member(
                    gid, uid, roles=role_ids or [int(r) for r in (member or {}).get("roles", [])]
                )
            perms = (
                server.member_permissions(gid, member["roles"]) if permissions is None else int(permissions)
            )
            payload.update(
                {
                    "guild_id": str(gid),
                    "guild": {
                        "id": str(gid),
                        "locale": guild_locale or guild["preferred_locale"],
                        "features": [],
                    },
                    "guild_locale": guild_locale or guild["preferred_locale"],
                    "member": {**copy.deepcopy(member), "permissions": str(perms)},
                    "authorizing_integration_owners": {"0": str(gid)},
                    "context": 0,
                }
            )
        else:
            payload.update(
                {"user": copy.deepcopy(user), "authorizing_integration_owners": {"1": str(uid)}, "context": 1}
            )
        if msg is not None:
            payload["message"] = msg
        return payload

    def _command_guild(self, name: str, gid: int | None) -> int | None:
        """guild_id Discord would put in the command data: set for guild-scoped commands."""
        if gid is None:
            return None
        tree = self.client._connection._command_tree if self.clients else None
        if tree is not None:  # what the running code will look up decides
            return gid if tree.get_command(name, guild=discord.Object(gid)) is not None else None
        return gid if any(c["name"] == name for c in self.server.commands_for(gid)) else None

    @staticmethod
    def _options(options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
        if options is None:
            return []
        if not isinstance(options, Mapping):
            return [dict(o) for o in options]
        out = []
        for name, value in options.items():
            if isinstance(value, Mapping):
                out.append({"name": name, **value})
            elif isinstance(value, bool):
                out.append({"name": name, "type": 5, "value": value})
            elif isinstance(value, int):
                out.append({"name": name, "type": 4, "value": value})
            elif isinstance(value, float):
                out.append({"name": name, "type": 10, "value": value})
            else:
                out.append({"name": name, "type": 3, "value": str(value)})
        return out

    def slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        user_id: int | None = None,
        user_name: str | None = None,
        roles: Iterable[int] = (),
        permissions: int | str | None = None,
        locale: str = "en-US",
        guild_locale: str | None = None,
        resolved: dict[str, Any] | None = None,
        app_permissions: int | str | None = None,
    ) -> dict[str, Any]:
        """INTERACTION_CREATE for ``/name`` (``"group sub"`` for subcommands).

        ``options``: ``{"question": "Why?", "days": 3}`` (str→3, int→4, bool→5, float→10; a
        dict value gives the raw option) or a raw option list. Default place: first guild and
        its first text channel (a DM when there is no guild or ``dm=True``). ``permissions``:
        the member's permission bits (default: computed from @everyone + ``roles``).
        """
        parts = name.split()
        opts = self._options(options)
        for sub_index, sub in enumerate(reversed(parts[1:])):
            opts = [{"name": sub, "type": 1 if sub_index == 0 else 2, "options": opts}]
        payload = self._base_interaction(
            2,
            {},
            guild_id=guild_id,
            channel_id=channel_id,
            dm=dm,
            user_id=user_id,
            user_name=user_name,
            roles=roles,
            permissions=permissions,
            locale=locale,
            guild_locale=guild_locale,
            message=None,
            app_permissions=app_permissions,
        )
        gid = int(payload["guild_id"]) if "guild_id" in payload else None
        command_guild = self._command_guild(parts[0], gid)
        registered = next((c for c in self.server.commands_for(command_guild) if c["name"] == parts[0]), None)
        data: dict[str, Any] = {
            "id": registered["id"] if registered else str(self.server.new_snowflake()),
            "name": parts[0],
            "type": 1,
            "options": opts,
        }
        if command_guild is not None:
            data["guild_id"] = str(command_guild)
        if resolved:
            data["resolved"] = resolved
        payload["data"] = data
        return payload

    def button_press(
        self,
        custom_id: str,
        message: Mapping[str, Any] | int,
        *,
        user_id: int | None = None,
        user_name: str | None = None,
        roles: Iterable[int] = (),
        permissions: int | str | None = None,
        locale: str = "en-US",
        guild_locale: str | None = None,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        app_permissions: int | str | None = None,
    ) -> dict[str, Any]:
        """INTERACTION_CREATE (type 3) for a press on ``custom_id`` of a stored message
        (dict from ``server.messages()`` or its id). Selects: ``component_type=3, values=[...]``."""
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        return self._base_interaction(
            3,
            data,
            guild_id=None,
            channel_id=None,
            dm=False,
            user_id=user_id,
            user_name=user_name,
            roles=roles,
            permissions=permissions,
            locale=locale,
            guild_locale=guild_locale,
            message=message,
            app_permissions=app_permissions,
        )

    def modal_submit(
        self,
        custom_id: str,
        values: Mapping[str, str | Sequence[str]],
        *,
        message: Mapping[str, Any] | int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        user_id: int | None = None,
        user_name: str | None = None,
        roles: Iterable[int] = (),
        permissions: int | str | None = None,
        locale: str = "en-US",
        guild_locale: str | None = None,
        validate: bool = True,
        app_permissions: int | str | None = None,
    ) -> dict[str, Any]:
        """INTERACTION_CREATE (type 5) submitting ``{text input custom_id: value}``.

        If the bot showed a modal with this ``custom_id`` (callback type 9), the submit mirrors
        its layout (action rows or Label components), defaults to the channel / message /
        user of the interaction that opened it, and - like the Discord client - refuses
        (``ValueError``) unknown inputs, missing required values and length violations.
        """
        shown = self.server._modals.get(custom_id)
        components: list[dict[str, Any]] = []
        if shown is None:
            components = [
                {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
                for k, v in values.items()
            ]
        else:
            modal, opener_id = shown
            opener = self.server.interactions[opener_id]
            if message is None and opener.message_id is not None:
                message = opener.message_id
            if channel_id is None and message is None:
                channel_id = opener.channel_id
            if user_id is None:
                user_id = opener.user_id
            components = self._modal_components(custom_id, modal, values, validate=validate)
        payload = self._base_interaction(
            5,
            {"custom_id": custom_id, "components": components},
            guild_id=guild_id,
            channel_id=channel_id,
            dm=dm,
            user_id=user_id,
            user_name=user_name,
            roles=roles,
            permissions=permissions,
            locale=locale,
            guild_locale=guild_locale,
            message=message,
            app_permissions=app_permissions,
        )
        return payload

    def _modal_components(
        self,
        custom_id: str,
        modal: Mapping[str, Any],
        values: Mapping[str, str | Sequence[str]],
        *,
        validate: bool,
    ) -> list[dict[str, Any]]:
        """The submitted components of a shown modal, in its layout, from ``{input custom_id: value}``."""
        inputs = _modal_inputs(modal)
        known: set[Any] = {c.get("custom_id") for _, c, _ in inputs}
        unknown = set(values) - known
        if unknown and validate:
            raise ValueError(f"modal {custom_id!r} has no input {sorted(unknown)}; it has {sorted(known)}")
        components: list[dict[str, Any]] = []
        for kind, comp, label in inputs:
            cid: Any = comp.get("custom_id")
            value = values.get(cid, comp.get("value") or "")
            if validate and comp.get("type") == _TEXT_INPUT:
                self._check_text_input(comp, value, (label or comp).get("label"))
            components.append(self._submitted_component(kind, comp, label, value))
        return components

    @staticmethod
    def _submitted_component(kind: str, comp: Mapping[str, Any], label: Any, value: Any) -> dict[str, Any]:
        """One input as the submit carries it, wrapped as the modal showed it (Label, action row, bare)."""
        cid = comp.get("custom_id")
        if comp.get("type") == _TEXT_INPUT:
            submitted: dict[str, Any] = {"type": 4, "custom_id": cid, "value": value}
        else:
            vals = [value] if isinstance(value, str) else list(value)
            submitted = {"type": comp.get("type"), "custom_id": cid, "values": vals}
        if comp.get("id") is not None:
            submitted["id"] = comp["id"]
        if kind == "label":
            wrapper: dict[str, Any] = {"type": _LABEL, "component": submitted}
            if label and label.get("id") is not None:
                wrapper["id"] = label["id"]
            return wrapper
        if kind == "row":
            return {"type": 1, "components": [submitted]}
        return submitted

    @staticmethod
    def _check_text_input(comp: Mapping[str, Any], value: Any, label: Any) -> None:
        if not isinstance(value, str):
            raise ValueError(f"text input {comp.get('custom_id')!r} ({label}) takes a string")
        required = comp.get("required", True)
        if required and not value:
            raise ValueError(f"text input {comp.get('custom_id')!r} ({label}) is required")
        name = comp.get("custom_id")
        if value and comp.get("min_length") is not None and len(value) < int(comp["min_length"]):
            raise ValueError(f"text input {name!r} needs at least {comp['min_length']} chars")
        if comp.get("max_length") is not None and len(value) > int(comp["max_length"]):
            raise ValueError(f"text input {name!r} allows at most {comp['max_length']} chars")
