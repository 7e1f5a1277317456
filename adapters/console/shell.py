"""`civicbot shell`: the console adapter in a terminal, interactive or fed by a file of lines.

/as NAME         speak as someone else (alice, a console organizer, by default)
/in private      switch to your private chat with the bot;  /in group  back to the town square
#N               press button N of the latest message with buttons in this chat
/upload PATH     send a file to the bot in your private chat (a consultation .yaml, for example)
anything else    a message or a command, as in any chat
"""

from __future__ import annotations

import asyncio
import functools
import sys
from pathlib import Path

from adapters.console.adapter import SQUARE, ConsoleAdapter, ConsoleMessage
from bot.app import App
from config.settings import Settings

HELP = __doc__ or ""


def _label(chat: str) -> str:
    return "town square" if chat == SQUARE else f"private chat with {chat[1:]}"


def _print_message(message: ConsoleMessage, how: str) -> None:
    if how == "toast":
        print(f"  ({message.text})")
        return
    header = f"  ┌ {_label(message.chat)} — civicbot" + (" (edited)" if how == "edited" else "")
    print(header)
    if message.quote is not None:
        print(f"  │ ↪ « {message.quote} »")
    for line in message.text.splitlines() or [""]:
        print(f"  │ {line}")
    for path in message.files:
        print(f"  │ [file] {path}")
    if message.buttons:
        numbered, n = [], 1
        for row in message.buttons:
            for button in row:
                numbered.append(f"[{n}] {button.label}")
                n += 1
        print("  └ " + "  ".join(numbered))
    else:
        print("  └")


async def run_shell(settings: Settings, *, first_person: str = "alice") -> None:
    if not any(a.startswith("console:") for a in settings.admins):
        settings.admins.append("console:alice")
        settings.__dict__.pop("admin_identities", None)
    app = App.build(settings, edit_interval=0)
    await app.start()
    console = ConsoleAdapter(
        app.runtime, files_dir=Path(settings.files_dir), admins={SQUARE: {"alice"}}, on_change=_print_message
    )
    person, chat = first_person, SQUARE
    interactive = sys.stdin.isatty()
    if interactive:
        print(HELP)
    loop = asyncio.get_running_loop()
    try:
        while True:
            prompt = f"{person} @ {_label(chat)} > "
            line = await loop.run_in_executor(None, functools.partial(_read, prompt, interactive))
            if line is None:
                break
            line = line.strip()
            if not line or line.startswith("# "):
                continue
            if not interactive:
                print(f"{prompt}{line}")
            if line in ("/quit", "/exit"):
                break
            switched = _switch(line, person, chat)
            if switched is not None:
                person, chat = switched
                continue
            chat = await _act(console, person, chat, line)
            await app.runtime.settle()
    finally:
        await app.stop()


def _switch(line: str, person: str, chat: str) -> tuple[str, str] | None:
    """`/as NAME` (who types) and `/in private|square` (where): the new (person, chat), or None."""
    if line.startswith("/as "):
        return line[4:].strip().lower() or person, chat
    if line.startswith("/in "):
        where = line[4:].strip().lower()
        return person, f"@{person}" if where in ("private", "privé", "prive") else SQUARE
    return None


async def _act(console: ConsoleAdapter, person: str, chat: str, line: str) -> str:
    """What `person` does in `chat`: upload a file, press a button (`#2`) or type; returns the chat it was
    in (typing in someone else's private chat is typing in one's own)."""
    if line.startswith("/upload "):
        path = await asyncio.to_thread(_existing_file, line[8:].strip())
        if path is None:
            print(f"  (no file {line[8:].strip()})")
            return chat
        await console.upload_file(person, f"@{person}", path)
    elif line.startswith("#") and line[1:].isdigit():
        await _press(console, person, chat, int(line[1:]))
    else:
        if chat.startswith("@") and chat[1:] != person:
            chat = f"@{person}"
        await console.type(person, chat, line)
    return chat


async def _press(console: ConsoleAdapter, person: str, chat: str, number: int) -> None:
    for message in reversed(console.chats.get(chat, [])):
        buttons = [b for row in message.buttons for b in row]
        if buttons:
            if 1 <= number <= len(buttons):
                await console.press(person, chat, message, buttons[number - 1])
            else:
                print(f"  (no button {number} on the latest message with buttons)")
            return
    print("  (no message with buttons in this chat)")


def _existing_file(name: str) -> Path | None:
    path = Path(name).expanduser()
    return path if path.is_file() else None


def _read(prompt: str, interactive: bool) -> str | None:
    try:
        return input(prompt) if interactive else sys.stdin.readline() or None
    except EOFError:
        return None
