"""The `civicbot` command line: database upgrade, consultation import, results and the outbox."""

from __future__ import annotations

import asyncio
import csv
import getpass
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from storage import audit
from storage.database import Database
from storage.tables import AuditEntry

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "examples" / "place-du-marche.yaml"


@pytest.fixture
def shell(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.setenv("CIVICBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_an_organizer_imports_a_consultation_and_exports_its_results_from_the_shell(shell, tmp_path):
    assert shell.invoke(app, ["db", "upgrade"]).exit_code == 0
    imported = shell.invoke(app, ["consultation", "import", str(EXAMPLE)])
    assert imported.exit_code == 0, imported.output
    assert "place-du-marche" in imported.output

    text = shell.invoke(app, ["results", "place-du-marche", "--format", "text"])
    assert "Réaménagement de la place du marché" in text.stdout

    exported = shell.invoke(app, ["results", "place-du-marche", "--format", "csv"])
    header = next(
        row for row in csv.reader(io.StringIO(exported.stdout)) if row and not row[0].startswith("#")
    )
    assert header[0] and len(header) > 5

    document = shell.invoke(app, ["results", "place-du-marche", "--format", "json", "--output", "r.json"])
    assert document.exit_code == 0
    assert json.loads((tmp_path / "r.json").read_text())

    charts = shell.invoke(app, ["results", "place-du-marche", "--format", "png", "--output", "charts"])
    assert charts.exit_code == 0
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in (tmp_path / "charts").iterdir())
    me = f"cli:{getpass.getuser()}"
    assert [
        (entry.actor, entry.object_type, entry.detail)
        for entry in asyncio.run(audit_entries(tmp_path / "cli.db"))
        if entry.action == "consultation.export"
    ] == [(me, "consultation", "place-du-marche: csv"), (me, "consultation", "place-du-marche: json")]


async def audit_entries(path: Path) -> list[AuditEntry]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        return await audit.entries(db)
    finally:
        await db.dispose()


def test_a_broken_consultation_file_is_refused_with_its_problems(shell, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("type: scale", "type: slider"), encoding="utf-8"
    )
    result = shell.invoke(app, ["consultation", "import", str(broken)])
    assert result.exit_code == 1
    assert "slider" in result.output


def test_the_outbox_command_counts_messages_by_state(shell):
    result = shell.invoke(app, ["outbox"])
    assert result.exit_code == 0
    assert "pending" in result.output and "failed" in result.output


def test_charts_asked_for_without_a_folder_are_refused_rather_than_scattered_here(shell, tmp_path):
    assert shell.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert shell.invoke(app, ["consultation", "import", str(EXAMPLE)]).exit_code == 0
    before = set(tmp_path.iterdir())
    charts = shell.invoke(app, ["results", "place-du-marche", "--format", "png"])
    assert charts.exit_code == 2
    assert "--output" in charts.output
    assert set(tmp_path.iterdir()) == before, "no PNG written in the current folder"
