"""What the terminal chat keeps between two runs of `civicbot shell`: each chat's latest message with
buttons, so that `#N` presses them again after a restart, and the next message number, so that a new
message never takes the number of one the engine still points to (a poll card it edits when a vote comes).

It is a small JSON file in the console's own folder (CIVICBOT_FILES_DIR) rather than a table: it is the
terminal's screen, not the bot's data, and a file needs no migration and works the same on SQLite and
PostgreSQL. The file names the database it goes with (by a digest of its URL: no password in it), so the
buttons of another database are never pressed on this one.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from adapters.console.adapter import ConsoleAdapter, ConsoleMessage
from bot.replies import Button

FILENAME = "console-chats.json"


def memory_path(files_dir: Path) -> Path:
    return files_dir / FILENAME


def _database(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def _latest_with_buttons(console: ConsoleAdapter) -> list[ConsoleMessage]:
    kept = []
    for chat, messages in console.chats.items():
        since = console.forgotten.get(chat, 0)
        latest = next((m for m in reversed(messages) if m.buttons and m.id >= since), None)
        if latest is not None:
            kept.append(latest)
    return kept


def _encode(message: ConsoleMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "chat": message.chat,
        "text": message.text,
        "buttons": [[[b.label, b.action] for b in row] for row in message.buttons],
    }


def _decode(data: dict[str, Any]) -> ConsoleMessage:
    buttons = [[Button(str(label), str(action)) for label, action in row] for row in data["buttons"]]
    return ConsoleMessage(int(data["id"]), str(data["chat"]), str(data["text"]), buttons)


def save(path: Path, console: ConsoleAdapter, database_url: str) -> None:
    """Write the file whole, then put it in place: a stop halfway leaves the previous one."""
    document = {
        "database": _database(database_url),
        "next_id": console.next_id,
        "messages": [_encode(m) for m in _latest_with_buttons(console)],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(partial, path)


def load(path: Path, database_url: str) -> tuple[list[ConsoleMessage], int]:
    """The messages kept for this database and the next message number; nothing from a missing or
    unreadable file, or from another database's (the numbers still go on after its: they never collide)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        next_id = int(document["next_id"])
        if document.get("database") != _database(database_url):
            return [], next_id
        return [_decode(m) for m in document["messages"]], next_id
    except (OSError, ValueError, KeyError, TypeError):
        return [], 1
