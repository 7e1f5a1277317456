"""The `civicbot` command line: database upgrade, consultation import, results (filtered views and
cross-tabulations included) and the outbox, in the configured language."""

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
from bench.results import bulk_insert, example_definition, generate
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
    assert "en attente" in result.output and "en échec" in result.output


def test_charts_asked_for_without_a_folder_are_refused_rather_than_scattered_here(shell, tmp_path):
    assert shell.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert shell.invoke(app, ["consultation", "import", str(EXAMPLE)]).exit_code == 0
    before = set(tmp_path.iterdir())
    charts = shell.invoke(app, ["results", "place-du-marche", "--format", "png"])
    assert charts.exit_code == 2
    assert "--output" in charts.output
    assert set(tmp_path.iterdir()) == before, "no PNG written in the current folder"


def imported_with_answers(shell: CliRunner, tmp_path: Path, submissions: int = 60) -> list[tuple]:
    """The example consultation imported from the shell, and `submissions` residents' answers (rows)."""
    assert shell.invoke(app, ["consultation", "import", str(EXAMPLE)]).exit_code == 0
    subs, rows = generate(example_definition(), 1, submissions, seed=11)
    asyncio.run(bulk_insert(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", subs, rows))
    return rows


def test_an_organizer_asks_the_shell_for_a_filtered_view_and_a_cross_tabulation(shell, tmp_path):
    rows = imported_with_answers(shell, tmp_path)
    cyclists = {row[0] for row in rows if row[1] == "transport" and row[4] == "bike"}
    assert len(cyclists) >= 5

    view = shell.invoke(app, ["results", "place-du-marche", "--where", "transport=velo"])
    assert view.exit_code == 0, view.output
    assert "Seulement les habitants qui ont répondu « À vélo ou en trottinette » à « Comment venez-vous" in (
        view.stdout
    )
    assert f"{len(cyclists)} habitants ont participé." in view.stdout
    assert "Moins de 5 personnes : masqué" in view.stdout

    table = shell.invoke(app, ["results", "place-du-marche", "--croiser", "frequence", "pietonne"])
    assert table.exit_code == 0, table.output
    assert table.stdout.startswith("Tableau croisé : Réaménagement de la place du marché")
    assert "selon leur réponse à « À quelle fréquence venez-vous sur la place du marché ? »" in table.stdout

    saved = shell.invoke(app, ["results", "place-du-marche", "--where", "pietonne=non", "--output", "v.txt"])
    assert saved.exit_code == 0
    assert "Seulement les habitants qui ont répondu « Non »" in (tmp_path / "v.txt").read_text(
        encoding="utf-8"
    )


def test_a_view_the_shell_cannot_give_is_refused_in_words(shell, tmp_path):
    imported_with_answers(shell, tmp_path, submissions=5)
    for arguments, message in (
        (["--where", "transport=avion"], "« avion » n'est pas une des réponses à « transport »"),
        (["--where", "frequence=daily", "--where", "pietonne=oui"], "Un seul filtre à la fois"),
        (["--cross", "satisfaction", "frequence"], "« satisfaction » n'en est pas une"),
        (["--where", "idees=rien"], "« idees » sont des textes libres"),
        (["--where", "pietonne=oui", "--format", "csv"], "--where et --cross donnent du texte seulement"),
    ):
        refused = shell.invoke(app, ["results", "place-du-marche", *arguments])
        assert refused.exit_code == 2, arguments
        assert message in refused.output, arguments


def test_the_shell_speaks_french_by_default_help_and_mistakes_included(shell, tmp_path):
    upgraded = shell.invoke(app, ["db", "upgrade"])
    assert upgraded.output == "La base de données est à jour.\n"
    imported = shell.invoke(app, ["consultation", "import", str(EXAMPLE)])
    assert imported.output == (
        "« Réaménagement de la place du marché » importée sous l'identifiant place-du-marche. "
        "Lancez-la dans une communauté avec /lancer place-du-marche.\n"
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE.read_text(encoding="utf-8").replace("id: place-du-marche", "id: X"), "utf-8")
    refused = shell.invoke(app, ["consultation", "import", str(broken)])
    assert refused.exit_code == 1
    id_line = broken.read_text(encoding="utf-8").splitlines().index("id: X") + 1
    assert (
        f"ligne {id_line} :" in refused.output
        and "line" not in refused.output
        and "not imported" not in refused.output
    )
    mistyped = shell.invoke(app, ["results", "place-du-marche", "--formt", "csv"])
    assert mistyped.exit_code == 2
    assert "Erreur : Il n'y a pas d'option --formt. Vouliez-vous dire --format ?" in mistyped.output
    missing = shell.invoke(app, ["consultation", "import", str(tmp_path / "nowhere.yaml")])
    assert missing.exit_code == 2 and "nowhere.yaml : ce fichier n'existe pas." in missing.output

    for command in ([], ["results"], ["consultation", "import"], ["outbox"], ["shell"]):
        help_text = shell.invoke(app, [*command, "--help"]).output
        assert help_text.startswith("Utilisation :"), command
        assert "Afficher cette aide et quitter." in help_text
        for raw in ("<", ">", "{", "}", "Show", "Usage", "[default", "[required"):
            assert raw not in help_text, (command, raw)
    results_help = shell.invoke(app, ["results", "--help"]).output
    assert "results [OPTIONS] IDENTIFIANT" in results_help
    assert "--where, --filtre QUESTION=RÉPONSE" in results_help and "(par défaut : text)" in results_help


def test_the_shell_speaks_english_when_configured_so(shell, tmp_path, monkeypatch):
    monkeypatch.setenv("CIVICBOT_DEFAULT_LANGUAGE", "en")
    assert shell.invoke(app, ["db", "upgrade"]).output == "The database is up to date.\n"
    imported = shell.invoke(app, ["consultation", "import", str(EXAMPLE)])
    assert imported.output.startswith("Imported “Redesigning the market square” as place-du-marche.")
    refused = shell.invoke(app, ["results", "place-du-marche", "--where", "pietonne=maybe"])
    assert "“maybe” is not one of the answers to “pietonne”: Yes, No." in refused.output
    help_text = shell.invoke(app, ["results", "--help"]).output
    assert help_text.startswith("Usage:") and "results [OPTIONS] ID" in help_text
    assert "--where, --filtre QUESTION=ANSWER" in help_text and "Show this help and exit." in help_text
    assert "<" not in help_text and "{" not in help_text
