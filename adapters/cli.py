"""The `civicbot` command: run the bot, open the terminal chat, manage the database.

It speaks the configured language (`CIVICBOT_DEFAULT_LANGUAGE`, French by default), help included: every
message and help text is an English msgid marked with `N_` and translated where it is shown
(adapters/cli_language.py).

Each command imports what it needs inside its function, on purpose: `civicbot --help` (and a typo'd command)
answers without loading the engine, SQLAlchemy, the platform libraries or alembic. These are the only
function-level imports of project modules outside the migrations (tests/test_architecture.py checks bot/,
storage/ and config/); they hide no import circle (`lint-imports` checks there is none).
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from adapters.cli_language import N_, Command, Group, spoken
from config.settings import Settings

if TYPE_CHECKING:
    from bot.app import App

app = typer.Typer(
    cls=Group,
    help=N_("civicbot: polls, consultations and events for Telegram, Discord and the terminal."),
    no_args_is_help=True,
)
db_app = typer.Typer(cls=Group, help=N_("Database maintenance."), no_args_is_help=True)
app.add_typer(db_app, name="db")
consultation_app = typer.Typer(
    cls=Group, help=N_("Consultations: import their definitions."), no_args_is_help=True
)
app.add_typer(consultation_app, name="consultation")
proposals_app = typer.Typer(
    cls=Group, help=N_("Residents' proposals: their open data."), no_args_is_help=True
)
app.add_typer(proposals_app, name="proposals")


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "aiosqlite", "discord.gateway"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command(
    cls=Command,
    help=N_(
        "A terminal chat with the bot: the town square and a private chat per resident (reads piped stdin)."
    ),
)
def shell(
    as_person: str = typer.Option("alice", "--as", metavar=N_("NAME"), help=N_("Who speaks first")),
) -> None:
    from adapters.console.shell import run_shell

    settings = Settings()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(run_shell(settings, first_person=as_person))


@app.command(cls=Command, help=N_("Start every adapter that has a token; without any, the terminal chat."))
def run(
    only: list[str] = typer.Option(
        [],
        "--only",
        metavar=N_("PART"),
        help=N_("Run only these parts: adapters, scheduler, dispatcher (repeat the option)"),
    ),
) -> None:
    from adapters.launcher import PARTS

    t = spoken()
    unknown = set(only) - set(PARTS)
    if unknown:
        typer.echo(
            t._(
                "--only takes {parts}; not {unknown}.",
                parts=", ".join(PARTS),
                unknown=", ".join(sorted(unknown)),
            ),
            err=True,
        )
        raise typer.Exit(2)
    settings = Settings()
    if settings.telegram_token is None and settings.discord_token is None:
        if only:
            typer.echo(
                t._(
                    "--only runs part of a live bot, which needs CIVICBOT_TELEGRAM_TOKEN or "
                    "CIVICBOT_DISCORD_TOKEN; without a token, `civicbot run` opens the terminal chat."
                ),
                err=True,
            )
            raise typer.Exit(2)
        typer.echo(
            t._(
                "No Telegram or Discord token: starting the terminal chat. "
                "Set CIVICBOT_TELEGRAM_TOKEN or CIVICBOT_DISCORD_TOKEN to go live."
            ),
            err=True,
        )
        shell(as_person="alice")
        return
    _logging(settings)
    from adapters.launcher import run_platforms

    asyncio.run(run_platforms(settings, frozenset(only or PARTS)))


@db_app.command("upgrade", cls=Command, help=N_("Apply the database migrations (also done at every start)."))
def db_upgrade() -> None:
    from storage.database import Database

    async def _upgrade() -> None:
        settings = Settings()
        db = Database(settings.database_url, key_dir=settings.key_dir)
        await db.migrate()
        await db.dispose()

    asyncio.run(_upgrade())
    typer.echo(spoken()._("The database is up to date."))


async def _with_app(work: Callable[[App], Awaitable[int]]) -> int:
    from bot.app import App

    application = App.build(Settings())
    await application.start(scheduler=False)
    try:
        return await work(application)
    finally:
        await application.stop()


@consultation_app.command(
    "import",
    cls=Command,
    help=N_("Check a consultation file and store it; every problem is listed with its line."),
)
def consultation_import(
    path: Path = typer.Argument(..., metavar=N_("FILE"), help=N_("The consultation file (YAML)")),
) -> None:
    from bot.consultations.definition import DefinitionErrors
    from storage.consultations import ConsultationLocked

    t = spoken()
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        typer.echo(t._("{path}: there is no such file.", path=path), err=True)
        raise typer.Exit(2) from None
    except (OSError, UnicodeDecodeError):
        typer.echo(t._("{path}: this is not a text file I can read.", path=path), err=True)
        raise typer.Exit(2) from None

    async def work(application: App) -> int:
        try:
            row = await application.engine.consultations.import_source(
                source, t=t, actor=f"cli:{getpass.getuser()}"
            )
        except DefinitionErrors as errors:
            typer.echo(f"{path}: {errors.report(t)}", err=True)
            return 1
        except ConsultationLocked:
            typer.echo(
                t._("{path}: this consultation already has answers; import it under a new id.", path=path),
                err=True,
            )
            return 1
        typer.echo(
            t._(
                "Imported “{title}” as {id}. Launch it in a community with /launch {id}.",
                title=application.engine.consultations.definition_of(row).title.get(t.language),
                id=row.slug,
            )
        )
        return 0

    raise typer.Exit(asyncio.run(_with_app(work)))


def _terminal() -> bool:
    """Whether stdout is a terminal (a binary file written there would scramble it)."""
    return sys.stdout.isatty()


@app.command(
    cls=Command,
    help=N_(
        "A consultation's results from the shell, as /results and /export give them, in its language; with "
        "--where or --cross, a filtered view or a cross-tabulation, as text."
    ),
)
def results(
    consultation: str = typer.Argument(..., metavar=N_("ID"), help=N_("The consultation's id")),
    format: str = typer.Option(
        "text",
        "--format",
        metavar=N_("FORMAT"),
        help=N_("text, csv, xlsx (spreadsheet), html (printable report), json (open data) or png (charts)"),
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        metavar=N_("PATH"),
        help=N_(
            "A file, or a folder for the file's own name (stdout by default); for png, the folder of the "
            "charts (required)"
        ),
    ),
    where: list[str] = typer.Option(
        [],
        "--where",
        "--filtre",
        metavar=N_("QUESTION=ANSWER"),
        help=N_("Only the residents who gave this answer (e.g. transport=bike)"),
    ),
    cross: tuple[str, str] | None = typer.Option(
        None,
        "--cross",
        "--croiser",
        metavar=N_("QUESTION QUESTION"),
        help=N_("For each answer to the first question, how its residents answered the second"),
    ),
) -> None:
    from bot.consultations.exports.files import FORMATS
    from bot.consultations.publishing import results_files

    t = spoken()
    formats = ["text", *FORMATS, "png"]
    if format not in formats:
        typer.echo(t._("--format is one of: {formats}.", formats=", ".join(formats)), err=True)
        raise typer.Exit(2)
    if format == "png" and output is None:  # one file per chart: never scattered in the current folder
        typer.echo(t._("--format png writes one file per chart: give their folder with --output."), err=True)
        raise typer.Exit(2)
    if where or cross:
        raise typer.Exit(_results_view(consultation, format, output, where, cross))
    if format in FORMATS and FORMATS[format].binary and output is None and _terminal():
        typer.echo(
            t._(
                "--format {format} is a binary file, which a terminal cannot show: give the file with "
                "--output (for example --output {consultation}.{format}), or redirect the output to a file.",
                format=format,
                consultation=consultation,
            ),
            err=True,
        )
        raise typer.Exit(2)
    into_folder = format == "png" or (output is not None and output.is_dir())

    async def work(application: App) -> int:
        loaded = await application.engine.consultations.find(consultation)
        if loaded is None:
            typer.echo(t._("There is no consultation “{id}”.", id=consultation), err=True)
            return 1
        files = await results_files(application.engine, loaded, format, actor=f"cli:{getpass.getuser()}")
        if output is None:
            sys.stdout.buffer.write(b"".join(data for _, data in files))
            sys.stdout.buffer.flush()
            return 0
        for name, data in files:
            target = output / name if into_folder else output
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            typer.echo(str(target), err=True)
        return 0

    raise typer.Exit(asyncio.run(_with_app(work)))


def _results_view(
    consultation: str, format: str, output: Path | None, where: list[str], cross: tuple[str, str] | None
) -> int:
    """`civicbot results ID --where Q=A` or `--cross Q1 Q2`: the view as the chat words it, as text."""
    from bot.consultations import views

    t = spoken()
    if format != "text":
        typer.echo(t._("--where and --cross give text only: leave out --format."), err=True)
        return 2
    request = views.ViewRequest(tuple(where), (" ".join(cross),) if cross else ())

    async def work(application: App) -> int:
        engine = application.engine
        loaded = await engine.consultations.find(consultation)
        if loaded is None:
            typer.echo(t._("There is no consultation “{id}”.", id=consultation), err=True)
            return 1
        try:
            view = views.check(loaded.definition, request, t)
        except views.ViewError as error:
            typer.echo(error.message, err=True)
            return 2
        body = await views.read_view(engine, loaded, view, t, actor=f"cli:{getpass.getuser()}")
        text = body.plain + "\n"
        if output is None:
            typer.echo(text, nl=False)
        else:
            await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        return 0

    return asyncio.run(_with_app(work))


@proposals_app.command(
    "export",
    cls=Command,
    help=N_(
        "Every published proposal as open data: title, description, status, supports and history (never who "
        "supported; an author's name only where they chose to show it)."
    ),
)
def proposals_export(
    format: str = typer.Option("csv", "--format", metavar=N_("FORMAT"), help=N_("csv or json")),
    output: Path | None = typer.Option(
        None, "--output", metavar=N_("PATH"), help=N_("A file (stdout by default)")
    ),
) -> None:
    from bot.proposals.export import FORMATS, encoded, gather

    t = spoken()
    if format not in FORMATS:
        typer.echo(t._("--format is one of: {formats}.", formats=", ".join(FORMATS)), err=True)
        raise typer.Exit(2)

    async def work(application: App) -> int:
        now = application.engine.clock.now()
        items = await gather(application.db, None, actor=f"cli:{getpass.getuser()}", now=now)
        data = encoded(items, format)
        if output is None:
            sys.stdout.buffer.write(data)
        else:
            await asyncio.to_thread(output.write_bytes, data)
            count = t.n_("{count} proposal", "{count} proposals", len(items))
            typer.echo(t._("{path}: {count}", path=str(output), count=count), err=True)
        return 0

    raise typer.Exit(asyncio.run(_with_app(work)))


# how the outbox command names each state of a decided message
STATES = {
    "pending": N_("waiting"),
    "sending": N_("being sent"),
    "sent": N_("delivered"),
    "failed": N_("failed"),
    "dropped": N_("dropped"),
}


@app.command(
    cls=Command,
    help=N_(
        "How many decided messages are waiting, being sent, delivered, failed or dropped (and, with "
        "--failures, which failed)."
    ),
)
def outbox(
    failures: bool = typer.Option(False, "--failures", help=N_("List the latest failed messages")),
) -> None:
    from rich.console import Console
    from rich.table import Table

    from bot.consultations.figures import format_number
    from storage import outbox as outbox_store

    t = spoken()

    async def work(application: App) -> int:
        counts = await outbox_store.counts(application.db)
        table = Table(title=t._("civicbot's outbox"))
        table.add_column(t._("state"))
        table.add_column(t._("messages"), justify="right")
        for state, name in STATES.items():
            table.add_row(t._(name), format_number(counts.get(state, 0), t.language))
        Console().print(table)
        if failures:
            for row in await outbox_store.failures(application.db):
                typer.echo(
                    t.n_(
                        "{key}  after {count} attempt: {error}",
                        "{key}  after {count} attempts: {error}",
                        row.attempts,
                        key=row.dedup_key,
                        error=row.last_error or "?",
                    )
                )
        return 0

    raise typer.Exit(asyncio.run(_with_app(work)))


def main() -> None:
    """The `civicbot` command. Once a command has returned, the process ends at once rather than tearing the
    interpreter down (freeing every module's objects took ~0.6 s, measured): by then the command has stopped
    the bot, closed the database and flushed what it wrote, so the teardown only made the exit late."""
    code: int | str | None = 0
    try:
        app()
    except SystemExit as stop:
        code = stop.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    main()
