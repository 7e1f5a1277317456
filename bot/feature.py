"""Features declare themselves; the engine derives every table from the list of features.

A feature (polls, consultations, events…) is one package with a `feature.py` that builds a `Feature`: its
commands, the first field of its buttons, its guided flows, its deep links, its scheduled work, the kinds of
message it tracks (live cards to edit later), a file upload it accepts, and its personal-data hooks.
`bot/features.py` names the features; `Registry` checks that no two declare the same name and answers the
engine's lookups. Like Django's app registry: adding a capability means writing its package and adding one
line to that list, not editing six tables in six files.

Names are checked where they are used as well: signing a button whose first field no feature declares,
saving a step of an undeclared flow, tracking an undeclared kind of message or deriving a job whose prefix
its feature does not declare raises `Undeclared` (a developer's mistake, caught by the first test that
reaches it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from bot.actions import Undeclared
from bot.authority import Role, Target

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.context import Context
    from bot.engine import Engine
    from bot.formatting import Block, Piece
    from bot.inbound import FileUpload, MessageRef
    from bot.replies import Reply
    from storage.erasure import Account


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


CommandHandler = Callable[["Context", str], Awaitable[None]]
ButtonHandler = Callable[["Context", list[str]], Awaitable[None]]
FlowHandler = Callable[["Context", dict[str, Any], str], Awaitable[None]]
DeepLinkHandler = Callable[["Context", str], Awaitable[None]]
UploadHandler = Callable[["Context", "FileUpload"], Awaitable[None]]


@dataclass(frozen=True)
class Parameter:
    """One field of a command's form, for platforms whose commands have typed parameters (Discord's slash
    commands): the command's `from_form` writes the filled-in form as the argument line its parser reads, so
    the engine reads a command the same way on every platform and the adapter knows no command's grammar."""

    name: str  # an identifier: lower case, no spaces
    description: str  # English msgid, translated for display
    switch: bool = False  # yes or no (no by default); otherwise text, which may be left empty
    max_length: int | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (label, value)
    french: str | None = None  # its name for French-speaking members (an identifier too)


def joined(values: Mapping[str, Any]) -> str:
    """The default `from_form`: the values given, in the form's order, separated by spaces."""
    return " ".join(str(v).strip() for v in values.values() if v not in (None, ""))


@dataclass(frozen=True)
class CommandSpec:
    name: str
    summary: str  # English msgid, translated for display
    handler: CommandHandler
    role: Role = Role.ANYONE  # who may use it; the engine checks it before the handler runs
    aliases: tuple[str, ...] = ()  # its French name first: how /help and its answers name it in French
    arguments: str = ""  # msgid describing the arguments, for /help and slash commands
    private_only: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    targets: tuple[Target, ...] = ()  # what its first argument may name: the engine checks rights on it
    form: tuple[Parameter, ...] = ()  # its typed parameters, where a platform offers them (else `arguments`)
    from_form: Callable[[Mapping[str, Any]], str] = joined  # the filled-in form → the argument line

    @property
    def organizer(self) -> bool:
        return self.role is Role.ORGANIZER

    def name_in(self, language: str) -> str:
        """The name a person speaking `language` types: /sondage in French, /poll in English."""
        return self.aliases[0] if language == "fr" and self.aliases else self.name


@dataclass(frozen=True)
class Jobs:
    """Scheduled work, derived from the database (never a second record of it): `wanted` says every job
    there should be and its instant, named with one of `prefixes`; `run_due` does, idempotently, whatever
    fell due by the engine's clock and returns what to deliver."""

    prefixes: tuple[str, ...]
    wanted: Callable[[Engine], Awaitable[Mapping[str, datetime]]]
    run_due: Callable[[Engine], Awaitable[Sequence[Reply]]]


@dataclass(frozen=True)
class Card:
    """A kind of message the feature tracks (`Send.track = "<kind>:<id>"`): `delivered` remembers where it
    was posted, `refresh` says how it reads now (the coalesced live edits of `Refresh("<kind>:<id>")`)."""

    delivered: Callable[[Engine, str, MessageRef], Awaitable[None]] | None = None
    refresh: Callable[[Engine, str], Awaitable[Sequence[Reply]]] | None = None


class Place(IntEnum):
    """Where a part of /mydata goes: its headings, in the order residents know. Parts in the same place keep
    the features' order (bot/features.py); adjacent parts under the same heading are listed as one."""

    PROFILE = 10
    COMMUNITIES = 20
    VOTES = 30
    CONSULTATIONS = 40
    DRAFTS = 50
    EVENTS = 60
    MESSAGES = 70
    ANNOUNCEMENTS = 80
    CREATED = 90  # "What you created": each feature lists its own
    AUDIT = 100
    FLOW = 110
    OTHER = 1000  # a feature's own headings, after these


@dataclass(frozen=True)
class Shown:
    """A part of /mydata: `items` listed under `heading` (translated; nothing is shown when there are none),
    then `blocks`."""

    place: int
    heading: str = ""
    items: Sequence[Iterable[Piece] | Piece] = ()
    blocks: Sequence[Block] = ()


@dataclass(frozen=True)
class Erasure:
    """What a feature's erase changed that others see, acted on once /forget's transaction is committed."""

    refresh: Sequence[str] = ()  # tracked messages whose text changes (`kind:id`, as `Refresh` names them)
    edits: Sequence[Reply] = ()  # posted messages rewritten, to edit where they are
    told: Sequence[str] = ()  # what the resident is told (translated), in the features' order
    keys: Sequence[str] = ()  # keys that sealed erased rows: destroyed once the erasure is committed
    then: Callable[[], None] | None = None  # e.g. cached copies to drop, once committed


