"""Slash commands built from the engine's command registry, in English and French.

Each engine command becomes one slash command. Commands with arguments the engine parses get typed
parameters here (a poll's options, its settings as booleans, its deadline as text); the adapter turns them
back into the argument line the engine reads, so the engine parses `/poll` the same way on every platform.
A command the adapter knows nothing about gets one free-text parameter, so a new engine command appears on
Discord with no adapter work. Names and descriptions are localized by `CommandTranslator`: descriptions
from the gettext catalog (the engine's strings and the parameter descriptions below, marked with `N_`),
parameter names from `FRENCH_PARAMETER_NAMES`.
"""

from __future__ import annotations

import inspect
import re
import shlex
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import Choice, locale_str

from bot.feature import N_, CommandSpec
from bot.i18n import translator
from bot.polls.spec import MAX_OPTION, MAX_OPTIONS

CommandHandler = Callable[[discord.Interaction, CommandSpec, str], Awaitable[None]]
_NAME = re.compile(r"^[-_a-z0-9\u00e0-\u00ff]{1,32}$")
DESCRIPTION_LIMIT = 100

# Parameter names as French-speaking members see them. They are identifiers rather than prose (Discord wants
# them lower case, without spaces, unique within a command), so they stay here instead of in the catalog.
FRENCH_PARAMETER_NAMES: dict[str, str] = {
    "multi": "plusieurs",
    "hidden": "caches",
    "private_results": "resultats_prives",
    "closes": "cloture",
    "topic": "sujet",
    "number": "numero",
    "language": "langue",
}


@dataclass(frozen=True)
class Param:
    name: str
    annotation: Any
    description: str  # English msgid, translated from the catalog
    default: Any = None
    choices: tuple[Choice[str], ...] = ()


@dataclass(frozen=True)
class Shape:
    """A slash command's parameters, and how their values become the engine's argument line."""

    params: tuple[Param, ...] = ()
    arguments: Callable[[Mapping[str, Any]], str] = field(default=lambda values: "")


def poll_arguments(values: Mapping[str, Any]) -> str:
    """`--multi --closes=… 'Question ?' | A | B`. The question is quoted so the engine keeps it exactly as
    typed (apostrophes and quotes included); the `question` field may also hold a whole one-line poll."""
    flags = ("multi", "public", "hidden", "private_results")
    words = [f"--{flag.replace('_', '-')}" for flag in flags if values.get(flag)]
    closes = (values.get("closes") or "").strip()
    if closes:
        words.append(shlex.quote(f"--closes={closes}"))
    head, bar, tail = (values.get("question") or "").partition("|")
    if head.strip():
        words.append(shlex.quote(head.strip()))
    line = " ".join(words) + (f" |{tail}" if bar else "")
    for n in range(1, MAX_OPTIONS + 1):
        option = values.get(f"option{n}")
        if option:
            line += f" | {option}"
    return line.strip()


def _first(values: Mapping[str, Any]) -> str:
    return " ".join(str(v).strip() for v in values.values() if v not in (None, ""))


_OPTION = app_commands.Range[str, 1, MAX_OPTION] | None
POLL = Shape(
    (
        Param("question", str | None, N_("The question, or the whole poll: Question? | Option 1 | Option 2")),
        *(Param(f"option{n}", _OPTION, f"Option {n}") for n in range(1, MAX_OPTIONS + 1)),  # same in French
        Param(
            "closes",
            app_commands.Range[str, 1, 100] | None,
            N_("When it closes: demain 18h, jeudi 19h, 2026-12-05 18:30…"),
        ),
        Param("multi", bool, N_("Several choices per resident"), False),
        Param("public", bool, N_("Show the voters' names under each option"), False),
        Param("hidden", bool, N_("Show the results only once the poll is closed"), False),
        Param("private_results", bool, N_("Send the results only to the organizers, in private"), False),
    ),
    poll_arguments,
)
NUMBER = Shape(
    (
        Param(
            "number",
            app_commands.Range[str, 1, 20] | None,  # text: the engine explains a wrong number itself
            N_("Poll number (the latest poll of this channel when empty)"),
        ),
    ),
    _first,
)
LANGUAGE = Shape(
    (
        Param(
            "language",
            str | None,
            N_("The language"),
            choices=(Choice(name="Français", value="fr"), Choice(name="English", value="en")),
        ),
    ),
    _first,
)
START = Shape(
    (Param("topic", str | None, N_("Where to begin, as an invitation button does: poll, mydata, forget…")),),
    _first,
)
SHAPES: dict[str, Shape] = {
    "start": START,
    "poll": POLL,
    "results": NUMBER,
    "close": NUMBER,
    "lang": LANGUAGE,
}


def shape_of(spec: CommandSpec) -> Shape:
    known = SHAPES.get(spec.name)
    if known is not None:
        return known
    if spec.arguments:
        free = Param("arguments", str | None, spec.arguments)
        return Shape((free,), _first)
    return Shape()


def _callback(spec: CommandSpec, shape: Shape, handler: CommandHandler) -> Callable[..., Awaitable[None]]:
    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await handler(interaction, spec, shape.arguments(values))

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    callback.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("interaction", kind, annotation=discord.Interaction),
            *(
                inspect.Parameter(p.name, kind, annotation=p.annotation, default=p.default)
                for p in shape.params
            ),
        ]
    )
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        p.name: locale_str(p.description[:DESCRIPTION_LIMIT]) for p in shape.params
    }
    choices = {p.name: list(p.choices) for p in shape.params if p.choices}
    if choices:
        callback.__discord_app_commands_param_choices__ = choices  # type: ignore[attr-defined]
    return callback


def french_name(spec: CommandSpec) -> str | None:
    """The registry's French alias (`/sondage`), when it is a valid slash-command name."""
    return next((alias for alias in spec.aliases if _NAME.match(alias)), None)


def build_commands(specs: Sequence[CommandSpec], handler: CommandHandler) -> list[app_commands.Command]:
    commands: list[app_commands.Command] = []
    for spec in specs:
        alias = french_name(spec)
        name = locale_str(spec.name, fr=alias) if alias else locale_str(spec.name)
        commands.append(
            app_commands.Command(
                name=name,
                description=locale_str(spec.summary[:DESCRIPTION_LIMIT]),
                callback=_callback(spec, shape_of(spec), handler),
            )
        )
    return commands


class CommandTranslator(app_commands.Translator):
    """French names and descriptions (English is the base): descriptions from the gettext catalog
    (command summaries, argument help, parameter descriptions), parameter names from
    `FRENCH_PARAMETER_NAMES`, command names from the registry's French alias. Other locales see English."""

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        if locale is not discord.Locale.french:
            return None
        location = context.location
        if location is app_commands.TranslationContextLocation.command_name:
            return string.extras.get("fr")
        if location is app_commands.TranslationContextLocation.parameter_name:
            return FRENCH_PARAMETER_NAMES.get(string.message)
        if location is app_commands.TranslationContextLocation.choice_name:
            return None
        text = translator("fr")._(string.message)
        return text[:DESCRIPTION_LIMIT] if text != string.message else None
