"""The `civicbot` command: run the bot, open the terminal chat, manage the database."""

from __future__ import annotations

import asyncio
import logging
import sys

import typer

from config.settings import Settings

app = typer.Typer(help="civicbot: polls, consultations and events for Telegram, Discord and the terminal.")
db_app = typer.Typer(help="Database maintenance.")
app.add_typer(db_app, name="db")


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "apscheduler", "aiosqlite", "discord.gateway"):
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
def run() -> None:
    """Start every adapter that has a token; without any, the terminal chat."""
    settings = Settings()
    if settings.telegram_token is None and settings.discord_token is None:
        typer.echo(
            "No Telegram or Discord token: starting the terminal chat. "
            "Set CIVICBOT_TELEGRAM_TOKEN or CIVICBOT_DISCORD_TOKEN to go live.",
            err=True,
        )
        shell(as_person="alice")
        return
    _logging(settings)
    from adapters.launcher import run_platforms

    asyncio.run(run_platforms(settings))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (also done at every start)."""
    from storage.database import Database

    async def _upgrade() -> None:
        db = Database(Settings().database_url)
        await db.migrate()
        await db.dispose()

    asyncio.run(_upgrade())
    typer.echo("Database is up to date.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