@dataclass(frozen=True)
class PersonalData:
    """What the feature stores about a person (its storage part covers its tables, column by column, with
    tests/test_personal_data_coverage.py): `shown` is what /mydata lists, `erase` runs inside /forget's one
    transaction, in the features' order, and says what others see changed."""

    shown: Callable[[Context, Account], Awaitable[Sequence[Shown]]]
    erase: Callable[[Context, AsyncSession, Account], Awaitable[Erasure | None]]


@dataclass(frozen=True)
class Feature:
    name: str
    commands: tuple[CommandSpec, ...] = ()
    buttons: Mapping[str, ButtonHandler] = field(default_factory=dict)  # first field of the action id
    flows: Mapping[str, FlowHandler] = field(default_factory=dict)  # typed text while in the flow
    deep_links: Mapping[str, DeepLinkHandler] = field(default_factory=dict)  # `/start <payload>`; a key
    # ending in "_" is a prefix (`c_<id>`), its handler gets the rest
    jobs: Jobs | None = None
    cards: Mapping[str, Card] = field(default_factory=dict)
    upload: UploadHandler | None = None  # a file sent in a private chat
    personal_data: PersonalData | None = None
    requires: tuple[str, ...] = ()  # the features it uses (the others it must not know)


class Registry:
    """Every table the engine looks things up in, derived from the features, each name declared once."""

    def __init__(self, features: Iterable[Feature]) -> None:
        self.features: tuple[Feature, ...] = tuple(features)
        names = [f.name for f in self.features]
        _unique("feature", [(n, n) for n in names])
        for feature in self.features:
            missing = set(feature.requires) - set(names)
            if missing:
                raise Undeclared(f"feature {feature.name!r} requires {sorted(missing)}, not registered")
        commands = [
            (name, f.name)
            for f in self.features
            for spec in f.commands
            for name in (spec.name, *spec.aliases)
        ]
        _unique("command", commands)
        for table in ("buttons", "flows", "deep_links", "cards"):
            _unique(table, [(key, f.name) for f in self.features for key in getattr(f, table)])
        _unique("upload", [("upload", f.name) for f in self.features if f.upload is not None])
        self._commands = MappingProxyType(
            {name: spec for f in self.features for spec in f.commands for name in (spec.name, *spec.aliases)}
        )
        self.buttons = _merged(f.buttons for f in self.features)
        self.flows = _merged(f.flows for f in self.features)
        self.deep_links = _merged(f.deep_links for f in self.features)
        self.cards = _merged(f.cards for f in self.features)
        self.upload = next((f.upload for f in self.features if f.upload is not None), None)
        self.jobs = tuple(f.jobs for f in self.features if f.jobs is not None)
        self.personal_data = tuple(f.personal_data for f in self.features if f.personal_data is not None)

    # -- lookups -------------------------------------------------------------------------------------------

    def command(self, name: str) -> CommandSpec | None:
        return self._commands.get(name)

    def commands(self) -> list[CommandSpec]:
        """Each command once, in the features' order (the menus' order)."""
        return [spec for f in self.features for spec in f.commands]

    def deep_link(self, payload: str) -> tuple[DeepLinkHandler, str] | None:
        """The handler of `/start payload` and what follows its prefix, if a feature declares it."""
        if payload in self.deep_links and not payload.endswith("_"):
            return self.deep_links[payload], ""
        for key, handler in self.deep_links.items():
            if key.endswith("_") and payload.startswith(key):
                return handler, payload.removeprefix(key)
        return None

    # -- checks where names are used ---------------------------------------------------------------------

    def require_button(self, prefix: str) -> None:
        if prefix not in self.buttons:
            raise Undeclared(f"button prefix {prefix!r}: no feature declares it")

    def require_flow(self, flow: str) -> None:
        if flow not in self.flows:
            raise Undeclared(f"guided flow {flow!r}: no feature declares it")

    def card(self, track: str) -> tuple[Card, str]:
        """The card kind of a tracked message (`kind:id`) and its id."""
        kind, _, rest = track.partition(":")
        card = self.cards.get(kind)
        if card is None:
            raise Undeclared(f"tracked message kind {kind!r}: no feature declares it")
        return card, rest

    async def wanted(self, engine: Engine) -> dict[str, datetime]:
        """Every job there should be, per the database, each under a prefix its feature declares."""
        wanted: dict[str, datetime] = {}
        for jobs in self.jobs:
            for job, at in (await jobs.wanted(engine)).items():
                if not job.startswith(jobs.prefixes):
                    raise Undeclared(f"job {job!r} has none of its feature's prefixes {jobs.prefixes}")
                wanted[job] = at
        return wanted


def _unique(table: str, entries: list[tuple[str, str]]) -> None:
    seen: dict[str, str] = {}
    for key, owner in entries:
        if key in seen:
            raise ValueError(f"{table} {key!r} is declared by both {seen[key]!r} and {owner!r}")
        seen[key] = owner


def _merged(tables: Iterable[Mapping[str, Any]]) -> Mapping[str, Any]:
    merged: dict[str, Any] = {}
    for table in tables:
        merged.update(table)
    return MappingProxyType(merged)
