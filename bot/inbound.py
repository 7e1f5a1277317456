"""What adapters tell the engine: one event per thing a person did, in platform-neutral terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.text import clean_name


class ChatKind(StrEnum):
    PRIVATE = "private"
    COMMUNITY = "community"


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where something is said. A private chat is addressed by the resident's own platform user id,
    so the engine can write to a resident without knowing the platform's DM channel id."""

    platform: str
    chat_id: str
    kind: ChatKind = ChatKind.COMMUNITY

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.kind.value[0]}:{self.chat_id}"

    @classmethod
    def private(cls, platform: str, user_id: str) -> ChatRef:
        return cls(platform, user_id, ChatKind.PRIVATE)

    @property
    def is_private(self) -> bool:
        return self.kind is ChatKind.PRIVATE


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message the bot posted, so it can be edited later."""

    chat: ChatRef
    message_id: str


@dataclass(frozen=True, slots=True)
class Person:
    platform: str
    user_id: str
    display_name: str
    language: str | None = None  # the platform's hint, e.g. "fr", "en-US"

    def __post_init__(self) -> None:
        """A name is shown to others (public votes, organizers' lists): cleaned once, here, whatever the
        platform (no invisible or bidi characters, no control characters a database would refuse)."""
        object.__setattr__(self, "display_name", clean_name(self.display_name))

    @property
    def identity(self) -> str:
        """`platform:user_id`, the form used by CIVICBOT_ADMINS and the anonymity HMAC."""
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Inbound:
    sender: Person
    chat: ChatRef
    chat_title: str | None = None
    sender_is_admin: bool = False  # the platform says the sender administers this community
    origin: object = field(default=None, compare=False, repr=False)  # the platform's own object, opaque here

    def __post_init__(self) -> None:
        if self.chat_title is not None:
            object.__setattr__(self, "chat_title", clean_name(self.chat_title))


@dataclass(frozen=True, slots=True, kw_only=True)
class TextMessage(Inbound):
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Command(Inbound):
    name: str  # without the slash, lower case
    args: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPress(Inbound):
    action: str  # the opaque action id the engine put on the button
    message: MessageRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TypedAnswer(Inbound):
    """Text typed in answer to an `AskInput` (a reply to a prompt, or a Discord modal)."""

    action: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FileUpload(Inbound):
    filename: str
    data: bytes = field(repr=False)
    media_type: str = "application/octet-stream"
    caption: str = ""
    too_large: bool = False  # over bot.uploads.MAX_UPLOAD_BYTES: the adapter did not read it (data is empty)


def parse_command(text: str) -> tuple[str, str] | None:
    """Split `/name@bot args` into (name, args); None when the text is not a command."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, args = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if not name or not all(c.isalnum() or c == "_" for c in name):
        return None
    return name, args.strip()
