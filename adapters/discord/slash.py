"""Slash commands built from the engine's command registry, in English and French.

Each engine command becomes one slash command. A command that declares a form (`CommandSpec.form`: a poll's
question and options, its settings as switches, its deadline as text) gets those typed parameters here, and
the engine writes the filled-in form back as the argument line it reads (`CommandSpec.from_form`), so it
parses `/poll` the same way on every platform and this adapter knows no command's grammar. A command with
arguments but no form gets one free-text parameter, so a new engine command appears on Discord with no
adapter work. Names and descriptions are localized by `CommandTranslator`: descriptions from the gettext
catalog (the engine's strings, marked with `N_`), French names from the registry (command aliases, each
parameter's `french`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import discord
from discord import app_commands
from discord.app_commands import Choice, locale_str

from bot.feature import CommandSpec, Parameter
from bot.i18n import translator

CommandHandler = Callable[[discord.Interaction, CommandSpec, str], Awaitable[None]]
_NAME = re.compile(r"^[-_a-z0-9\u00e0-\u00ff]{1,32}$")
DESCRIPTION_LIMIT = 100
SlashCommand = app_commands.Command[Any, ..., None]


@dataclass(frozen=True)
class Param:
    """A form's field as discord.py declares a parameter."""

    name: str
    annotation: Any
    description: str  # English msgid, translated from the catalog
    default: Any = None
    choices: tuple[Choice[str], ...] = ()
    french: str | None = None


def param_of(field: Parameter) -> Param:
    if field.switch:
        annotation: Any = bool
    elif field.max_length is not None:
        annotation = app_commands.Range[str, 1, field.max_length] | None
    else:
        annotation = str | None
    return Param(
        field.name,
        annotation,
        field.description,
        default=False if field.switch else None,
        choices=tuple(Choice(name=label, value=value) for label, value in field.choices),
        french=field.french,
    )


def params_of(spec: CommandSpec) -> tuple[Param, ...]:
    if spec.form:
        return tuple(param_of(field) for field in spec.form)
    if spec.arguments:
        return (param_of(Parameter("arguments", spec.arguments)),)
    return ()


class _Declared(Protocol):
    """The attributes discord.py reads off a command's callback to build its parameters (a function
    declares none of them)."""

    __signature__: inspect.Signature
    __discord_app_commands_param_description__: dict[str, locale_str]
    __discord_app_commands_param_rename__: dict[str, locale_str]
    __discord_app_commands_param_choices__: dict[str, list[Choice[str]]]


def _callback(
    spec: CommandSpec, params: Sequence[Param], handler: CommandHandler
) -> Callable[..., Coroutine[Any, Any, None]]:
    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await handler(interaction, spec, spec.from_form(values))

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    declared = cast(_Declared, callback)
    declared.__signature__ = inspect.Signature(
        [
            inspect.Parameter("interaction", kind, annotation=discord.Interaction),
            *(inspect.Parameter(p.name, kind, annotation=p.annotation, default=p.default) for p in params),
        ]
    )
    declared.__discord_app_commands_param_description__ = {
        p.name: locale_str(p.description[:DESCRIPTION_LIMIT]) for p in params
    }
    french = {p.name: locale_str(p.name, fr=p.french) for p in params if p.french}
    if french:  # the same name, carrying its French one for `CommandTranslator`
        declared.__discord_app_commands_param_rename__ = french
    choices = {p.name: list(p.choices) for p in params if p.choices}
    if choices:
        declared.__discord_app_commands_param_choices__ = choices
    return callback


def french_name(spec: CommandSpec) -> str | None:
    """The registry's French alias (`/sondage`), when it is a valid slash-command name."""
    return next((alias for alias in spec.aliases if _NAME.match(alias)), None)


def build_commands(specs: Sequence[CommandSpec], handler: CommandHandler) -> list[SlashCommand]:
    commands: list[SlashCommand] = []
    for spec in specs:
        alias = french_name(spec)
        name = locale_str(spec.name, fr=alias) if alias else locale_str(spec.name)
        commands.append(
            app_commands.Command(
                name=name,
                description=locale_str(spec.summary[:DESCRIPTION_LIMIT]),
                callback=_callback(spec, params_of(spec), handler),
            )
        )
    return commands


class CommandTranslator(app_commands.Translator):
    """French names and descriptions (English is the base): descriptions from the gettext catalog
    (command summaries, argument help, parameter descriptions), command and parameter names from the
    registry (a command's French alias, a parameter's `french`). Other locales see English."""

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        if locale is not discord.Locale.french:
            return None
        location = context.location
        if location in (
            app_commands.TranslationContextLocation.command_name,
            app_commands.TranslationContextLocation.parameter_name,
        ):
            return string.extras.get("fr")
        if location is app_commands.TranslationContextLocation.choice_name:
            return None
        text = translator("fr")._(string.message)
        return text[:DESCRIPTION_LIMIT] if text != string.message else None
