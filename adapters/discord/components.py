"""Buttons, select menus and modals: the engine's keyboards laid out within Discord's limits, and the
persistent `DynamicItem`s that answer them.

Every component is a `DynamicItem` registered at start: discord.py matches a pressed component's custom id
against their templates, so buttons posted before a restart (or by another process) keep working, and no
view is kept in memory per message. Each item only hands the press to the router (`Router.component`); the
routing itself lives in one place, also used for the presses no item takes (see `claimed_by_item`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, cast

import discord

from adapters.discord import ids
from bot.i18n import translator
from bot.replies import Button, InputKind, Keyboard, invite_payload

MAX_ROWS = 5  # action rows per message
MAX_PER_ROW = 5  # buttons per action row
MAX_OPTIONS = 25  # options per select menu
MAX_BUTTON_LABEL = 80
MAX_OPTION_LABEL = 100


class Router(Protocol):
    async def component(
        self, interaction: discord.Interaction, custom_id: str, values: Sequence[str]
    ) -> None:
        """A button was pressed or a menu choice made."""


class _Routed(Protocol):
    router: Router


def _router(interaction: discord.Interaction) -> Router:
    # (CivicClient sets it; discord.py types the client as its base class)
    return cast(_Routed, interaction.client).router


def _label(item: discord.ui.Item[Any]) -> str:
    """The label of the pressed button discord.py rebuilt from the message (its base type is `Item`)."""
    return (item.label if isinstance(item, discord.ui.Button) else None) or "…"


def _values(interaction: discord.Interaction) -> list[str]:
    data: Any = interaction.data or {}
    return [str(v) for v in data.get("values") or []]


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ids.BUTTON_TEMPLATE):
    """An engine button: its custom id carries the engine's signed action id."""

    def __init__(self, action: str, label: str = "…", *, row: int | None = None) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label[:MAX_BUTTON_LABEL] or "…",
            custom_id=ids.button_id(action),
            style=discord.ButtonStyle.secondary,
        )
        super().__init__(button, row=row)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        return cls(match["action"], _label(item))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _router(interaction).component(interaction, self.custom_id, ())


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ids.ANSWER_TEMPLATE):
    """ "Answer": opens the modal for a request of typed input (a modal can only open on an interaction)."""

    def __init__(self, prompt: ids.Prompt, label: str) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, custom_id=prompt.custom_id, style=discord.ButtonStyle.primary, emoji="✏️"
        )
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AnswerButton:
        prompt = ids.Prompt.parse(match["kind"], match["max"], match["action"], match["label"])
        return cls(prompt, _label(item))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _router(interaction).component(interaction, self.custom_id, ())


class InviteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ids.INVITE_TEMPLATE):
    """An invitation to the private chat: pressing it opens the presser's DM and runs `/start <payload>`."""

    def __init__(self, payload: str, label: str, *, row: int | None = None) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label[:MAX_BUTTON_LABEL] or "…",
            custom_id=ids.invite_id(payload),
            style=discord.ButtonStyle.primary,
        )
        super().__init__(button, row=row)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> InviteButton:
        return cls(match["payload"], _label(item))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _router(interaction).component(interaction, self.custom_id, ())


class ChoiceMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=ids.MENU_TEMPLATE):
    """Choices that do not fit as buttons: each option's value is an engine action."""

    def __init__(
        self, index: int, choices: Sequence[Button] = (), placeholder: str = "…", *, row: int | None = None
    ) -> None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=ids.menu_id(index),
            placeholder=placeholder,
            options=[
                discord.SelectOption(label=b.label[:MAX_OPTION_LABEL] or "…", value=b.action) for b in choices
            ]
            or [discord.SelectOption(label="…", value="…")],
        )
        super().__init__(select, row=index if row is None else row)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ChoiceMenu:
        return cls(int(match["index"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _router(interaction).component(interaction, self.custom_id, _values(interaction))


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    ActionButton,
    AnswerButton,
    InviteButton,
    ChoiceMenu,
)


def _walk(components: Sequence[Any]) -> Iterator[Any]:
    for component in components:
        yield component
        yield from _walk(getattr(component, "children", ()))


def claimed_by_item(interaction: discord.Interaction) -> bool:
    """Whether discord.py will hand this component interaction to one of the dynamic items: its custom id
    matches a template and the message really carries that component. Presses that fail either test (a
    forged id, a button since removed from a closed poll) reach no item, so the router answers them itself:
    no interaction is left to fail."""
    data: Any = interaction.data or {}
    custom_id, kind = data.get("custom_id"), data.get("component_type")
    if not isinstance(custom_id, str) or interaction.message is None:
        return False
    if not any(item.__discord_ui_compiled_template__.fullmatch(custom_id) for item in DYNAMIC_ITEMS):
        return False
    return any(
        getattr(c, "custom_id", None) == custom_id and c.type.value == kind
        for c in _walk(interaction.message.components)
    )


# -- the engine's keyboards, laid out ------------------------------------------------------------------


def _balanced(buttons: list[Button]) -> list[list[Button]]:
    """Buttons in as few rows as Discord allows, as even as possible (12 options: 4 + 4 + 4)."""
    if not buttons:
        return []
    rows = -(-len(buttons) // MAX_PER_ROW)
    width = -(-len(buttons) // rows)
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def reflow(keyboard: Keyboard, max_rows: int = MAX_ROWS) -> list[list[Button]] | None:
    """The keyboard as at most `max_rows` rows of at most 5 buttons, or None when it needs select menus. The
    engine's rows are kept when they fit; a run of one-button rows (a poll's options) is packed into shared
    rows, and a keyboard that still does not fit is packed whole."""
    rows = [list(row) for row in keyboard if row]
    if len(rows) <= max_rows and all(len(row) <= MAX_PER_ROW for row in rows):
        return rows
    packed: list[list[Button]] = []
    singles: list[Button] = []
    for row in [*rows, []]:
        if len(row) == 1:
            singles.append(row[0])
            continue
        packed.extend(_balanced(singles))
        singles = []
        packed.extend(_balanced(row))
    if len(packed) <= max_rows:
        return packed
    flat = [button for row in rows for button in row]
    return _balanced(flat) if len(flat) <= max_rows * MAX_PER_ROW else None


def keyboard_view(
    keyboard: Keyboard, language: str, *, lead: discord.ui.Item[Any] | None = None
) -> discord.ui.View | None:
    """A view for an engine keyboard: buttons when they fit in 5 rows of 5, else select menus of 25.
    `lead` (an Answer button) takes the first row of its own."""
    if not any(keyboard) and lead is None:
        return None
    view = discord.ui.View(timeout=None)
    first = 0
    if lead is not None:
        lead.row = 0
        view.add_item(lead)
        first = 1
    rows = reflow(keyboard, MAX_ROWS - first)
    if rows is not None:
        for index, row in enumerate(rows, start=first):
            for button in row:
                view.add_item(_item(button, index))
        return view
    flat = [button for row in keyboard for button in row]
    chunks = [flat[i : i + MAX_OPTIONS] for i in range(0, len(flat), MAX_OPTIONS)][: MAX_ROWS - first]
    for index, chunk in enumerate(chunks):
        view.add_item(ChoiceMenu(index, chunk, translator(language)._("Choose…"), row=first + index))
    return view


def _item(button: Button, row: int) -> discord.ui.Item[Any]:
    """An engine button, or an invitation's button (`bot.replies.invite_button`) kept by an edit."""
    payload = invite_payload(button)
    if payload is not None:
        return InviteButton(payload, button.label, row=row)
    return ActionButton(button.action, button.label, row=row)


def single_button_view(item: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(item)
    return view


# -- modals ---------------------------------------------------------------------------------------------


def answer_modal(prompt: ids.Prompt, language: str) -> discord.ui.Modal:
    """The modal asking for typed input. It is stopped before it is sent, so discord.py keeps nothing: its
    submit is routed from the custom id alone (`m:<action>`), even after a restart."""
    field: discord.ui.TextInput[Any] = discord.ui.TextInput(
        custom_id=ids.ANSWER_INPUT,
        style=discord.TextStyle.paragraph
        if prompt.kind is InputKind.TEXT and prompt.max_length > 100
        else discord.TextStyle.short,
        max_length=max(1, min(prompt.max_length, ids.MAX_INPUT_LENGTH)),
        placeholder=prompt.placeholder[:100] or None,
        required=True,
    )
    t = translator(language)
    modal = discord.ui.Modal(title=t._("Your answer")[: ids.MAX_LABEL], custom_id=ids.modal_id(prompt.action))
    modal.add_item(discord.ui.Label(text=(prompt.label or t._("Answer"))[: ids.MAX_LABEL], component=field))
    modal.stop()
    return modal


def submitted_text(data: Any) -> str:
    """The text typed in a submitted modal (its `answer` input, wherever the layout put it)."""
    stack = list((data or {}).get("components") or [])
    while stack:
        component = stack.pop(0)
        if not isinstance(component, dict):
            continue
        if component.get("custom_id") == ids.ANSWER_INPUT and "value" in component:
            return str(component.get("value") or "")
        stack.extend(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            stack.append(component["component"])
    return ""
