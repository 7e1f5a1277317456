"""The `civicbot` command line: database upgrade, consultation import, results and the outbox."""

from __future__ import annotations

import asyncio
import csv
import getpass
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
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
    assert exported.stdout_bytes.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM"
    header = next(csv.reader(io.StringIO(exported.stdout.lstrip("\ufeff")), delimiter=";"))
    assert header[:2] == [
        "Participant (pseudonyme)",
        "1. À quelle fréquence venez-vous sur la place du marché ?",
    ]

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


def test_the_spreadsheet_and_the_report_are_written_to_a_file_and_audited(shell, tmp_path):
    assert shell.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert shell.invoke(app, ["consultation", "import", str(EXAMPLE)]).exit_code == 0
    workbook = shell.invoke(app, ["results", "place-du-marche", "--format", "xlsx", "--output", "place.xlsx"])
    assert workbook.exit_code == 0, workbook.output
    assert load_workbook(tmp_path / "place.xlsx").sheetnames[0] == "Réponses"
    (tmp_path / "council").mkdir()
    report = shell.invoke(app, ["results", "place-du-marche", "--format", "html", "--output", "council"])
    assert report.exit_code == 0, report.output
    page = (tmp_path / "council" / "place-du-marche-rapport.html").read_text(encoding="utf-8")
    assert "<h1>Résultats : Réaménagement de la place du marché</h1>" in page, (
        "a folder takes the file's name"
    )
    piped = shell.invoke(app, ["results", "place-du-marche", "--format", "xlsx"])  # not a terminal: a pipe
    assert piped.exit_code == 0 and piped.stdout_bytes.startswith(b"PK")
    me = f"cli:{getpass.getuser()}"
    assert [
        entry.detail
        for entry in asyncio.run(audit_entries(tmp_path / "cli.db"))
        if entry.action == "consultation.export" and entry.actor == me
    ] == ["place-du-marche: xlsx", "place-du-marche: html", "place-du-marche: xlsx"]


def test_a_spreadsheet_is_never_written_to_a_terminal(shell, tmp_path, monkeypatch):
    assert shell.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert shell.invoke(app, ["consultation", "import", str(EXAMPLE)]).exit_code == 0
    monkeypatch.setattr("adapters.cli._terminal", lambda: True)
    refused = shell.invoke(app, ["results", "place-du-marche", "--format", "xlsx"])
    assert refused.exit_code == 2 and refused.stdout_bytes == b""
    assert "fichier binaire" in refused.stderr and "--output place-du-marche.xlsx" in refused.stderr
    report = shell.invoke(app, ["results", "place-du-marche", "--format", "html"])
    assert report.exit_code == 0 and report.stdout.startswith("<!DOCTYPE html>"), "text goes to a terminal"


def test_an_unknown_format_is_refused_with_the_list_in_french(shell):
    refused = shell.invoke(app, ["results", "place-du-marche", "--format", "pdf"])
    assert refused.exit_code == 2
    assert "--format prend l'une de ces valeurs : text, xlsx, html, csv, json, png." in refused.stderr


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
