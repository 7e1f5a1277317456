"""What the engine asks adapters to do: the complete, platform-neutral reply model.

Every adapter renders every kind of reply, so a new capability of the engine needs no adapter work; the
one exception is `CalendarEntry`, which only a platform with a calendar of its own carries out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.formatting import Rich
from bot.inbound import ChatRef, MessageRef


@dataclass(frozen=True, slots=True)
class Button:
    """A choice. `action` is an opaque, signed id of at most 64 bytes (Telegram's callback_data limit)."""

    label: str
    action: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """An image or a file; `alt_text` is what a screen reader or a text-only client gets instead."""

    filename: str
    data: bytes = field(repr=False)
    media_type: str
    alt_text: str

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


Keyboard = tuple[tuple[Button, ...], ...]

INVITE_ACTION = "invite:"
"""A button whose action is this prefix and a deep-link payload is not pressed back to the engine: like an
Invite's button, it opens the presser's private chat with the bot, where they send `/start <payload>`.
It lets an edit keep an invitation's button (`invite_button`)."""


def invite_button(label: str, payload: str) -> Button:
    """The button of an Invite (`payload`: A-Z a-z 0-9 _ -, at most 64 characters), in a keyboard."""
    return Button(label, INVITE_ACTION + payload)


def invite_payload(button: Button) -> str | None:
    """The deep-link payload of an invitation's button; None for an ordinary button."""
    return button.action.removeprefix(INVITE_ACTION) if button.action.startswith(INVITE_ACTION) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    """Post a new message. `track` names it so the engine learns its platform id once delivered
    (a poll card must be edited later)."""

    to: ChatRef
    body: Rich
    buttons: Keyboard = ()
    attachment: Attachment | None = None
    track: str | None = None
    idempotency_key: str | None = None  # the same key twice is one message where the platform can tell
    reply_to: MessageRef | None = None  # an earlier message of the same chat this one points to (a quote)


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit:
    """Replace the text and buttons of an earlier message (an empty keyboard removes the buttons)."""

    target: MessageRef
    body: Rich
    buttons: Keyboard = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """The short acknowledgement of the button press being handled (a Telegram toast, a Discord
    ephemeral message). `alert` asks for something the person must dismiss."""

    text: str
    alert: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Invite:
    """Ask a resident, in `to`, to open a private chat with the bot. `payload` is what the bot receives
    as `/start payload` when they do (A-Z a-z 0-9 _ -, at most 64 characters). `track` names it as a
    Send's does (an invitation card edited when what it says changes)."""

    to: ChatRef
    body: Rich
    label: str
    payload: str
    track: str | None = None


class InputKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"


@dataclass(frozen=True, slots=True, kw_only=True)
class AskInput:
    """Ask for typed input: a prompt in chat, a ForceReply in a Telegram group, a modal on Discord.
    The answer comes back as a `TypedAnswer` carrying `action` (or as plain text in that chat)."""

    to: ChatRef
    prompt: Rich
    field_label: str
    action: str
    kind: InputKind = InputKind.TEXT
    max_length: int = 300
    placeholder: str = ""
    buttons: Keyboard = ()  # other ways out shown with the prompt (go back, skip)
    multiline: bool = False  # the prompt asks for several lines: a platform where a new line is not obvious
    # to type (the terminal) says how


@dataclass(frozen=True, slots=True, kw_only=True)
class Forgotten:
    """The person of this private chat was just forgotten (/forget): an adapter drops whatever it keeps of
    them outside the database (the terminal chat's saved buttons and files). Platforms keep nothing: they
    ignore it."""

    to: ChatRef


@dataclass(frozen=True, slots=True, kw_only=True)
class Refresh:
    """Live content changed (a poll's tally): the runtime coalesces these per key and asks the engine
    for the current edits, at most once per interval per key."""

    key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarEntry:
    """Mirror an event in the platform's own calendar, where it has one and the bot may write to it
    (Discord's scheduled events, with the Manage Events permission); other platforms ignore it. With
    `native_id` the entry is updated or cancelled; without it, or when the platform lost it, one is
    created, and its id comes back through `track` as a tracked Send's does."""

    community: ChatRef
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    description: str = ""
    cancelled: bool = False
    native_id: str | None = None
    track: str | None = None


Reply = Send | Edit | Notice | Invite | AskInput | Refresh | CalendarEntry | Forgotten


class DeliveryError(Exception):
    """An adapter could not deliver a reply. Permanent failures (blocked bot, DMs closed, chat gone)
    are not retried and mark the recipient unreachable; transient ones may be retried."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after  # seconds the platform asked us to wait (a 429), if it said
