"""The `civicbot` command speaks one language: the configured one (`CIVICBOT_DEFAULT_LANGUAGE`, French by
default), through the project's translator, like the bot.

Typer writes help and usage errors in English, with its own placeholders (`<bool>`, `{path}`): the
`civicbot` commands and groups are built with the classes below instead (`cls=`), which write the help
themselves — every text, metavar and heading translated, each value named in words (`--output PATH`) — and
say what was mistyped in the same language. The help texts, metavars and messages are English msgids marked
with `N_` (extracted like the engine's); typer's own options (`--help`, the completion ones) are declared
here. Only the vendored click of typer (`typer._click`) is used: it is what typer builds its commands with.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from difflib import get_close_matches
from typing import Any, NoReturn

from typer import Abort, _click
from typer._click import exceptions as errors
from typer.core import TyperCommand, TyperGroup

from bot.i18n import Translator, normalize_language, translator
from config.settings import Settings


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


# typer's own options, whose help it writes in English
BUILT_IN = {
    "help": N_("Show this help and exit."),
    "install_completion": N_("Install the completion of civicbot's commands for this shell."),
    "show_completion": N_("Show the completion script of this shell, to copy it or adapt the installation."),
}


def spoken() -> Translator:
    """The configured language's translator; French when the settings cannot be read (the command that
    reads them will then say what is wrong)."""
    try:
        language = Settings().default_language
    except ValueError:
        language = "fr"
    return translator(normalize_language(language) or "fr")


# --- help -------------------------------------------------------------------------------------------------


def _value_name(param: _click.Parameter, t: Translator) -> str:
    return t._(param.metavar) if param.metavar else param.name.upper() if param.name else ""


def _usage(command: _click.Command, ctx: _click.Context, t: Translator) -> str:
    pieces = [t._("[OPTIONS]")]
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            name = _value_name(param, t)
            pieces.append(name if param.required else f"[{name}]")
    if isinstance(command, TyperGroup):
        pieces.append(t._("COMMAND [ARGUMENTS]…"))
    return " ".join(pieces)


def _help_text(param: _click.Parameter, t: Translator) -> str:
    text = t._(BUILT_IN.get(param.name or "", "") or getattr(param, "help", None) or "")
    extras = []
    default = param.default
    if param.required:
        extras.append(t._("required"))
    elif getattr(param, "show_default", False) and default not in (None, False, [], (), ""):
        extras.append(t._("default: {value}", value=default))
    return f"{text} ({', '.join(extras)})" if extras else text


def _rows(command: _click.Command, ctx: _click.Context, t: Translator, kind: str) -> list[tuple[str, str]]:
    rows = []
    for param in command.get_params(ctx):
        if param.param_type_name != kind or getattr(param, "hidden", False):
            continue
        if kind == "argument":
            rows.append((_value_name(param, t), _help_text(param, t)))
            continue
        names = ", ".join(param.opts)
        if not getattr(param, "is_flag", False):
            names = f"{names} {_value_name(param, t)}"
        rows.append((names, _help_text(param, t)))
    return rows


def write_help(command: _click.Command, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
    """Usage, what the command does, its arguments, options and subcommands: all in the CLI's language."""
    t = spoken()
    formatter.write_usage(ctx.command_path, _usage(command, ctx, t), prefix=t._("Usage:") + " ")
    if command.help:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(t._(command.help))
    _section(formatter, t._("Arguments:"), _rows(command, ctx, t, "argument"))
    _section(formatter, t._("Options:"), _rows(command, ctx, t, "option"))
    if isinstance(command, TyperGroup):
        listed = [(name, command.get_command(ctx, name)) for name in command.list_commands(ctx)]
        rows = [
            (name, t._(sub.help).split("\n\n")[0] if sub.help else "")
            for name, sub in listed
            if sub is not None and not sub.hidden
        ]
        _section(formatter, t._("Commands:"), rows)


def _section(formatter: _click.HelpFormatter, heading: str, rows: list[tuple[str, str]]) -> None:
    """A heading written whole (click adds a colon without the space French puts before it), then rows."""
    if rows:
        formatter.write_paragraph()
        formatter.write(f"{heading}\n")
        with formatter.indentation():
            formatter.write_dl(rows)


# --- mistakes ---------------------------------------------------------------------------------------------


class Mistyped(errors.UsageError):
    """A usage error whose message is already in the CLI's language."""


def _parameter(param: _click.Parameter | None, t: Translator) -> str:
    if param is None:
        return ""
    if param.param_type_name == "option":
        options: list[str] = getattr(param, "opts", []) or [""]
        return max(options, key=len)
    return _value_name(param, t)


def explain(error: _click.ClickException, t: Translator) -> str:
    """What was mistyped, in words, from the error's own fields (click's texts are English)."""
    if isinstance(error, Mistyped):
        return error.message
    if isinstance(error, errors.NoSuchOption):
        text = t._("There is no option {option}.", option=error.option_name)
        if error.possibilities:
            text += " " + t._("Did you mean {options}?", options=", ".join(error.possibilities))
        return text
    if isinstance(error, errors.BadOptionUsage):
        return t._("{option} is not written right: see the help.", option=error.option_name)
    if isinstance(error, errors.MissingParameter):
        return t._("{name} is missing.", name=_parameter(error.param, t))
    if isinstance(error, errors.BadParameter):
        return t._("{name} cannot take this value.", name=_parameter(error.param, t))
    return t._("This command is not written right.")


def _report(error: _click.ClickException, t: Translator) -> NoReturn:
    if isinstance(error, errors.NoArgsIsHelpError):
        _click.echo(error.message, err=True)
        sys.exit(error.exit_code)
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        usage = _usage(ctx.command, ctx, t)
        _click.echo(f"{t._('Usage:')} {ctx.command_path} {usage}", err=True)
        _click.echo(t._("{command} --help says how to write it.", command=ctx.command_path), err=True)
    _click.echo(t._("Error: {message}", message=explain(error, t)), err=True)
    sys.exit(error.exit_code)


# --- the classes typer builds the commands with -----------------------------------------------------------


class Command(TyperCommand):
    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        write_help(self, ctx, formatter)

    def format_usage(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        t = spoken()
        formatter.write_usage(ctx.command_path, _usage(self, ctx, t), prefix=t._("Usage:") + " ")

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        ctx.allow_extra_args = True  # words left over are said here, in the CLI's language
        rest = super().parse_args(ctx, args)
        if rest and not ctx.resilient_parsing:
            raise Mistyped(spoken()._("I did not expect: {words}.", words=" ".join(rest)), ctx)
        return rest


class Group(TyperGroup):
    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        write_help(self, ctx, formatter)

    def format_usage(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        t = spoken()
        formatter.write_usage(ctx.command_path, _usage(self, ctx, t), prefix=t._("Usage:") + " ")

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            t = spoken()
            text = t._("There is no command {command}.", command=name)
            close = get_close_matches(name, self.list_commands(ctx))
            if close:
                text += " " + t._("Did you mean {options}?", options=", ".join(close))
            raise Mistyped(text, ctx)
        return super().resolve_command(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Typer's main, with mistakes said in the CLI's language rather than in click's English."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except _click.ClickException as error:
            _report(error, spoken())
        except Abort:
            _click.echo(spoken()._("Stopped."), err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)
