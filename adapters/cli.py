"""The `civicbot` command: run the bot, open the terminal chat, manage the database.

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

from config.settings import Settings

if TYPE_CHECKING:
    from bot.app import App

app = typer.Typer(help="civicbot: polls, consultations and events for Telegram, Discord and the terminal.")
db_app = typer.Typer(help="Database maintenance.")
app.add_typer(db_app, name="db")
consultation_app = typer.Typer(help="Consultations: import definitions.")
app.add_typer(consultation_app, name="consultation")


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "aiosqlite", "discord.gateway"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command()
def shell(
    as_person: str = typer.Option("alice", "--as", help="Who speaks first"),
) -> None:
    """A terminal chat with the bot: the town square and a private chat per resident (reads piped stdin)."""
    from adapters.console.shell import run_shell

    settings = Settings()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(run_shell(settings, first_person=as_person))


@app.command()
def run(
    only: list[str] = typer.Option(
        [], "--only", help="Run only these parts: adapters, scheduler, dispatcher (repeat the option)"
    ),
) -> None:
    """Start every adapter that has a token; without any, the terminal chat."""
    from adapters.launcher import PARTS

    unknown = set(only) - set(PARTS)
    if unknown:
        typer.echo(f"--only takes {', '.join(PARTS)}; not {', '.join(sorted(unknown))}", err=True)
        raise typer.Exit(2)
    settings = Settings()
    if settings.telegram_token is None and settings.discord_token is None:
        if only:
            typer.echo(
                "--only runs part of a live bot, which needs CIVICBOT_TELEGRAM_TOKEN or "
                "CIVICBOT_DISCORD_TOKEN; without a token, `civicbot run` opens the terminal chat.",
                err=True,
            )
            raise typer.Exit(2)
        typer.echo(
            "No Telegram or Discord token: starting the terminal chat. "
            "Set CIVICBOT_TELEGRAM_TOKEN or CIVICBOT_DISCORD_TOKEN to go live.",
            err=True,
        )
        shell(as_person="alice")
        return
    _logging(settings)
    from adapters.launcher import run_platforms

    asyncio.run(run_platforms(settings, frozenset(only or PARTS)))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (also done at every start)."""
    from storage.database import Database

    async def _upgrade() -> None:
        settings = Settings()
        db = Database(settings.database_url, key_dir=settings.key_dir)
        await db.migrate()
        await db.dispose()

    asyncio.run(_upgrade())
    typer.echo("Database is up to date.")


async def _with_app(work: Callable[[App], Awaitable[int]]) -> int:
    from bot.app import App

    application = App.build(Settings())
    await application.start(scheduler=False)
    try:
        return await work(application)
    finally:
        await application.stop()


@consultation_app.command("import")
def consultation_import(path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True)) -> None:
    """Validate a consultation file and store it; every problem is listed with its line."""
    from bot.consultations.definition import DefinitionErrors
    from bot.i18n import translator
    from storage.consultations import ConsultationLocked

    source = path.read_text(encoding="utf-8")

    async def work(application: App) -> int:
        try:
            row = await application.engine.consultations.import_source(
                source, t=translator(application.settings.default_language), actor=f"cli:{getpass.getuser()}"
            )
        except DefinitionErrors as errors:
            typer.echo(f"{path}: not imported", err=True)
            typer.echo(str(errors), err=True)
            return 1
        except ConsultationLocked:
            typer.echo(f"{path}: this consultation already has answers; import it under a new id", err=True)
            return 1
        typer.echo(f"Imported “{row.title}” as {row.slug}. Launch it in a community with /launch {row.slug}.")
        return 0

    raise typer.Exit(asyncio.run(_with_app(work)))


def _terminal() -> bool:
    """Whether stdout is a terminal (a binary file written there would scramble it)."""
    return sys.stdout.isatty()


@app.command()
def results(
    consultation: str = typer.Argument(..., help="The consultation's id"),
    format: str = typer.Option(
        "text",
        "--format",
        help="text, csv, xlsx (spreadsheet), html (printable report), json (open data) or png (charts)",
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        help="A file, or a folder for the file's own name (stdout by default); for png, the folder of the "
        "charts (required)",
    ),
) -> None:
    """A consultation's results from the shell, as /results and /export give them, in its language."""
    from bot.consultations.exports.files import FORMATS
    from bot.consultations.publishing import results_files
    from bot.i18n import translator

    t = translator(Settings().default_language)
    formats = ["text", *FORMATS, "png"]
    if format not in formats:
        typer.echo(t._("--format is one of: {formats}.", formats=", ".join(formats)), err=True)
        raise typer.Exit(2)
    if format == "png" and output is None:  # one file per chart: never scattered in the current folder
        typer.echo(t._("--format png writes one file per chart: give their folder with --output."), err=True)
        raise typer.Exit(2)
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
            typer.echo(t._("There is no consultation “{slug}”.", slug=consultation), err=True)
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


@app.command()
def outbox(
    failures: bool = typer.Option(False, "--failures", help="List the latest failed messages"),
) -> None:
    """How many decided messages are pending, sent, failed or dropped (and, with --failures, which failed)."""
    from rich.console import Console
    from rich.table import Table

    from storage import outbox as outbox_store

    async def work(application: App) -> int:
        counts = await outbox_store.counts(application.db)
        table = Table(title="civicbot outbox")
        table.add_column("state")
        table.add_column("messages", justify="right")
        for state in ("pending", "sending", "sent", "failed", "dropped"):
            table.add_row(state, f"{counts.get(state, 0):,}")
        Console().print(table)
        if failures:
            for row in await outbox_store.failures(application.db):
                typer.echo(f"{row.dedup_key}  after {row.attempts} attempt(s): {row.last_error or '?'}")
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
