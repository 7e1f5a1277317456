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
proposals_app = typer.Typer(help="Residents' proposals: open data.")
app.add_typer(proposals_app, name="proposals")


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


@app.command()
def results(
    consultation: str = typer.Argument(..., help="The consultation's id"),
    format: str = typer.Option("text", "--format", help="text, csv, json or png"),
    output: Path | None = typer.Option(
        None, "--output", help="A file (stdout by default); for png, the folder of the charts (required)"
    ),
) -> None:
    """A consultation's results from the shell, as /results and /export give them."""
    from bot.consultations.publishing import results_files
    from bot.i18n import translator

    if format not in ("text", "csv", "json", "png"):
        typer.echo("--format is one of text, csv, json, png", err=True)
        raise typer.Exit(2)
    if format == "png" and output is None:  # one file per chart: never scattered in the current folder
        typer.echo("--format png writes one file per chart: give their folder with --output", err=True)
        raise typer.Exit(2)

    async def work(application: App) -> int:
        loaded = await application.engine.consultations.find(consultation)
        if loaded is None:
            typer.echo(f"There is no consultation “{consultation}”.", err=True)
            return 1
        t = translator(application.settings.default_language)
        files = await results_files(application.engine, loaded, format, t, actor=f"cli:{getpass.getuser()}")
        if output is None and format != "png":
            sys.stdout.buffer.write(files[0][1])
            return 0
        folder = output if format == "png" else None
        for name, data in files:
            target = (folder or Path(".")) / name if folder or output is None else output
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            typer.echo(str(target), err=True)
        return 0

    raise typer.Exit(asyncio.run(_with_app(work)))


@proposals_app.command("export")
def proposals_export(
    format: str = typer.Option("csv", "--format", help="csv or json"),
    output: Path | None = typer.Option(None, "--output", help="A file (stdout by default)"),
) -> None:
    """Every published proposal as open data: title, description, status, supports and history (never who
    supported; an author's name only where they chose to show it)."""
    from bot.proposals.export import FORMATS, encoded, gather

    if format not in FORMATS:
        typer.echo("--format is one of csv, json", err=True)
        raise typer.Exit(2)

    async def work(application: App) -> int:
        now = application.engine.clock.now()
        items = await gather(application.db, None, actor=f"cli:{getpass.getuser()}", now=now)
        data = encoded(items, format)
        if output is None:
            sys.stdout.buffer.write(data)
        else:
            await asyncio.to_thread(output.write_bytes, data)
            typer.echo(f"{output}: {len(items)} proposals", err=True)
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
