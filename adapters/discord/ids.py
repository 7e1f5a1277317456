"""Component custom ids: everything a button needs travels in its id, so it works after a restart.

Discord gives a custom id of at most 100 characters and nothing else to a pressed button. The engine's action
ids (signed, at most 64 bytes) fit with a short prefix naming what the component does:

    b:<action>                          an engine button (a vote, a step of a guided flow…)
    a:<kind><max>:<action>:<label>      "Answer": opens a modal asking for typed input
    i:<payload>                         an invitation to a private chat (`/start <payload>` there)
    s:<n>                               a select menu (choices that do not fit as buttons); values are actions
    m:<action>                          a modal; its text input is `answer`
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.replies import AskInput, InputKind

BUTTON, ANSWER, INVITE, MENU, MODAL = "b:", "a:", "i:", "s:", "m:"
ANSWER_INPUT = "answer"
MAX_CUSTOM_ID = 100
MAX_INPUT_LENGTH = 4000  # Discord's limit for a text input
MAX_LABEL = 45  # Discord's limit for a modal title and an input's label

# Templates for discord.py's DynamicItem (matched with fullmatch)
BUTTON_TEMPLATE = r"b:(?P<action>[^\n]{1,97})"
ANSWER_TEMPLATE = r"a:(?P<kind>[tn])(?P<max>\d{4}):(?P<action>[A-Za-z0-9_.-]{1,64}):(?P<label>[^\n]{0,45})"
INVITE_TEMPLATE = r"i:(?P<payload>[A-Za-z0-9_-]{1,64})"
MENU_TEMPLATE = r"s:(?P<index>\d)"
_ANSWER = re.compile(ANSWER_TEMPLATE)


@dataclass(frozen=True, slots=True)
class Prompt:
    """What a modal asking for typed input needs, recoverable from the Answer button's id alone."""

    action: str
    label: str
    kind: InputKind = InputKind.TEXT
    max_length: int = 300
    placeholder: str = ""

    @classmethod
    def of(cls, ask: AskInput) -> Prompt:
        return cls(ask.action, ask.field_label, ask.kind, ask.max_length, ask.placeholder)

    @property
    def custom_id(self) -> str:
        kind = "n" if self.kind is InputKind.NUMBER else "t"
        head = f"{ANSWER}{kind}{min(self.max_length, MAX_INPUT_LENGTH):04d}:{self.action}:"
        room = min(MAX_LABEL, MAX_CUSTOM_ID - len(head))
        return head + self.label.replace("\n", " ")[: max(room, 0)]

    @classmethod
    def parse(cls, kind: str, max_length: str, action: str, label: str) -> Prompt:
        return cls(action, label, InputKind.NUMBER if kind == "n" else InputKind.TEXT, int(max_length))

    @classmethod
    def from_custom_id(cls, custom_id: str) -> Prompt | None:
        match = _ANSWER.fullmatch(custom_id)
        return cls.parse(*match.group("kind", "max", "action", "label")) if match else None


def button_id(action: str) -> str:
    return BUTTON + action


def invite_id(payload: str) -> str:
    return INVITE + payload


def menu_id(index: int) -> str:
    return f"{MENU}{index}"


def modal_id(action: str) -> str:
    return MODAL + action


def action_of(custom_id: str) -> str:
    """The engine action a pressed component stands for. Anything that is not one of ours is handed to the
    engine as it is: it refuses it like any forged id, so the person gets a clear answer."""
    return custom_id[len(BUTTON) :] if custom_id.startswith(BUTTON) else custom_id
