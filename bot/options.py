"""The settings typed before a command's text (`/poll --multi --closes demain 18h Question ? | A | B`,
`/event --reminders 24h,1h Title | …`): each is `--name`, `--name=value` or `--name value`, and may be typed
in several spellings (English and French, with and without accents). The commands' parsers (bot/polls/spec.py,
bot/events/spec.py) read them with `leading`, and name them with `Flags`, which also says how the engine
writes one (a form's values become the line the parser reads: `CommandSpec.from_form`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence


class Flags:
    """A command's settings: each one's name → its spellings, the first being how the engine writes it."""

    def __init__(self, spellings: Mapping[str, Sequence[str]]) -> None:
        self.spellings = spellings
        self._names = {spelling: name for name, typed in spellings.items() for spelling in typed}

    def name_of(self, flag: str) -> str | None:
        """The setting `flag` spells (whatever its case), or None for an unknown one."""
        return self._names.get(flag.lower())

    def written(self, name: str) -> str:
        return self.spellings[name][0]


def leading(words: list[str]) -> Iterator[tuple[str, str]]:
    """Take the `--flag` and `--flag=value` words at the start of `words`, one at a time: (the flag as typed,
    the value after `=` or ""). Between two, the caller may take a flag's value from the front of `words`."""
    while words and words[0].startswith("--"):
        flag, _, inline = words.pop(0).partition("=")
        yield flag, inline
