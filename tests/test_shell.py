"""The terminal chat (`civicbot shell`) as a new organizer meets it: it says how it works, in their language,
keeps its buttons from one run to the next, follows them into their private chat, takes a message of
several lines, answers every line, and prints what the README shows.

Most tests play a script through the shell's own loop in this process (its input a file of lines, as
`civicbot shell < script` reads it); the README's transcript is replayed by the real command."""

from __future__ import annotations

import asyncio
import io
import json
import re
import sys
from pathlib import Path

import pytest

from adapters.console.shell import run_shell
from config.settings import Settings
from tests.test_shutdown import ROOT, civicbot, environment

CLOCK = "2026-12-03T10:00:00+01:00"  # a Thursday, as the README's transcript


def settings(folder: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite+aiosqlite:///{folder / 'civicbot.db'}",
        "files_dir": str(folder / "files"),
        "key_dir": folder / "keys",
        "shell_clock": CLOCK,
        **extra,
    }
    return Settings.model_validate(values)


async def play(folder: Path, script: str, monkeypatch: pytest.MonkeyPatch, capsys, **extra: object) -> str:
    """What the shell prints for `script`, fed as piped input."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(script))
    async with asyncio.timeout(60):
        await run_shell(settings(folder, **extra))
    return capsys.readouterr().out


async def test_buttons_shown_before_a_restart_are_pressed_with_hash_n_after_it(tmp_path, monkeypatch, capsys):
    await play(tmp_path, "/poll Un composteur dans la cour ? | Oui | Non\n", monkeypatch, capsys)
    shown = await play(tmp_path, "/as bob\n#1\n", monkeypatch, capsys)
    assert "gardés de la dernière fois : #N appuie dessus" in shown
    assert "└ [1] Oui  [2] Non" in shown, "the kept buttons are shown at start"
    assert "(Vote enregistré : Oui)" in shown
    assert "place du village — civicbot (modifié)\n  │ Un composteur dans la cour ?" in shown, (
        "the vote edits the card kept from the first run: new messages did not take its number"
    )


async def test_the_button_that_opens_the_private_chat_takes_the_shell_there(tmp_path, monkeypatch, capsys):
    shown = await play(tmp_path, "/sondage\n#1\nQuel jour pour la brocante ?\n", monkeypatch, capsys)
    assert "Vous voici dans votre conversation privée avec le bot" in shown
    assert "alice @ conversation privée avec alice > Quel jour pour la brocante ?" in shown
    assert "Étape 2 sur 4" in shown, "the answer typed next reaches the guided poll"


async def test_a_line_the_bot_does_not_answer_gets_a_word_of_explanation(tmp_path, monkeypatch, capsys):
    shown = await play(tmp_path, "bonjour\n/in nowhere\n/as\n#4\n", monkeypatch, capsys)
    lines = shown.splitlines()
    after = {
        typed: lines[lines.index(f"alice @ place du village > {typed}") + 1] for typed in ("bonjour", "/as")
    }
    assert "le bot ne répond qu'aux commandes, comme /aide ; pour lui écrire" in after["bonjour"]
    assert "/as NOM parle au nom de quelqu'un d'autre" in after["/as"]
    assert "(/in private : votre conversation privée avec le bot ; /in group : la place du village)" in shown
    assert "(Pas encore de message à boutons dans cette discussion)" in shown


async def test_a_message_of_several_lines_is_typed_with_a_backslash_at_the_end_of_each_line_but_the_last(
    tmp_path, monkeypatch, capsys
):
    script = "/in private\n/sondage\nQuelle couleur pour les bancs ?\nRouge \\\n  Vert\\\nBleu\n"
    shown = await play(tmp_path, script, monkeypatch, capsys)
    assert "terminez une ligne par \\ pour continuer le même message sur la ligne suivante" in shown, (
        "the prompt asking for one option per line says how, in the terminal"
    )
    assert "… Vert\\\n… Bleu\n" in shown
    assert "• Rouge\n  │ • Vert\n  │ • Bleu" in shown
    assert "au moins 2 options" not in shown


async def test_the_shell_lists_its_own_commands_at_start_and_after_help_in_the_person_s_language(
    tmp_path, tmp_path_factory, monkeypatch, capsys
):
    shown = await play(tmp_path, "/aide\n", monkeypatch, capsys)
    assert shown.startswith("Terminal de civicbot : vous êtes alice, sur la place du village.")
    for command in ("#N ", "/in private ", "/as NOM ", "/upload CHEMIN ", "/quit "):
        assert shown.count(f"\n  {command}") == 2, command
    english = await play(
        tmp_path_factory.mktemp("en"), "/quit\nbonjour\n", monkeypatch, capsys, default_language="en"
    )
    assert english.startswith("civicbot's terminal chat: you are alice, on the town square.")
    assert "  /quit         leave the terminal chat" in english
    assert "bonjour" not in english, "/quit leaves"


# -- the README's transcript ----------------------------------------------------------------------------

README = ROOT / "README.md"


def readme_transcript() -> tuple[str, str, str]:
    """The README's demo: (its clock, its script, its output with `…` lines for lines left out)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## What it looks like") :]
    command = re.search(r"`CIVICBOT_SHELL_CLOCK=(\S+) civicbot shell < (\S+)`", section)
    assert command, "the README says which command prints its transcript"
    block = re.search(r"\n```\n(.*?\n)```\n", section, re.DOTALL)
    assert block
    return command[1], command[2], block[1]


def pattern_of(transcript: str) -> re.Pattern[str]:
    """Each line as printed; a line `…` (or `│ …` inside a message) stands for any lines, none included."""
    parts = []
    for line in transcript.splitlines():
        if line.strip() in ("…", "│ …"):
            parts.append(r"(?:.*\n)*?")
        else:
            parts.append(re.escape(line) + r"\n")
    return re.compile("".join(parts))


@pytest.mark.timeout(90)  # a process of its own starts on a machine busy with the rest of the suite
async def test_the_readme_transcript_is_what_the_terminal_chat_prints(tmp_path: Path) -> None:
    clock, script, transcript = readme_transcript()
    env = environment(tmp_path, CIVICBOT_SHELL_CLOCK=clock)
    pipe = asyncio.subprocess.PIPE
    async with civicbot("shell", tmp_path, env, stdin=pipe, stdout=pipe) as process:
        async with asyncio.timeout(60):
            out, errors = await process.communicate((ROOT / script).read_bytes())
    assert process.returncode == 0, errors.decode()
    printed = out.decode()
    assert pattern_of(transcript).fullmatch(printed), (
        f"the README's transcript differs from what the shell prints; it prints:\n{printed}"
    )


async def test_forget_also_erases_what_the_terminal_kept_of_the_person(tmp_path, monkeypatch, capsys):
    """/forget reaches beyond the database: the calendar file the terminal saved for the person and the
    buttons of their private chat kept for the next run are gone; the town square's card stays."""
    script = "/evenement Fête | demain 19h | Mairie\n#1\n/in private\n/agenda\n/oublier\n"
    await play(tmp_path, script, monkeypatch, capsys)
    files = tmp_path / "files"
    assert [path.name for path in files.rglob("*.ics")] == ["2-calendar.ics"]
    kept = json.loads((files / "console-chats.json").read_text(encoding="utf-8"))
    assert {message["chat"] for message in kept["messages"]} == {"square", "@alice"}

    await play(tmp_path, "/in private\n#1\n", monkeypatch, capsys)
    assert list(files.rglob("*.ics")) == []
    kept = json.loads((files / "console-chats.json").read_text(encoding="utf-8"))
    assert {message["chat"] for message in kept["messages"]} == {"square"}
