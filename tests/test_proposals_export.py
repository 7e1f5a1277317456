"""`civicbot proposals export`: the published proposals as CSV and JSON — titles, descriptions, statuses,
support counts, the dated history — never who supported, an author's name only where they chose to show it,
and nothing that was never published; every export audited."""

from __future__ import annotations

import asyncio
import csv
import getpass
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from storage import audit, residents
from storage import proposal_supports as supports
from storage import proposals as store
from storage.database import Database

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def nothing(*_: object) -> list:
    return []


async def fill(path: Path) -> None:
    """Bob's proposal, signed, with two supports and an official answer; Carol's, unsigned; Dave's, waiting
    for moderation."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        square = await residents.ensure_community(
            db, platform="console", chat_id="square", title="Place", now=NOW
        )
        people: dict[str, int] = {}
        for name in ("bob", "carol", "dave", "erin", "olivia"):
            person = await residents.ensure_resident(
                db, platform="console", user_id=name, display_name=name.capitalize(), now=NOW
            )
            assert person.id is not None
            people[name] = person.id
        assert square.id is not None
        for name, title, shown, moderated in (
            ("bob", "Un banc", True, False),
            ("carol", "Une boîte à livres", False, False),
            ("dave", "Secret", True, True),
        ):
            draft = store.Draft(square.id, people[name], shown, title, f"{title} : pourquoi.", "fr")
            await store.submit(db, draft, moderated=moderated, weekly_limit=3, now=NOW, build=nothing)
        for name in ("erin", "olivia"):
            who = supports.Supporter("console", name, name.capitalize())
            await supports.support(db, 1, who, chat=None, now=NOW, defaults=store.Rules(), reached=nothing)
        answer = store.Decision(store.PUBLISHED, store.ACCEPTED, "Voté le 12 décembre.")
        await store.decide(
            db,
            1,
            answer,
            actor_id=people["olivia"],
            actor="console:olivia",
            now=NOW + timedelta(days=2),
            build=nothing,
        )
    finally:
        await db.dispose()


@pytest.fixture
def shell(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.setenv("CIVICBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    asyncio.run(fill(tmp_path / "cli.db"))
    return runner


def test_the_published_proposals_are_exported_without_their_supporters(shell, tmp_path):
    exported = shell.invoke(app, ["proposals", "export", "--format", "csv"])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(r["number"], r["title"], r["author"], r["supports"], r["status"]) for r in rows] == [
        ("1", "Un banc", "Bob", "2", "accepted"),
        ("2", "Une boîte à livres", "", "0", "open"),
    ], "Dave's, never published, is not open data; Carol chose not to show her name"
    assert rows[0]["answer"] == "Voté le 12 décembre." and rows[0]["answered_at"].startswith("2026-11-28")

    written = shell.invoke(app, ["proposals", "export", "--format", "json", "--output", "p.json"])
    assert written.exit_code == 0
    document = (tmp_path / "p.json").read_text()
    first = json.loads(document)["proposals"][0]
    assert [(s["status"], s["text"]) for s in first["history"]] == [
        ("open", ""),
        ("accepted", "Voté le 12 décembre."),
    ]
    for name in ("Erin", "Olivia", "erin", "olivia", "Secret"):
        assert name not in document and name not in exported.stdout, name
    me = f"cli:{getpass.getuser()}"
    entries = asyncio.run(audit_entries(tmp_path / "cli.db"))
    assert [(e.actor, e.action) for e in entries if e.action == "proposals.export"] == [
        (me, "proposals.export")
    ] * 2


def test_an_unknown_format_is_refused(shell):
    result = shell.invoke(app, ["proposals", "export", "--format", "xml"])
    assert result.exit_code == 2 and "csv, json" in result.output


async def audit_entries(path: Path) -> list:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        return await audit.entries(db)
    finally:
        await db.dispose()
