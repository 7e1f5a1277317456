"""`civicbot shell`: the console adapter in a terminal, interactive or fed by a file of lines.

Every line typed gets an answer: the bot's, or a word of the shell's own saying why there is none and what
to do. The shell speaks the language the bot speaks to the person typing (French unless they chose
otherwise), lists its own commands at start and after the bot's /help, and keeps each chat's latest buttons
for the next run (adapters/console/memory.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path

from adapters.console import memory
from adapters.console.adapter import SQUARE, ConsoleAdapter, ConsoleMessage
from bot.app import App
from bot.clock import ShiftedClock
from bot.i18n import Translator, translator
from bot.inbound import parse_command
from config.settings import Settings

QUIT = ("/quit", "/quitter", "/exit")
PRIVATE = ("private", "privé", "prive", "privée", "privee")
GROUP = ("group", "groupe", "square", "place")
CONTINUED = "\\"  # a line ending with it goes on with the next one, in the same message
CONTINUATION_PROMPT = "… "
IDLE_POLL = 1.0  # seconds between two looks at the outbox while nobody types


def _read(prompt: str, interactive: bool) -> str | None:
    try:
        line = input(prompt) if interactive else sys.stdin.readline()
    except EOFError:
        return None
    return line.rstrip("\r\n") if line or interactive else None


def _existing_file(name: str) -> Path | None:
    path = Path(name).expanduser()
    return path if path.is_file() else None


class Shell:
    """Who is typing, in which chat, and what the terminal prints."""

    def __init__(self, app: App, console: ConsoleAdapter, person: str, *, interactive: bool) -> None:
        self.app = app
        self.console = console
        self.person = person
        self.chat = SQUARE
        self.interactive = interactive
        self.shown = 0  # messages and toasts printed: a line that printed none gets a word of explanation
        self.delivering = asyncio.Lock()  # the outbox is drained by one at a time: a line, or the idle loop

    @property
    def t(self) -> Translator:
        return translator(self.console.language(self.person, self.chat))

    def label(self, chat: str) -> str:
        if chat == SQUARE:
            return self.t._("town square")
        return self.t._("private chat with {name}", name=chat[1:])

    def prompt(self) -> str:
        return f"{self.person} @ {self.label(self.chat)} > "

    # -- printing ------------------------------------------------------------------------------------------

    def show(self, message: ConsoleMessage, how: str) -> None:
        """A message or a toast from the bot (the console adapter's `on_change`)."""
        self.shown += 1
        if how == "toast":
            print(f"  ({message.text})")
            return
        t = self.t
        edited = " " + t._("(edited)") if how == "edited" else ""
        lines = [f"┌ {self.label(message.chat)} — civicbot{edited}"]
        if message.quote is not None:
            lines.append(f"│ ↪ « {message.quote} »")
        lines += [f"│ {line}" for line in message.text.splitlines() or [""]]
        file = t._("[file]")
        lines += [f"│ {file} {path}" for path in message.files]
        numbered = [f"[{n}] {label}" for n, label in enumerate(message.labels, start=1)]
        lines.append("└ " + "  ".join(numbered))
        print("\n".join(f"  {line}".rstrip() for line in lines))

    def say(self, text: str) -> None:
        """A word of the shell's own (not the bot's): it answers the line as well."""
        self.shown += 1
        print(f"  ({text})")

    def help(self) -> None:
        """The shell's own commands (the bot's are its /help)."""
        t = self.t
        rows = (
            ("#N", t._("press button N of the latest message with buttons in this chat")),
            ("/in private", t._("go to your private chat with the bot")),
            ("/in group", t._("back to the town square")),
            (t._("/as NAME"), t._("speak as someone else (alice, an organizer, by default)")),
            (t._("/upload PATH"), t._("send a file to the bot in your private chat")),
            ("… \\", t._("a line ending with \\ goes on with the next one, in the same message")),
            ("/quit", t._("leave the terminal chat (Ctrl-D too)")),
        )
        width = max(len(syntax) for syntax, _ in rows)
        print(t._("civicbot's terminal chat: you are {person}, on the town square.", person=self.person))
        print(t._("A line is a message or a command, as in any chat; /help lists the bot's commands."))
        print("\n".join(f"  {syntax.ljust(width)}  {meaning}" for syntax, meaning in rows))

    def show_kept(self) -> None:
        """At start: the buttons kept from the last run in this chat, which `#N` presses."""
        kept = next((m for m in reversed(self.console.chats.get(self.chat, [])) if m.buttons), None)
        if kept is not None:
            self.say(self.t._("The latest buttons of each chat are kept from last time: #N presses them"))
            self.show(kept, "new")

    # -- reading -------------------------------------------------------------------------------------------

    async def next_message(self) -> str | None:
        """What the person typed: a line, joined with the next ones while each ends with a backslash;
        blank lines and comments (`# `) of a script are skipped. None at the end of the input."""
        loop = asyncio.get_running_loop()
        lines: list[str] = []
        prompt = self.prompt()
        while True:
            raw = await loop.run_in_executor(None, _read, prompt, self.interactive)
            if raw is None:
                return "\n".join(lines) if lines else None
            line = raw.strip()
            if not lines and (not line or line.startswith("# ")):
                continue
            if not self.interactive:
                print(f"{prompt}{line}")
            if not line.endswith(CONTINUED):
                return "\n".join([*lines, line])
            lines.append(line[: -len(CONTINUED)].rstrip())
            prompt = CONTINUATION_PROMPT

    # -- delivering ----------------------------------------------------------------------------------------

    async def carry_out(self, line: str) -> None:
        """Act, then wait until what the line caused has reached the chats: the replies and edits first,
        then the outbox's messages (a poll's closing announcement). The outbox waits meanwhile, so the
        next line is read after them all and a script prints the same thing every time."""
        async with self.delivering:
            await self._act(line)
            await self.app.runtime.settle()
            await self.app.dispatcher.drain()

    async def deliver_while_waiting(self, stop: asyncio.Event) -> None:
        """The outbox's dispatcher, in turn with the lines: what falls due while nobody types (a reminder,
        a deadline's announcement) shows too."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), IDLE_POLL)
            async with self.delivering:
                await self.app.dispatcher.drain()

    # -- acting --------------------------------------------------------------------------------------------

    async def handle(self, line: str) -> None:
        """Carry out one message: a command of the shell's, or what the person does in the chat."""
        if self._switch(line):
            return
        before = self.shown
        await self.carry_out(line)
        command = parse_command(line)
        spec = self.app.engine.registry.command(command[0]) if command else None
        if spec is not None and spec.name == "help":
            self.help()
        elif self.shown == before:
            self._explain_silence(line)

    def _switch(self, line: str) -> bool:
        """`/as NAME` (who types) and `/in private|group` (where); True when the line was one of them."""
        word, _, rest = line.partition(" ")
        rest = rest.strip().lower()
        if word == "/as":
            if not rest:
                self.say(self.t._("/as NAME speaks as someone else, for example /as bob"))
            else:
                self.person = rest
                if self.chat != SQUARE:
                    self.chat = f"@{rest}"  # (one's own private chat: nobody types in someone else's)
            return True
        if word == "/in":
            if rest in PRIVATE:
                self.chat = f"@{self.person}"
            elif rest in GROUP:
                self.chat = SQUARE
            else:
                self.say(self.t._("/in private: your private chat with the bot; /in group: the town square"))
            return True
        return False

    async def _act(self, line: str) -> None:
        """Upload a file, press a button (`#2`) or type."""
        if line.startswith("/upload "):
            name = line[8:].strip()
            path = await asyncio.to_thread(_existing_file, name)
            if path is None:
                self.say(self.t._("No file {path}", path=name))
                return
            await self.console.upload_file(self.person, f"@{self.person}", path)
        elif line.startswith("#") and line[1:].isdigit():
            await self._press(int(line[1:]))
        else:
            await self.console.type(self.person, self.chat, line)

    async def _press(self, number: int) -> None:
        t = self.t
        for message in reversed(self.console.chats.get(self.chat, [])):
            buttons = [b for row in message.buttons for b in row]
            if not buttons:
                continue
            if not 1 <= number <= len(buttons):
                self.say(
                    t.n_(
                        "No button {number}: the latest message with buttons has {count} button",
                        "No button {number}: the latest message with buttons has {count} buttons",
                        len(buttons),
                        number=number,
                    )
                )
                return
            chat = await self.console.press(self.person, self.chat, message, buttons[number - 1])
            if chat != self.chat:
                self.chat = chat
                self.say(
                    self.t._(
                        "You are now in your private chat with the bot, where this goes on; "
                        "/in group takes you back to the town square"
                    )
                )
            return
        self.say(t._("No message with buttons in this chat yet"))

    def _explain_silence(self, line: str) -> None:
        t = self.t
        if self.chat == SQUARE and parse_command(line) is None:
            self.say(
                t._(
                    "In a community the bot answers commands only, such as /help; "
                    "to write to it, go to your private chat: /in private"
                )
            )
        else:
            self.say(t._("No answer from the bot"))


async def run_shell(settings: Settings, *, first_person: str = "alice") -> None:
    if not any(a.startswith("console:") for a in settings.admins):
        settings.admins.append("console:alice")
        settings.__dict__.pop("admin_identities", None)
    clock = ShiftedClock(settings.shell_clock) if settings.shell_clock is not None else None
    app = App.build(settings, clock=clock, edit_interval=0)
    await app.start(dispatcher=False)  # the shell drains the outbox itself, in turn with the lines
    console = ConsoleAdapter(app.runtime, files_dir=Path(settings.files_dir), admins={SQUARE: {"alice"}})
    shell = Shell(app, console, first_person.lower(), interactive=sys.stdin.isatty())
    console.on_change = shell.show
    kept = memory.memory_path(Path(settings.files_dir))
    console.restore(*await asyncio.to_thread(memory.load, kept, settings.database_url))
    shell.help()
    shell.show_kept()
    stop = asyncio.Event()
    idle = asyncio.create_task(shell.deliver_while_waiting(stop))
    try:
        while (line := await shell.next_message()) is not None:
            if line.strip().lower() in QUIT:
                break
            await shell.handle(line)
            await asyncio.to_thread(memory.save, kept, console, settings.database_url)
    finally:
        stop.set()
        await idle
        await app.stop()
        await asyncio.to_thread(memory.save, kept, console, settings.database_url)
