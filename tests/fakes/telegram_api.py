"""An in-process fake of the Telegram Bot API, served over real HTTP on 127.0.0.1.

Why: the Telegram adapter must be tested (and benchmarked) against the *real*
python-telegram-bot stack - ``HTTPXRequest``, ``Updater`` long polling, the webhook
server, error mapping - without any traffic leaving loopback.  Mocking ``Bot`` methods
would skip exactly the layers that break in production (form encoding, JSON-encoded
nested fields, multipart uploads, error descriptions, ``retry_after`` handling).

Usage::

    async with FakeTelegramServer() as tg:
        tg.start_private(42, "Alice")
        app = (
            ApplicationBuilder()
            .token(tg.token)
            .base_url(tg.base_url)
            .base_file_url(tg.base_file_url)
            .build()
        )
        ...
        tg.send_text(42, 42, "/start")
        await tg.wait_until(lambda: tg.messages(42))

The server validates like the real Bot API (HTML/MarkdownV2 entity parsing, text and
caption lengths, inline keyboards, chat/blocked/not-started checks, "message is not
modified") and answers with the real error descriptions, so a test that passes here
exercises the same error paths as production.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import math
import re
import struct
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

__all__ = [
    "ApiError",
    "Call",
    "FakeChat",
    "FakeFile",
    "FakeMessage",
    "FakeTelegramServer",
    "FakeUser",
    "HtmlParseError",
    "Upload",
    "WebhookState",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_BUTTONS_PER_ROW = 8
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

# Real descriptions, as returned by api.telegram.org.
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
CHAT_NOT_FOUND = "Bad Request: chat not found"
BOT_BLOCKED = "Forbidden: bot was blocked by the user"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
MESSAGE_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_MUST_BE_NON_EMPTY = "Bad Request: text must be non-empty"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
REPLY_MARKUP_TOO_LONG = "Bad Request: REPLY_MARKUP_TOO_LONG"
TEXT_BUTTONS_UNALLOWED = (
    "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)

_NOT_FOUND_BODY = {"ok": False, "error_code": 404, "description": "Not Found"}
_UNAUTHORIZED_BODY = {"ok": False, "error_code": 401, "description": "Unauthorized"}
_TOKEN_SHAPE = re.compile(r"^\d+:[\w-]+$")

# Methods that count against flood control (token bucket of set_rate_limit).
_RATE_LIMITED = frozenset(
    [
        "sendmessage",
        "sendphoto",
        "senddocument",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
    ]
)
_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
# Update types delivered when getUpdates/setWebhook never set allowed_updates.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_INLINE_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_ENTITY_TYPES = frozenset(
    [
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    ]
)
_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,32}))?(?=\s|$)")
_BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------


class ApiError(Exception):
    """A Bot API error answer: HTTP status ``code`` and the real ``description``."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class HtmlParseError(ValueError):
    """Entity parsing failed; ``str(exc)`` is the part after "can't parse entities: "."""


class _DropConnection(Exception):
    """Internal: abort the TCP connection without answering (simulates a network failure)."""


# ----------------------------------------------------------------------------------------------
# Text formatting: HTML / MarkdownV2 / Markdown, ported from TDLib's behaviour
# ----------------------------------------------------------------------------------------------

_SPACES = frozenset(" \t\r\n\v\f\0")
_HTML_SPECIAL_RE = re.compile(r"[<&]")
_HTML_ENTITY_RE = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([a-zA-Z]+));?")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TAGS = frozenset(
    [
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    ]
)
_HTML_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}


def _u16len(s: str) -> int:
    """Length in UTF-16 code units: Telegram's unit for offsets and length limits."""
    if s.isascii():
        return len(s)
    return len(s.encode("utf-16-le")) >> 1


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _decode_html_entity(match: re.Match[str]) -> str | None:
    hex_digits, dec_digits, name = match.groups()
    if name is not None:
        return _NAMED_ENTITIES.get(name)
    code = int(hex_digits, 16) if hex_digits is not None else int(dec_digits)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _unescape_attribute(raw: str) -> str:
    def repl(match: re.Match[str]) -> str:
        decoded = _decode_html_entity(match)
        return match.group(0) if decoded is None else decoded

    return _HTML_ENTITY_RE.sub(repl, raw) if "&" in raw else raw


def _sort_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return entities


def _html_a_argument(attributes: dict[str, str], text: str, begin: int) -> str | None:
    return attributes.get("href", "")


def _html_code_argument(attributes: dict[str, str], text: str, begin: int) -> str | None:
    css = attributes.get("class", "")
    return css[len("language-") :] if css.startswith("language-") else None


def _html_span_argument(attributes: dict[str, str], text: str, begin: int) -> str | None:
    if attributes.get("class") != "tg-spoiler":
        raise HtmlParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
        )
    return None


def _html_emoji_argument(attributes: dict[str, str], text: str, begin: int) -> str | None:
    emoji_id = attributes.get("emoji-id", "")
    if not emoji_id.isdigit() or int(emoji_id) >= 2**63:
        raise HtmlParseError("Invalid custom emoji identifier specified")
    return emoji_id


def _html_blockquote_argument(attributes: dict[str, str], text: str, begin: int) -> str | None:
    return "expandable" if "expandable" in attributes else None


def _html_no_argument(attributes: dict[str, str], text: str, begin: int) -> str | None:
    return None


# A start tag's argument (link, language, emoji id...) from its attributes, per tag.
_HTML_TAG_ARGUMENTS: dict[str, Callable[[dict[str, str], str, int], str | None]] = {
    "a": _html_a_argument,
    "code": _html_code_argument,
    "span": _html_span_argument,
    "tg-emoji": _html_emoji_argument,
    "blockquote": _html_blockquote_argument,
}


class _HtmlParser:
    """The state of one ``parse_html`` run: a cursor in ``text``, the output and the open tags."""

    def __init__(self, text: str, strict_ampersand: bool) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0
        self.strict_ampersand = strict_ampersand
        self.out: list[str] = []
        self.entities: list[dict[str, Any]] = []
        self.stack: list[tuple[str, str | None, int]] = []
        self.u16 = 0

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        text, n = self.text, self.n
        search = _HTML_SPECIAL_RE.search
        while True:
            match = search(text, self.i)
            stop = match.start() if match else n
            if stop > self.i:
                self._emit(text[self.i : stop])
            if match is None:
                break
            self.i = stop
            if text[stop] == "&":
                self._ampersand()
            elif stop + 1 < n and text[stop + 1] == "/":
                self._end_tag()
            else:
                self._start_tag()
        if self.stack:
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"')
        return "".join(self.out), _merge_pre_code(self.entities)

    def _emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.u16 += _u16len(chunk)

    def _skip_spaces(self, j: int) -> int:
        text, n = self.text, self.n
        while j < n and text[j] in _SPACES:
            j += 1
        return j

    def _skip_tag_name(self, j: int) -> int:
        text, n = self.text, self.n
        while j < n and text[j] not in _SPACES and text[j] != ">":
            j += 1
        return j

    def _ampersand(self) -> None:
        i = self.i
        entity = _HTML_ENTITY_RE.match(self.text, i)
        decoded = _decode_html_entity(entity) if entity else None
        if decoded is None or entity is None:
            if self.strict_ampersand:
                raise HtmlParseError(
                    f"Unescaped '&' at byte offset {_byte_offset(self.text, i)}: use &amp; "
                    "(fake server: strict_ampersand)"
                )
            self._emit("&")
            self.i = i + 1
            return
        self._emit(decoded)
        self.i = entity.end()

    def _end_tag(self) -> None:
        text, n, begin = self.text, self.n, self.i
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        j = self._skip_tag_name(begin + 2)
        end_name = text[begin + 2 : j].lower()
        j = self._skip_spaces(j)
        if j >= n or text[j] != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        tag, argument, start = self.stack.pop()
        if end_name and end_name != tag:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                f'expected "</{tag}>", found "</{end_name}>"'
            )
        if self.u16 > start:
            entity_dict = _html_tag_entity(tag, argument, start, self.u16 - start)
            if entity_dict is not None:
                self.entities.append(entity_dict)
        self.i = j + 1

    def _start_tag(self) -> None:
        text, begin = self.text, self.i
        j = self._skip_tag_name(begin + 1)
        if j >= self.n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag = text[begin + 1 : j].lower()
        if tag not in _HTML_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
        self.i = j
        attributes = self._attributes(tag, begin)
        argument = _HTML_TAG_ARGUMENTS.get(tag, _html_no_argument)(attributes, text, begin)
        self.stack.append((tag, argument, self.u16))

    def _attributes(self, tag: str, begin: int) -> dict[str, str]:
        """Read a start tag's attributes up to and including its ``>``."""
        attributes: dict[str, str] = {}
        while True:
            self.i = self._skip_spaces(self.i)
            if self.i >= self.n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(self.text, begin)}")
            if self.text[self.i] == ">":
                self.i += 1
                return attributes
            name, value = self._attribute(tag, begin)
            attributes[name] = value

    def _attribute(self, tag: str, begin: int) -> tuple[str, str]:
        text, n = self.text, self.n
        i = self.i
        while i < n and text[i] not in _SPACES and text[i] not in "=>":
            i += 1
        name = text[self.i : i].lower()
        if not name:
            raise HtmlParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(text, begin)}'
            )
        i = self._skip_spaces(i)
        if i >= n or text[i] != "=":
            self.i = i
            return name, ""
        i = self._skip_spaces(i + 1)
        if i >= n:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
        self.i = i
        return name, self._attribute_value(begin)

    def _attribute_value(self, begin: int) -> str:
        text, n, i = self.text, self.n, self.i
        quote = text[i]
        if quote in "\"'":
            close = text.find(quote, i + 1)
            if close < 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            self.i = close + 1
            return _unescape_attribute(text[i + 1 : close])
        while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
            i += 1
        if i < n and text[i] not in _SPACES and text[i] != ">":
            raise HtmlParseError(f"Unexpected end of name token at byte offset {_byte_offset(text, self.i)}")
        value = text[self.i : i].lower()
        self.i = i
        return value


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Bot API HTML into ``(plain_text, entities)`` like TDLib does.

    Raises HtmlParseError with TDLib's message for unsupported/unclosed/mismatched tags and for a
    raw ``<``.  A raw ``&`` that starts no entity is refused too when ``strict_ampersand`` (the
    documented rule); the real server is lenient there and keeps it as text.
    """
    return _HtmlParser(text, strict_ampersand).parse()


def _html_tag_entity(tag: str, argument: str | None, offset: int, length: int) -> dict[str, Any] | None:
    if tag == "a":
        if not argument:
            return None
        return {"type": "text_link", "offset": offset, "length": length, "url": argument}
    if tag == "tg-emoji":
        return {"type": "custom_emoji", "offset": offset, "length": length, "custom_emoji_id": argument}
    if tag == "blockquote":
        kind = "expandable_blockquote" if argument else "blockquote"
        return {"type": kind, "offset": offset, "length": length}
    entity: dict[str, Any] = {"type": _HTML_TAG_TYPES[tag], "offset": offset, "length": length}
    if tag == "code" and argument:
        entity["_language"] = argument
    return entity


def _merge_pre_code(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``<pre><code class="language-x">`` becomes one pre entity with a language, as in TDLib."""
    if not any("_language" in e for e in entities):
        return _sort_entities(entities)
    pres = {(e["offset"], e["length"]): e for e in entities if e["type"] == "pre"}
    merged: list[dict[str, Any]] = []
    for entity in entities:
        language = entity.pop("_language", None)
        if language is not None:
            pre = pres.get((entity["offset"], entity["length"]))
            if pre is not None:
                pre["language"] = language
                continue
        merged.append(entity)
    return _sort_entities(merged)


_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_CODE_TYPES = frozenset({"code", "pre", "pre_code"})


def _skip_pre_header(text: str, i: int) -> tuple[int, str | None]:
    """After an opening ```: read an optional language and skip one leading newline."""
    n = len(text)
    language = None
    end = i
    while end < n and text[end] not in _SPACES and text[end] != "`":
        end += 1
    if i != end and end < n and text[end] != "`":
        language = text[i:end]
        i = end
    if i < n and text[i] in "\r\n":
        if i + 1 < n and text[i + 1] in "\r\n" and text[i] != text[i + 1]:
            i += 2
        else:
            i += 1
    return i, language


# Whether the character at the cursor closes the innermost open entity, per entity kind.
_MD2_ENDS: dict[str, Callable[[str, str, str], bool]] = {
    "bold": lambda c, nxt, nxt2: c == "*",
    "italic": lambda c, nxt, nxt2: c == "_" and nxt != "_",
    "code": lambda c, nxt, nxt2: c == "`",
    "pre": lambda c, nxt, nxt2: c == "`" and nxt == "`" and nxt2 == "`",
    "pre_code": lambda c, nxt, nxt2: c == "`" and nxt == "`" and nxt2 == "`",
    "text_link": lambda c, nxt, nxt2: c == "]",
    "custom_emoji": lambda c, nxt, nxt2: c == "]",
    "underline": lambda c, nxt, nxt2: c == "_" and nxt == "_",
    "strikethrough": lambda c, nxt, nxt2: c == "~",
    "spoiler": lambda c, nxt, nxt2: c == "|" and nxt == "|",
}


def _md2_entity(kind: str, start: int, length: int, argument: str | None) -> dict[str, Any]:
    entity: dict[str, Any] = {"type": kind, "offset": start, "length": length}
    if kind == "pre_code":
        entity["type"] = "pre"
        entity["language"] = argument
    elif kind == "text_link":
        entity["url"] = argument
    elif kind == "custom_emoji":
        emoji_id = (argument or "").rpartition("id=")[2]
        if not emoji_id.isdigit():
            raise HtmlParseError("Invalid custom emoji identifier specified")
        entity["custom_emoji_id"] = emoji_id
    return entity


class _MarkdownV2Parser:
    """The state of one ``parse_markdown_v2`` run: a cursor in ``text``, the output, the open entities."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0
        self.out: list[str] = []
        self.entities: list[dict[str, Any]] = []
        # [type, start_u16, byte index of the marker, index in out, argument]
        self.stack: list[list[Any]] = []
        self.u16 = 0
        self.quote_start: int | None = None

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        text, n = self.text, self.n
        while self.i < n:
            i = self.i
            c = text[i]
            in_code = bool(self.stack) and self.stack[-1][0] in _CODE_TYPES
            if not in_code and (i == 0 or text[i - 1] == "\n") and self._line_start(c):
                continue
            if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                self.out.append(text[i + 1])
                self.u16 += 1
                self.i += 2
            elif (in_code and c != "`") or (not in_code and c not in _MD2_RESERVED):
                self.out.append(c)
                self.u16 += 2 if ord(c) > 0xFFFF else 1
                self.i += 1
            else:
                self._marker(c)
        if self.stack:
            kind, _start, begin, _index, _arg = self.stack[-1]
            raise HtmlParseError(
                f"Can't find end of {_MD2_NAMES[kind]} entity at byte offset {_byte_offset(text, begin)}"
            )
        if self.quote_start is not None and self.u16 > self.quote_start:
            self.entities.append(
                {"type": "blockquote", "offset": self.quote_start, "length": self.u16 - self.quote_start}
            )
        return "".join(self.out), _sort_entities(self.entities)

    def _line_start(self, c: str) -> bool:
        """At a line start: a ``>`` opens or continues a quote (True: consumed), else the quote ends."""
        if c == ">":
            if self.quote_start is None:
                self.quote_start = self.u16
            self.i += 1
            return True
        if self.quote_start is not None:
            end = self.u16 - 1 if self.out and self.out[-1] == "\n" else self.u16
            if end > self.quote_start:
                self.entities.append(
                    {"type": "blockquote", "offset": self.quote_start, "length": end - self.quote_start}
                )
            self.quote_start = None
        return False

    def _marker(self, c: str) -> None:
        text, n, i = self.text, self.n, self.i
        nxt = text[i + 1] if i + 1 < n else ""
        nxt2 = text[i + 2] if i + 2 < n else ""
        if self.stack and _MD2_ENDS[self.stack[-1][0]](c, nxt, nxt2):
            self._close(nxt)
        else:
            self._open(c, nxt, nxt2)

    def _open(self, c: str, nxt: str, nxt2: str) -> None:
        begin = self.i
        opener = _MD2_OPENERS.get(c)
        opened = opener(self, nxt, nxt2) if opener is not None else None
        if opened is None:
            raise HtmlParseError(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
        kind, argument = opened
        self.stack.append([kind, self.u16, begin, len(self.out), argument])
        self.i += 1

    def _open_underscore(self, nxt: str, nxt2: str) -> tuple[str, str | None] | None:
        if nxt == "_":
            self.i += 1
            return "underline", None
        return "italic", None

    def _open_bold(self, nxt: str, nxt2: str) -> tuple[str, str | None] | None:
        return "bold", None

    def _open_strikethrough(self, nxt: str, nxt2: str) -> tuple[str, str | None] | None:
        return "strikethrough", None

    def _open_spoiler(self, nxt: str, nxt2: str) -> tuple[str, str | None] | None:
        if nxt != "|":
            return None
        self.i += 1
        return "spoiler", None

    def _open_text_link(self, nxt: str, nxt2: str) -> tuple[str, str | None] | None:
        return "text_link", None

    def _open_code(self, nxt: str, nxt2: str) -> tuple[str, str | None] | None:
        if nxt != "`" or nxt2 != "`":
            return "code", None
        self.i, argument = _skip_pre_header(self.text, self.i + 3)
        self.i -= 1
        return ("pre_code" if argument else "pre"), argument

    def _open_custom_emoji(self, nxt: str, nxt2: str) -> tuple[str, str | None] | None:
        if nxt != "[":
            return None
        self.i += 1
        return "custom_emoji", None

    def _close(self, nxt: str) -> None:
        kind, start, _begin, out_index, argument = self.stack.pop()
        if kind in ("underline", "spoiler"):
            self.i += 1
        elif kind in ("pre", "pre_code"):
            self.i += 2
        elif kind in ("text_link", "custom_emoji"):
            argument = self._link_target(nxt, out_index)
        if self.u16 > start:
            self.entities.append(_md2_entity(kind, start, self.u16 - start, argument))
        self.i += 1

    def _link_target(self, nxt: str, out_index: int) -> str:
        """After a link's ``]``: its ``(url)`` (the cursor left on the ``)``), else its own text."""
        if nxt != "(":
            return "".join(self.out[out_index:])
        text, n = self.text, self.n
        i = self.i + 2
        url_begin = i
        url: list[str] = []
        while i < n and text[i] != ")":
            if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                url.append(text[i + 1])
                i += 2
                continue
            url.append(text[i])
            i += 1
        if i >= n:
            raise HtmlParseError(f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}")
        self.i = i
        return "".join(url)


# How a reserved character opens an entity (None: it cannot, and must have been escaped).
_MD2_OPENERS: dict[str, Callable[[_MarkdownV2Parser, str, str], tuple[str, str | None] | None]] = {
    "_": _MarkdownV2Parser._open_underscore,
    "*": _MarkdownV2Parser._open_bold,
    "~": _MarkdownV2Parser._open_strikethrough,
    "|": _MarkdownV2Parser._open_spoiler,
    "[": _MarkdownV2Parser._open_text_link,
    "`": _MarkdownV2Parser._open_code,
    "!": _MarkdownV2Parser._open_custom_emoji,
}


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2 into ``(plain_text, entities)`` with TDLib's errors (reserved characters...)."""
    return _MarkdownV2Parser(text).parse()


def _md_copy_until(text: str, i: int, end_char: str, is_pre: bool, out: list[str]) -> tuple[int, int]:
    """Copy an entity's text up to its closing marker; returns the marker's index and the UTF-16 length."""
    n = len(text)
    u16 = 0
    while i < n and (text[i] != end_char or (is_pre and text[i + 1 : i + 3] != "``")):
        out.append(text[i])
        u16 += 2 if ord(text[i]) > 0xFFFF else 1
        i += 1
    return i, u16


def _md_link_url(text: str, i: int) -> tuple[str | None, int]:
    """After a link's ``]`` at ``i``: its ``(url)`` and the index of the ``)``, or None and ``i``."""
    if text[i + 1 : i + 2] != "(":
        return None, i
    close = text.find(")", i + 2)
    if close < 0:
        raise HtmlParseError(f"Can't find end of a URL at byte offset {_byte_offset(text, i + 2)}")
    return text[i + 2 : close], close


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse legacy Markdown (``parse_mode="Markdown"``) into ``(plain_text, entities)``."""
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    u16 = 0
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            u16 += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            u16 += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = False
        language = None
        i += 1
        if c == "`" and text[i : i + 2] == "``":
            is_pre = True
            i, language = _skip_pre_header(text, i + 2)
        start = u16
        i, length = _md_copy_until(text, i, end_char, is_pre, out)
        u16 += length
        if i >= n:
            raise HtmlParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        if c == "[":
            url, i = _md_link_url(text, i)
            if url and u16 > start:
                entities.append({"type": "text_link", "offset": start, "length": u16 - start, "url": url})
        elif u16 > start:
            kind = {"_": "italic", "*": "bold", "`": "pre" if is_pre else "code"}[c]
            entity: dict[str, Any] = {"type": kind, "offset": start, "length": u16 - start}
            if language:
                entity["language"] = language
            entities.append(entity)
        if is_pre:
            i += 2
        i += 1
    return "".join(out), _sort_entities(entities)


_TRIM = " \t\r\n\v\f"


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram strips leading/trailing whitespace and clips the entities accordingly."""
    left = text.lstrip(_TRIM)
    result = left.rstrip(_TRIM)
    if len(result) == len(text):
        return text, entities
    lead = len(text) - len(left)
    total = _u16len(result)
    clipped: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] - lead + entity["length"], total)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return result, clipped


def _check_entity_range(offset: int, length: int, total: int) -> None:
    if offset < 0:
        raise ApiError(400, f"Bad Request: receive an entity with incorrect offset {offset}")
    if length < 0:
        raise ApiError(400, f"Bad Request: receive an entity with incorrect length {length}")
    if offset > total:
        raise ApiError(400, f"Bad Request: entity begins after the end of the text at UTF-16 offset {offset}")
    if offset + length > total:
        raise ApiError(
            400,
            f"Bad Request: entity beginning at UTF-16 offset {offset} ends after the end of the text "
            f"at UTF-16 offset {offset + length}",
        )


def _check_entity(entity: Any, total: int) -> int:
    """Validate one explicit entity against a text of ``total`` UTF-16 units; returns its length."""
    if not isinstance(entity, dict):
        raise ApiError(400, "Bad Request: can't parse MessageEntity: expected an Object")
    kind = entity.get("type")
    if kind not in _ENTITY_TYPES:
        raise ApiError(400, "Bad Request: can't parse MessageEntity: Unsupported type specified")
    offset, length = entity.get("offset"), entity.get("length")
    for name, value in (("offset", offset), ("length", length)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ApiError(400, f'Bad Request: can\'t parse MessageEntity: Field "{name}" must be a Number')
    assert isinstance(offset, int) and isinstance(length, int)
    _check_entity_range(offset, length, total)
    required = {"text_link": "url", "text_mention": "user", "custom_emoji": "custom_emoji_id"}.get(kind)
    if required and required not in entity:
        raise ApiError(400, f"Bad Request: can't parse MessageEntity: Can't find field \"{required}\"")
    return length


def _check_entities(text: str, entities: Any) -> list[dict[str, Any]]:
    """Validate explicit ``entities``/``caption_entities`` like the real API."""
    if not isinstance(entities, list):
        raise ApiError(400, "Bad Request: can't parse entities JSON object")
    total = _u16len(text)
    checked: list[dict[str, Any]] = []
    for entity in entities:
        if _check_entity(entity, total):
            checked.append(dict(entity))
    return _sort_entities(checked)


def _bot_command_entities(text: str) -> list[dict[str, Any]]:
    match = _COMMAND_RE.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": match.end()}]


# ----------------------------------------------------------------------------------------------
# State objects
# ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Upload:
    """A file part of a multipart request, as received."""

    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:  # keeps `calls` readable when files are big
        return (
            f"Upload(filename={self.filename!r}, content_type={self.content_type!r}, size={len(self.data)})"
        )


@dataclass(slots=True)
class FakeFile:
    """A file known to the fake server (sent by the bot or by a user); downloadable via getFile."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes | None
    filename: str | None
    mime_type: str | None
    file_path: str
    url: str | None = None
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0

    def __repr__(self) -> str:  # no raw bytes in assertion messages
        return (
            f"FakeFile({self.file_id!r}, kind={self.kind!r}, filename={self.filename!r}, "
            f"mime_type={self.mime_type!r}, size={self.size})"
        )


@dataclass(slots=True)
class FakeUser:
    """A Telegram user. ``started``: pressed Start (the bot may write to them);
    ``blocked``: blocked the bot."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    last_name: str | None = None
    started: bool = False
    blocked: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(eq=False)
class FakeMessage:
    """A message in a chat, sent by the bot or by a user.

    ``text``/``caption`` are what was sent (raw HTML for the bot's messages); ``plain_text`` is the
    text or caption after entity parsing (tags stripped, entities unescaped) for readable asserts.
    ``reply_markup`` is the inline keyboard attached to the message (as the API echoes it);
    ``reply_keyboard`` a ReplyKeyboardMarkup/ReplyKeyboardRemove/ForceReply sent along.
    """

    message_id: int
    chat_id: int
    from_id: int | None
    date: int
    kind: str  # "text", "photo", "document", "sticker", "service"
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    plain_text: str = ""
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    reply_keyboard: dict[str, Any] | None = None
    file: FakeFile | None = None
    edits: int = 0
    edit_date: int | None = None
    deleted: bool = False
    reply_to_message_id: int | None = None
    from_bot: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def data(self) -> bytes | None:
        """Bytes of the photo/document, if any."""
        return self.file.data if self.file else None

    @property
    def filename(self) -> str | None:
        return self.file.filename if self.file else None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """All inline buttons, row by row."""
        if not self.reply_markup:
            return []
        return [button for row in self.reply_markup["inline_keyboard"] for button in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    def button(self, text: str) -> dict[str, Any]:
        """The inline button whose label is ``text`` (KeyError if none)."""
        for candidate in self.buttons:
            if candidate["text"] == text:
                return candidate
        raise KeyError(
            f"no button {text!r} in message {self.message_id}: {[b['text'] for b in self.buttons]}"
        )


@dataclass(eq=False)
class FakeChat:
    """A private chat (id == user id), a group/supergroup (negative id) or a channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    admins: set[int] = field(default_factory=set)
    owner: int | None = None
    members: set[int] = field(default_factory=set)
    bot_is_admin: bool = False
    bot_removed: bool = False
    messages: dict[int, FakeMessage] = field(default_factory=dict)
    last_message_id: int = 0


class Call(NamedTuple):
    """One request received: method name as sent, decoded params, monotonic time, HTTP status."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 0


@dataclass(slots=True)
class WebhookState:
    """What setWebhook recorded (``url == ""``: no webhook)."""

    url: str = ""
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    ip_address: str | None = None
    set_count: int = 0


@dataclass(slots=True)
class _Failure:
    status: int
    retry_after: float
    remaining: int
    description: str | None


class _Described(NamedTuple):
    result: Any
    description: str


class _TokenBucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = now

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1.0


class _Params:
    """Decoded request parameters with the Bot API's coercions and error messages."""

    __slots__ = ("raw", "uploads")

    def __init__(self, raw: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.raw = raw
        self.uploads = uploads

    def get(self, name: str) -> Any:
        value = self.raw.get(name)
        return None if value == "" else value

    def str_(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else str(value)

    def int_(self, name: str, *, missing: str | None = None, default: int | None = None) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if missing:
                raise ApiError(400, missing)
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise ApiError(400, f'Bad Request: field "{name}" must be of type Integer') from None

    def float_(self, name: str, default: float = 0.0) -> float:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ApiError(400, f'Bad Request: field "{name}" must be of type Number') from None

    def bool_(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json_(self, name: str, error: str | None = None) -> Any:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError(400, error or f"Bad Request: can't parse {name} JSON object") from None
        return value


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _json_response(status: int, body: Any) -> web.Response:
    return web.Response(body=_dumps(body), status=status, content_type="application/json")


def _format_seconds(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _check_url(url: Any, what: str) -> None:
    if not isinstance(url, str):
        raise ApiError(400, f'Bad Request: field "{what}" must be of type String')
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme in ("tg", "ton"):
        return
    if parts.scheme not in ("http", "https"):
        raise ApiError(
            400, f"Bad Request: inline keyboard button URL '{url}' is invalid: Unsupported URL protocol"
        )
    host = parts.hostname or ""
    if not host:
        raise ApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid: URL host is empty")
    if "." not in host and host != "localhost":
        raise ApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _validate_inline_keyboard(rows: Any) -> dict[str, Any] | None:
    """Validate an InlineKeyboardMarkup; returns it normalized (None when it has no button)."""
    if not isinstance(rows, list):
        raise ApiError(400, 'Bad Request: field "inline_keyboard" must be of type Array')
    normalized: list[list[dict[str, Any]]] = []
    total = 0
    for row in rows:
        if not isinstance(row, list):
            raise ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array of Arrays')
        if len(row) > MAX_BUTTONS_PER_ROW:
            raise ApiError(400, REPLY_MARKUP_TOO_LONG)
        out_row: list[dict[str, Any]] = []
        for button in row:
            out_row.append(_validate_inline_button(button))
        total += len(out_row)
        if out_row:
            normalized.append(out_row)
    if total > MAX_INLINE_BUTTONS:
        raise ApiError(400, REPLY_MARKUP_TOO_LONG)
    return {"inline_keyboard": normalized} if total else None


def _check_callback_data_button(value: Any) -> None:
    if not isinstance(value, str) or not 1 <= len(value.encode()) <= MAX_CALLBACK_DATA_BYTES:
        raise ApiError(400, BUTTON_DATA_INVALID)


def _check_url_button(value: Any) -> None:
    _check_url(value, "url")


def _check_web_app_button(value: Any) -> None:
    url = value.get("url") if isinstance(value, dict) else None
    if not isinstance(url, str) or not url.startswith("https://"):
        raise ApiError(
            400,
            f"Bad Request: inline keyboard button Web App URL '{url}' is invalid: "
            "Only HTTPS links are allowed",
        )


def _refuse_button_type(value: Any) -> None:
    raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")


def _check_copy_text_button(value: Any) -> None:
    copied = value.get("text") if isinstance(value, dict) else None
    if not isinstance(copied, str) or not 1 <= len(copied) <= 256:
        raise ApiError(400, "Bad Request: BUTTON_COPY_TEXT_INVALID")


# The check of an inline button's action value, per action field (the others are taken as they are).
_INLINE_BUTTON_CHECKS: dict[str, Callable[[Any], None]] = {
    "callback_data": _check_callback_data_button,
    "url": _check_url_button,
    "web_app": _check_web_app_button,
    "pay": _refuse_button_type,
    "callback_game": _refuse_button_type,
    "copy_text": _check_copy_text_button,
}


def _inline_button_action(button: Any) -> str:
    """Check a button's shape and text; returns its one action field."""
    prefix = "Bad Request: can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise ApiError(400, prefix + "InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise ApiError(400, prefix + 'Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise ApiError(400, prefix + 'Field "text" must be of type String')
    actions = [key for key in _INLINE_BUTTON_ACTIONS if button.get(key) not in (None, "", False)]
    if not actions:
        raise ApiError(400, TEXT_BUTTONS_UNALLOWED)
    if len(actions) > 1:
        raise ApiError(400, prefix + f"exactly one of the optional fields must be used, got {actions}")
    return actions[0]


def _validate_inline_button(button: Any) -> dict[str, Any]:
    action = _inline_button_action(button)
    value = button[action]
    check = _INLINE_BUTTON_CHECKS.get(action)
    if check is not None:
        check(value)
    result = {"text": button["text"], action: value}
    for extra in ("style", "icon_custom_emoji_id"):
        if extra in button:
            result[extra] = button[extra]
    return result


def _photo_size(data: bytes | None) -> tuple[int, int]:
    if data and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return 800, 600


# ----------------------------------------------------------------------------------------------
# The server
# ----------------------------------------------------------------------------------------------


class FakeTelegramServer:
    """A fake Bot API server for one bot, on 127.0.0.1 with a random free port.

    Build PTB with ``.base_url(server.base_url).base_file_url(server.base_file_url)``.
    State (users, chats, messages, calls) lives in this object so tests can both drive the
    "users" side (``send_text``, ``press``...) and assert on what the bot did (``messages``).
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "civicbot_test_bot",
        bot_id: int | None = None,
        *,
        bot_first_name: str = "Civicbot",
        privacy_mode: bool = True,
        strict_ampersand: bool = True,
        record_calls: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``privacy_mode``: like a real bot (the default), plain group messages reach the bot
        only if it is an admin there; commands, replies to the bot and service messages always do.
        ``strict_ampersand``: refuse a raw ``&`` in HTML (the real server tolerates it).
        ``clock``: time source of the rate limiter (inject one for deterministic tests)."""
        self.token = token
        self.bot_username = bot_username
        prefix = token.split(":", 1)[0]
        self.bot_id = bot_id if bot_id is not None else (int(prefix) if prefix.isdigit() else 123456)
        self.bot_first_name = bot_first_name
        self.privacy_mode = privacy_mode
        self.strict_ampersand = strict_ampersand
        self.record_calls = record_calls
        self._clock = clock

        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.files: dict[str, FakeFile] = {}
        self._files_by_path: dict[str, FakeFile] = {}

        self.calls: list[Call] = []
        self.answered_callbacks: dict[str, dict[str, Any]] = {}
        self._pending_callbacks: dict[str, tuple[int, int, int]] = {}
        self._callback_seq = 0
        self.webhook = WebhookState()
        self.commands: dict[tuple[tuple[Any, ...], str], list[dict[str, str]]] = {}
        self.chat_actions: list[tuple[int, str]] = []

        # Delivery bookkeeping for "nothing lost, nothing duplicated" checks.
        self.delivered: Counter[int] = Counter()
        self.count_429 = 0
        self.requests_served = 0
        self.file_bytes_served = 0  # bytes of files downloaded from /file/bot… (uploads must be bounded)
        self.unseen_by_bot = 0  # user messages the bot never receives (privacy mode)
        self.filtered_updates = 0  # updates dropped by allowed_updates

        self._queue: deque[tuple[int, dict[str, Any]]] = deque()
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] | None = None
        self._poll_waiter: asyncio.Future[str] | None = None

        self._failures: dict[str, deque[_Failure]] = {}
        self._bucket: _TokenBucket | None = None
        self._chat_rate: tuple[float, int] | None = None
        self._chat_buckets: dict[int, _TokenBucket] = {}
        self.retry_after_override: float | None = None

        self._inflight = 0
        self._last_activity = 0.0
        self._change_event: asyncio.Event | None = None
        self._closing = False
        self._runner: web.ServerRunner | None = None
        self._port: int | None = None
        self._session: aiohttp.ClientSession | None = None

        self._methods: dict[str, Callable[[_Params], Any]] = {
            "getme": self._m_get_me,
            "getupdates": self._m_get_updates,
            "deletewebhook": self._m_delete_webhook,
            "setwebhook": self._m_set_webhook,
            "getwebhookinfo": self._m_get_webhook_info,
            "setmycommands": self._m_set_my_commands,
            "getmycommands": self._m_get_my_commands,
            "deletemycommands": self._m_delete_my_commands,
            "sendmessage": self._m_send_message,
            "editmessagetext": self._m_edit_message_text,
            "editmessagereplymarkup": self._m_edit_message_reply_markup,
            "editmessagecaption": self._m_edit_message_caption,
            "deletemessage": self._m_delete_message,
            "answercallbackquery": self._m_answer_callback_query,
            "sendphoto": self._m_send_photo,
            "senddocument": self._m_send_document,
            "getchat": self._m_get_chat,
            "getchatadministrators": self._m_get_chat_administrators,
            "getchatmember": self._m_get_chat_member,
            "sendchataction": self._m_send_chat_action,
            "getfile": self._m_get_file,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1:<random free port>."""
        if self._runner is not None:
            return
        loop = asyncio.get_running_loop()
        self._closing = False
        self._last_activity = loop.time()

        def make_request(
            message: Any, payload: Any, protocol: Any, writer: Any, task: Any
        ) -> web.BaseRequest:
            return web.BaseRequest(
                message, payload, protocol, writer, task, loop, client_max_size=MAX_UPLOAD_BYTES + 1024**2
            )

        server = web.Server(
            self._handle, request_factory=make_request, handler_cancellation=True, access_log=None
        )
        runner = web.ServerRunner(server, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Answer pending long polls, close connections and the listening socket."""
        if self._runner is None:
            return
        self._closing = True
        self._resolve_poller("close")
        if self._session is not None:
            await self._session.close()
            self._session = None
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTelegramServer is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends ``<token>/<method>``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``: file downloads of getFile paths."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ------------------------------------------------------------------ users and chats

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        username: str | None = None,
        language_code: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        """Register (or update) a user without starting the bot."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = self.users.get(user_id)
        if user is None:
            user = FakeUser(user_id, first_name or f"User{user_id}", username, language_code, last_name)
            self.users[user_id] = user
        else:
            if first_name is not None:
                user.first_name = first_name
            if username is not None:
                user.username = username
            if language_code is not None:
                user.language_code = language_code
            if last_name is not None:
                user.last_name = last_name
        return user

    def start_private(
        self,
        user_id: int,
        first_name: str | None = None,
        language_code: str = "fr",
        *,
        username: str | None = None,
    ) -> FakeUser:
        """Mark that the user opened a private chat and pressed Start: the bot may now write to them.
        (Sends no update: use ``send_text(uid, uid, "/start")`` for that.)"""
        user = self.add_user(user_id, first_name, username=username, language_code=language_code)
        user.started = True
        user.blocked = False
        self._private_chat(user)
        return user

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to them answer 403 "bot was blocked by the user"."""
        self.add_user(user_id).blocked = True

    def unblock(self, user_id: int) -> None:
        self.add_user(user_id).blocked = False

    def add_group(
        self,
        chat_id: int,
        title: str,
        admins: Iterable[int] = (),
        *,
        owner: int | None = None,
        members: Iterable[int] = (),
        bot_is_admin: bool = False,
        username: str | None = None,
    ) -> FakeChat:
        """Create a group the bot is in. Ids starting with -100 are supergroups, other negative ids
        basic groups. ``admins`` are administrators; ``owner`` (optional) is the creator."""
        if chat_id >= 0:
            raise ValueError("group ids are negative, e.g. -100123")
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat = FakeChat(chat_id, kind, title=title, username=username, bot_is_admin=bot_is_admin)
        self.chats[chat_id] = chat
        self.set_admins(chat_id, admins, owner=owner)
        for member in members:
            self.add_user(member)
            chat.members.add(member)
        return chat

    def set_admins(self, chat_id: int, admins: Iterable[int], *, owner: int | None = None) -> None:
        """Replace the group's administrators (and optionally its owner)."""
        chat = self._group(chat_id)
        chat.admins = set(admins)
        if owner is not None:
            chat.owner = owner
        for user_id in chat.admins | ({chat.owner} if chat.owner else set()):
            self.add_user(user_id)
            chat.members.add(user_id)

    def remove_bot(self, chat_id: int) -> None:
        """The bot is kicked from the group: sends answer 403 "bot was kicked from the ... chat"."""
        self._group(chat_id).bot_removed = True

    def _group(self, chat_id: int) -> FakeChat:
        chat = self.chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise ValueError(f"no group {chat_id}: call add_group() first")
        return chat

    def _private_chat(self, user: FakeUser) -> FakeChat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = FakeChat(user.id, "private")
            self.chats[user.id] = chat
        return chat

    # ------------------------------------------------------------------ assertions helpers

    def messages(
        self, chat_id: int, *, include_users: bool = False, include_deleted: bool = False
    ) -> list[FakeMessage]:
        """Messages of a chat in order: by default the bot's, not deleted."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [
            m
            for m in chat.messages.values()
            if (include_users or m.from_bot) and (include_deleted or not m.deleted)
        ]

    def message(self, chat_id: int, message_id: int) -> FakeMessage:
        """One message (bot's or user's, even deleted) by id; KeyError if unknown."""
        return self.chats[chat_id].messages[message_id]

    def last_message(self, chat_id: int) -> FakeMessage | None:
        """The bot's last live message in the chat."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return None
        for message in reversed(chat.messages.values()):
            if message.from_bot and not message.deleted:
                return message
        return None

    def calls_to(self, method: str) -> list[Call]:
        """Calls of one method (case-insensitive name)."""
        wanted = method.lower()
        return [c for c in self.calls if c.method.lower() == wanted]

    def get_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """Commands recorded by setMyCommands for a scope (default scope if None) and language."""
        return list(self.commands.get((self._scope_key(scope), language_code), []))

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return len(self._queue)

    @property
    def delivered_total(self) -> int:
        return sum(self.delivered.values())

    # ------------------------------------------------------------------ failure injection

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: float = 1,
        count: int = 1,
        *,
        description: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` ("*" for any) fail with ``status``.

        429 answers "Too Many Requests: retry after N" with ``parameters.retry_after`` (a float
        is passed through: PTB accepts it); 400/403/409/500/502 answer realistic descriptions
        (override with ``description``); ``status=0`` aborts the connection without answer."""
        key = method.lower()
        self._failures.setdefault(key, deque()).append(_Failure(status, retry_after, count, description))

    def set_rate_limit(
        self, per_second: float | None, burst: int = 1, *, retry_after_override: float | None = None
    ) -> None:
        """Global flood control over send*/editMessage*: a token bucket of ``burst`` tokens refilled
        at ``per_second``; an empty bucket answers 429 with retry_after = ceil(wait) >= 1 s, or
        ``retry_after_override`` (may be a float, for fast tests). ``None`` disables it."""
        self.retry_after_override = retry_after_override
        self._bucket = None if per_second is None else _TokenBucket(per_second, burst, self._clock())

    def set_chat_rate_limit(self, per_second: float | None, burst: int = 1) -> None:
        """Per-chat flood control (real limits: ~1 msg/s in a private chat, 20/min in a group)."""
        self._chat_rate = None if per_second is None else (per_second, burst)
        self._chat_buckets.clear()

    # ------------------------------------------------------------------ update injection

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update (``update_id`` assigned if missing); returns its update_id."""
        update = dict(update)
        update_id = update.get("update_id")
        if update_id is None:
            update_id = self._next_update_id
            update["update_id"] = update_id
        self._next_update_id = max(self._next_update_id, int(update_id) + 1)
        kind = next((k for k in update if k != "update_id"), None)
        if not self._wants(kind):
            self.filtered_updates += 1
            return int(update_id)
        self._queue.append((int(update_id), update))
        self._touch()
        self._resolve_poller("update")
        return int(update_id)

    def send_text(
        self,
        user_id: int,
        chat_id: int,
        text: str,
        *,
        reply_to_message_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> int | None:
        """The user writes ``text`` in the chat (private if ``chat_id == user_id``).

        Returns the update_id, or None when the bot would not see the message (group in privacy
        mode, message neither a command nor a reply to the bot). A leading ``/cmd`` or
        ``/cmd@bot`` gets its bot_command entity. Writing in private marks the user as started."""
        chat, message = self._user_message(
            user_id, chat_id, "text", text=text, reply_to_message_id=reply_to_message_id, entities=entities
        )
        return self._deliver(chat, message, "message")

    def reply_to(self, user_id: int, chat_id: int, reply_to_message_id: int, text: str) -> int | None:
        """The user replies to a message (the bot's or anyone's) with ``text``."""
        return self.send_text(user_id, chat_id, text, reply_to_message_id=reply_to_message_id)

    def text_update(self, user_id: int, chat_id: int, text: str) -> dict[str, Any]:
        """Build (and record in the chat) a message update without queueing it: for webhooks."""
        _chat, message = self._user_message(user_id, chat_id, "text", text=text)
        update = {"update_id": self._next_update_id, "message": self._message_dict(message)}
        self._next_update_id += 1
        return update

    def send_document(
        self,
        user_id: int,
        chat_id: int,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        mime_type: str = "application/octet-stream",
    ) -> int | None:
        """The user sends a file (the bot can getFile and download it)."""
        file = self._register_file("document", data, filename, mime_type)
        chat, message = self._user_message(user_id, chat_id, "document", file=file, caption=caption)
        return self._deliver(chat, message, "message")

    def press(
        self, user_id: int, chat_id: int, message_id: int, callback_data: str, *, strict: bool = True
    ) -> str:
        """The user presses an inline button of a bot message; returns the callback_query id.

        With ``strict`` the message must carry a button with this callback_data (a forged
        payload, which real clients can send, needs ``strict=False``)."""
        user = self.add_user(user_id)
        chat = self.chats.get(chat_id)
        message = chat.messages.get(message_id) if chat else None
        if message is None or message.deleted:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        if not message.from_bot:
            raise ValueError(f"message {message_id} in chat {chat_id} was not sent by the bot")
        if strict and callback_data not in message.callback_data:
            raise ValueError(
                f"message {message_id} has no button with callback_data {callback_data!r}: "
                f"{message.callback_data}"
            )
        self._callback_seq += 1
        query_id = str(4_000_000_000_000_000 + self._callback_seq)
        self._pending_callbacks[query_id] = (chat_id, message_id, user_id)
        query = {
            "id": query_id,
            "from": user.to_api(),
            "message": self._message_dict(message),
            "chat_instance": str((chat_id * 7919 + self.bot_id) & 0x7FFFFFFFFFFFFFFF),
            "data": callback_data,
        }
        self.push_update({"callback_query": query})
        return query_id

    def push_edited_message(self, user_id: int, chat_id: int, message_id: int, text: str) -> int | None:
        """The user edits one of their text messages."""
        chat = self.chats.get(chat_id)
        message = chat.messages.get(message_id) if chat else None
        if chat is None or message is None or message.from_id != user_id or message.kind != "text":
            raise ValueError(f"user {user_id} has no text message {message_id} in chat {chat_id}")
        message.text = message.plain_text = text
        message.entities = _bot_command_entities(text)
        message.edits += 1
        message.edit_date = int(time.time())
        return self._deliver(chat, message, "edited_message")

    def push_sticker(self, user_id: int, chat_id: int, emoji: str = "👍") -> int | None:
        """The user sends a sticker (an update kind bots often don't handle)."""
        file = self._register_file("sticker", b"RIFF\x00\x00\x00\x00WEBP", None, "image/webp")
        chat, message = self._user_message(user_id, chat_id, "sticker", file=file, extra={"emoji": emoji})
        return self._deliver(chat, message, "message")

    def push_new_chat_members(
        self, chat_id: int, user_ids: Iterable[int], *, by_user_id: int | None = None
    ) -> int:
        """Users (or the bot itself, by its ``bot_id``) join a group: a service message."""
        chat = self._group(chat_id)
        ids = list(user_ids)
        for user_id in ids:
            if user_id == self.bot_id:
                chat.bot_removed = False
            else:
                self.add_user(user_id)
                chat.members.add(user_id)
        sender = by_user_id if by_user_id is not None else next((u for u in ids if u != self.bot_id), None)
        if sender is None:
            raise ValueError("by_user_id is required when only the bot joins")
        self.add_user(sender)
        _chat, message = self._user_message(sender, chat_id, "service", extra={"new_chat_members": ids})
        update_id = self._deliver(chat, message, "message")
        assert update_id is not None
        return update_id

    def push_channel_post(self, chat_id: int, text: str, *, title: str = "Channel") -> int:
        """A post in a channel where the bot is admin (a ``channel_post`` update)."""
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = FakeChat(chat_id, "channel", title=title, bot_is_admin=True)
            self.chats[chat_id] = chat
        message = self._store(chat, from_id=None, kind="text", text=text, plain_text=text)
        return self.push_update({"channel_post": self._message_dict(message)})

    # ------------------------------------------------------------------ waiting

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109 - a plain timeout argument is what tests want
        *,
        interval: float = 0.05,
    ) -> None:
        """Wait until ``predicate()`` (sync or async) is true. It is re-checked after every request
        the server finishes and every update pushed, and every ``interval`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            await self._wait_for_change(min(remaining, interval))

    async def wait_idle(self, timeout: float = 5.0, *, settle: float = 0.02) -> None:  # noqa: ASYNC109
        """Wait until every queued update was fetched *and confirmed* by the client (a later
        getUpdates offset), no request is being processed (a parked long poll does not count)
        and nothing happened for ``settle`` seconds (lets handlers issue their follow-up calls)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            now = loop.time()
            if not self._queue and self._inflight == 0:
                quiet = now - self._last_activity
                if quiet >= settle:
                    return
                await self._wait_for_change(settle - quiet)
                continue
            if now >= deadline:
                raise TimeoutError(
                    f"fake Telegram not idle after {timeout}s: {len(self._queue)} unconfirmed updates, "
                    f"{self._inflight} requests in flight"
                )
            await self._wait_for_change(min(deadline - now, 0.1))

    async def _wait_for_change(self, seconds: float) -> None:
        if self._change_event is None:
            self._change_event = asyncio.Event()
        event = self._change_event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(seconds, 0.0))

    def _touch(self) -> None:
        with contextlib.suppress(RuntimeError):  # no running loop: nobody can be waiting
            self._last_activity = asyncio.get_running_loop().time()
        event = self._change_event
        if event is not None:
            self._change_event = None
            event.set()

    # ------------------------------------------------------------------ webhook side

    async def post_update_to(self, url: str, update: dict[str, Any], secret_token: str | None = None) -> int:
        """POST an update as JSON to a webhook (e.g. PTB's own webhook server) like Telegram does,
        with ``X-Telegram-Bot-Api-Secret-Token`` when given; returns the HTTP status."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        async with self._session.post(url, data=_dumps(update), headers=headers) as response:
            await response.read()
            return response.status

    async def flush_webhook(self) -> int:
        """Deliver the queued updates to the webhook recorded by setWebhook (with its secret),
        in order, stopping at the first non-2xx answer; returns how many were delivered."""
        if not self.webhook.url:
            raise RuntimeError("no webhook is set")
        delivered = 0
        while self._queue:
            _update_id, update = self._queue[0]
            status = await self.post_update_to(self.webhook.url, update, self.webhook.secret_token)
            if not 200 <= status < 300:
                break
            self._queue.popleft()
            delivered += 1
            self._touch()
        return delivered

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._serve_file(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return _json_response(404, _NOT_FOUND_BODY)
        token, _, method = path[4:].partition("/")
        self._inflight += 1
        self._touch()
        status = 0
        params: dict[str, Any] = {}
        try:
            if token != self.token:
                if _TOKEN_SHAPE.match(token):
                    status, body = 401, _UNAUTHORIZED_BODY
                else:
                    status, body = 404, _NOT_FOUND_BODY
                return _json_response(status, body)
            try:
                params, uploads = await self._read_params(request)
                status, body = await self._dispatch(method, _Params(params, uploads))
            except ApiError as exc:
                status, body = exc.code, exc.body()
            return _json_response(status, body)
        except _DropConnection:
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise asyncio.CancelledError from None
        finally:
            self._inflight -= 1
            self.requests_served += 1
            if self.record_calls:
                self.calls.append(Call(method, params, self._clock(), status))
            self._touch()

    async def _read_params(self, request: web.BaseRequest) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = dict(request.query) if request.query_string else {}
        uploads: dict[str, Upload] = {}
        if request.method != "POST" or not request.body_exists:
            return params, uploads
        content_type = request.content_type
        if content_type == "application/json":
            try:
                data = json.loads(await request.read())
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON object") from None
            if isinstance(data, dict):
                params.update(data)
        elif content_type.startswith("multipart/"):
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    upload = Upload(
                        filename=part.filename,
                        content_type=part.headers.get("Content-Type", "application/octet-stream"),
                        data=bytes(await part.read()),
                    )
                    if len(upload.data) > MAX_UPLOAD_BYTES:
                        raise ApiError(413, "Request Entity Too Large")
                    uploads[part.name] = upload
                    params[part.name] = upload
                else:
                    params[part.name] = await part.text()
        else:
            params.update(await request.post())
        return params, uploads

    async def _dispatch(self, method: str, p: _Params) -> tuple[int, dict[str, Any]]:
        key = method.lower()
        handler = self._methods.get(key)
        if handler is None:
            return 404, _NOT_FOUND_BODY
        failure = self._take_failure(key)
        if failure is not None:
            return self._failure_answer(failure)
        if key in _RATE_LIMITED and (self._bucket is not None or self._chat_rate is not None):
            limited = self._rate_limit(p)
            if limited is not None:
                return limited
        result = handler(p)
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, _Described):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    def _take_failure(self, key: str) -> _Failure | None:
        for name in (key, "*"):
            pending = self._failures.get(name)
            if pending:
                failure = pending[0]
                failure.remaining -= 1
                if failure.remaining <= 0:
                    pending.popleft()
                return failure
        return None

    def _failure_answer(self, failure: _Failure) -> tuple[int, dict[str, Any]]:
        status = failure.status
        if status == 0:
            raise _DropConnection
        if status == 429:
            self.count_429 += 1
            retry_after = _format_seconds(failure.retry_after)
            description = failure.description or f"Too Many Requests: retry after {retry_after}"
            return 429, ApiError(429, description, {"retry_after": retry_after}).body()
        defaults = {
            400: "Bad Request: injected failure",
            401: "Unauthorized",
            403: BOT_BLOCKED,
            404: "Not Found",
            409: POLL_CONFLICT,
            500: "Internal Server Error",
            502: "Bad Gateway",
        }
        return status, ApiError(status, failure.description or defaults.get(status, "Error")).body()

    def _rate_limit(self, p: _Params) -> tuple[int, dict[str, Any]] | None:
        now = self._clock()
        waits: list[float] = []
        chat_bucket = None
        if self._bucket is not None:
            waits.append(self._bucket.wait_time(now))
        if self._chat_rate is not None:
            with contextlib.suppress(ApiError):
                chat_id = self._chat_id(p)
                chat_bucket = self._chat_buckets.get(chat_id)
                if chat_bucket is None:
                    chat_bucket = _TokenBucket(self._chat_rate[0], self._chat_rate[1], now)
                    self._chat_buckets[chat_id] = chat_bucket
                waits.append(chat_bucket.wait_time(now))
        wait = max(waits, default=0.0)
        if wait <= 0:
            if self._bucket is not None:
                self._bucket.take()
            if chat_bucket is not None:
                chat_bucket.take()
            return None
        self.count_429 += 1
        retry_after: int | float
        if self.retry_after_override is not None:
            retry_after = _format_seconds(self.retry_after_override)
        else:
            retry_after = max(1, math.ceil(wait))
        description = f"Too Many Requests: retry after {retry_after}"
        return 429, ApiError(429, description, {"retry_after": retry_after}).body()

    def _serve_file(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        file = self._files_by_path.get(file_path) if token == self.token else None
        if file is None or file.data is None:
            return _json_response(404, _NOT_FOUND_BODY)
        self.file_bytes_served += len(file.data)
        return web.Response(body=file.data, content_type=file.mime_type or "application/octet-stream")

    # ------------------------------------------------------------------ shared helpers

    def _bot_dict(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat_dict(self, chat: FakeChat) -> dict[str, Any]:
        if chat.type == "private":
            user = self.users[chat.id]
            data: dict[str, Any] = {"id": chat.id, "first_name": user.first_name}
            if user.last_name:
                data["last_name"] = user.last_name
            if user.username:
                data["username"] = user.username
            data["type"] = "private"
            return data
        data = {"id": chat.id, "title": chat.title or "", "type": chat.type}
        if chat.username:
            data["username"] = chat.username
        return data

    def _message_dict(self, message: FakeMessage, *, with_reply: bool = True) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        data: dict[str, Any] = {"message_id": message.message_id}
        if message.from_bot:
            data["from"] = self._bot_dict()
        elif message.from_id is not None:
            data["from"] = self.users[message.from_id].to_api()
        chat_dict = self._chat_dict(chat)
        if chat.type == "channel":
            data["sender_chat"] = chat_dict
        data["chat"] = chat_dict
        data["date"] = message.date
        if with_reply and message.reply_to_message_id is not None:
            target = chat.messages.get(message.reply_to_message_id)
            if target is not None and not target.deleted:
                data["reply_to_message"] = self._message_dict(target, with_reply=False)
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        content = self._MESSAGE_CONTENT.get(message.kind)
        if content is not None:
            content(self, message, data)
        if message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    def _text_content(self, message: FakeMessage, data: dict[str, Any]) -> None:
        data["text"] = message.plain_text
        if message.entities:
            data["entities"] = message.entities

    def _caption_content(self, message: FakeMessage, data: dict[str, Any]) -> None:
        if message.plain_text:
            data["caption"] = message.plain_text
            if message.entities:
                data["caption_entities"] = message.entities

    def _photo_content(self, message: FakeMessage, data: dict[str, Any]) -> None:
        file = message.file
        assert file is not None
        data["photo"] = [
            {
                "file_id": file.file_id,
                "file_unique_id": file.file_unique_id,
                "file_size": file.size,
                "width": file.width,
                "height": file.height,
            }
        ]
        self._caption_content(message, data)

    def _document_content(self, message: FakeMessage, data: dict[str, Any]) -> None:
        file = message.file
        assert file is not None
        document: dict[str, Any] = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
        if file.filename:
            document["file_name"] = file.filename
        if file.mime_type:
            document["mime_type"] = file.mime_type
        document["file_size"] = file.size
        data["document"] = document
        self._caption_content(message, data)

    def _sticker_content(self, message: FakeMessage, data: dict[str, Any]) -> None:
        file = message.file
        assert file is not None
        data["sticker"] = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": message.extra.get("emoji", "👍"),
            "file_size": file.size,
        }

    def _service_content(self, message: FakeMessage, data: dict[str, Any]) -> None:
        if "new_chat_members" in message.extra:
            data["new_chat_members"] = [
                self._bot_dict() if uid == self.bot_id else self.users[uid].to_api()
                for uid in message.extra["new_chat_members"]
            ]

    # What a message of each kind carries in the API's Message object, besides the common fields.
    _MESSAGE_CONTENT: ClassVar[
        dict[str, Callable[[FakeTelegramServer, FakeMessage, dict[str, Any]], None]]
    ] = {
        "text": _text_content,
        "photo": _photo_content,
        "document": _document_content,
        "sticker": _sticker_content,
        "service": _service_content,
    }

    def _store(self, chat: FakeChat, *, from_id: int | None, kind: str, **fields: Any) -> FakeMessage:
        chat.last_message_id += 1
        message = FakeMessage(
            message_id=chat.last_message_id,
            chat_id=chat.id,
            from_id=from_id,
            date=int(time.time()),
            kind=kind,
            from_bot=from_id == self.bot_id,
            **fields,
        )
        chat.messages[message.message_id] = message
        return message

    def _user_message(
        self,
        user_id: int,
        chat_id: int,
        kind: str,
        *,
        text: str | None = None,
        caption: str | None = None,
        file: FakeFile | None = None,
        reply_to_message_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> tuple[FakeChat, FakeMessage]:
        user = self.add_user(user_id)
        if chat_id == user_id:
            user.started = True
            user.blocked = False
            chat = self._private_chat(user)
        elif chat_id > 0:
            raise ValueError(f"user {user_id} cannot write in the private chat of {chat_id}")
        else:
            chat = self._group(chat_id)
            chat.members.add(user_id)
        if reply_to_message_id is not None:
            target = chat.messages.get(reply_to_message_id)
            if target is None or target.deleted:
                raise ValueError(f"no message {reply_to_message_id} to reply to in chat {chat_id}")
        body = text if text is not None else caption
        message = self._store(
            chat,
            from_id=user_id,
            kind=kind,
            text=text,
            caption=caption,
            plain_text=body or "",
            entities=entities if entities is not None else _bot_command_entities(body or ""),
            file=file,
            reply_to_message_id=reply_to_message_id,
            extra=extra or {},
        )
        return chat, message

    def _deliver(self, chat: FakeChat, message: FakeMessage, key: str) -> int | None:
        if not self._bot_sees(chat, message):
            self.unseen_by_bot += 1
            return None
        return self.push_update({key: self._message_dict(message)})

    def _bot_sees(self, chat: FakeChat, message: FakeMessage) -> bool:
        if chat.type == "private":
            return True
        if chat.bot_removed:
            return False
        if not self.privacy_mode or chat.bot_is_admin:
            return True
        if message.kind == "service":
            return True
        if message.reply_to_message_id is not None:
            target = chat.messages.get(message.reply_to_message_id)
            if target is not None and target.from_bot:
                return True
        match = _COMMAND_RE.match(message.plain_text)
        return match is not None and (
            match.group(2) is None or match.group(2).lower() == self.bot_username.lower()
        )

    def _wants(self, kind: str | None) -> bool:
        if kind is None:
            return True
        if self._allowed_updates is None:
            return kind not in _DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    def _resolve_poller(self, reason: str) -> None:
        waiter = self._poll_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(reason)

    def _register_file(
        self, kind: str, data: bytes | None, filename: str | None, mime: str | None
    ) -> FakeFile:
        number = len(self.files) + 1
        extension = ""
        if filename and "." in filename:
            extension = "." + filename.rsplit(".", 1)[1]
        elif kind == "photo":
            extension = ".jpg"
        file = FakeFile(
            file_id=f"fake-{kind}-{number}",
            file_unique_id=f"u{number}",
            kind=kind,
            data=data,
            filename=filename,
            mime_type=mime,
            file_path=f"{kind}s/file_{number}{extension}",
        )
        if kind == "photo":
            file.width, file.height = _photo_size(data)
        self.files[file.file_id] = file
        self._files_by_path[file.file_path] = file
        return file

    # ------------------------------------------------------------------ validation helpers

    def _chat_id(self, p: _Params, name: str = "chat_id") -> int:
        value = p.raw.get(name)
        if value is None or value == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if text.startswith("@"):
            wanted = text[1:].lower()
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == wanted:
                    return chat.id
            raise ApiError(400, CHAT_NOT_FOUND)
        try:
            return int(text)
        except ValueError:
            raise ApiError(400, CHAT_NOT_FOUND) from None

    def _writable_chat(self, p: _Params) -> FakeChat:
        """The chat of a send/edit: checks existence, block, Start and membership like the API."""
        chat_id = self._chat_id(p)
        if chat_id > 0:
            user = self.users.get(chat_id)
            if user is None:
                raise ApiError(400, CHAT_NOT_FOUND)
            if user.blocked:
                raise ApiError(403, BOT_BLOCKED)
            if not user.started:
                raise ApiError(403, CANT_INITIATE)
            return self._private_chat(user)
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, CHAT_NOT_FOUND)
        if chat.bot_removed:
            if chat.type == "channel":
                raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        return chat

    def _known_chat(self, p: _Params) -> FakeChat:
        """The chat of a read method (getChat...): it must exist; no Start needed."""
        chat_id = self._chat_id(p)
        if chat_id > 0:
            user = self.users.get(chat_id)
            if user is None:
                raise ApiError(400, CHAT_NOT_FOUND)
            return self._private_chat(user)
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, CHAT_NOT_FOUND)
        if chat.bot_removed:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        return chat

    def _format(
        self, p: _Params, text: str, mode_name: str, entities_name: str, limit: int, *, caption: bool
    ) -> tuple[str, list[dict[str, Any]], str | None]:
        """Parse text/caption with its parse_mode or explicit entities; trims and checks the length."""
        parse_mode = p.str_(mode_name) or None
        explicit = p.json_(entities_name, "Bad Request: can't parse entities JSON object")
        if explicit:
            plain, entities = text, _check_entities(text, explicit)
        elif parse_mode is None:
            plain, entities = text, []
        else:
            mode = parse_mode.lower()
            try:
                if mode == "html":
                    plain, entities = parse_html(text, strict_ampersand=self.strict_ampersand)
                elif mode == "markdownv2":
                    plain, entities = parse_markdown_v2(text)
                elif mode == "markdown":
                    plain, entities = parse_markdown(text)
                else:
                    raise ApiError(400, "Bad Request: unsupported parse_mode")
            except HtmlParseError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        plain, entities = _trim(plain, entities)
        if not plain and not caption:
            raise ApiError(400, TEXT_MUST_BE_NON_EMPTY)
        if _u16len(plain) > limit:
            raise ApiError(400, CAPTION_TOO_LONG if caption else MESSAGE_TOO_LONG)
        return plain, entities, parse_mode

    def _reply_markup(self, p: _Params, *, inline_only: bool = False) -> tuple[dict | None, dict | None]:
        """Returns (inline keyboard attached to the message, other reply markup)."""
        markup = p.json_("reply_markup", "Bad Request: can't parse reply keyboard markup JSON object")
        if markup is None:
            return None, None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return _validate_inline_keyboard(markup["inline_keyboard"]), None
        if inline_only:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise ApiError(400, 'Bad Request: field "keyboard" must be of type Array')
            for row in rows:
                for button in row:
                    label = button if isinstance(button, str) else (button or {}).get("text")
                    if not isinstance(label, str) or not label:
                        raise ApiError(
                            400,
                            'Bad Request: can\'t parse keyboard button: Field "text" must be of type String',
                        )
        for flag in ("remove_keyboard", "force_reply"):
            if flag in markup and markup[flag] is not True:
                raise ApiError(400, f'Bad Request: field "{flag}" must be of type Boolean')
        return None, markup

    def _reply_target(self, chat: FakeChat, p: _Params) -> int | None:
        parameters = p.json_("reply_parameters")
        allow = p.bool_("allow_sending_without_reply")
        if parameters is not None:
            if not isinstance(parameters, dict) or "message_id" not in parameters:
                raise ApiError(400, 'Bad Request: can\'t find field "message_id"')
            target_id = parameters["message_id"]
            allow = allow or bool(parameters.get("allow_sending_without_reply"))
        else:
            target_id = p.int_("reply_to_message_id")
            if target_id is None:
                return None
        target = chat.messages.get(int(target_id))
        if target is None or target.deleted:
            if allow:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return int(target_id)

    def _editable_message(self, p: _Params) -> FakeMessage:
        if p.get("inline_message_id") is not None:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._writable_chat(p)
        message_id = p.int_("message_id", missing="Bad Request: message identifier is not specified")
        assert message_id is not None
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _scope_key(self, scope: Any) -> tuple[Any, ...]:
        if scope is None:
            return ("default",)
        if not isinstance(scope, dict) or "type" not in scope:
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (kind,)
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat_id = self._chat_id(_Params(scope, {}))
            if chat_id not in self.chats and chat_id not in self.users:
                raise ApiError(400, CHAT_NOT_FOUND)
            if kind == "chat_member":
                user_id = scope.get("user_id")
                if not isinstance(user_id, int):
                    raise ApiError(400, 'Bad Request: can\'t find field "user_id"')
                return (kind, chat_id, user_id)
            return (kind, chat_id)
        raise ApiError(400, "Bad Request: unsupported bot command scope type")

    def _chat_member_dict(self, chat: FakeChat, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_id:
            user: dict[str, Any] = self._bot_dict()
            if chat.bot_is_admin:
                return self._admin_dict(user)
            return {"status": "left" if chat.bot_removed else "member", "user": user}
        known = self.users.get(user_id)
        if known is None:
            raise ApiError(400, "Bad Request: user not found")
        user = known.to_api()
        if chat.type == "private":
            return {"status": "member", "user": user}
        if user_id == chat.owner:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in chat.admins:
            return self._admin_dict(user)
        if user_id in chat.members:
            return {"status": "member", "user": user}
        return {"status": "left", "user": user}

    @staticmethod
    def _admin_dict(user: dict[str, Any]) -> dict[str, Any]:
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": True,
            "can_restrict_members": True,
            "can_promote_members": False,
            "can_change_info": True,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
            "can_pin_messages": True,
            "can_manage_topics": False,
        }

    # ------------------------------------------------------------------ Bot API methods

    def _m_get_me(self, p: _Params) -> dict[str, Any]:
        return {
            **self._bot_dict(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_get_updates(self, p: _Params) -> list[dict[str, Any]]:
        if self.webhook.url:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = p.int_("offset", default=0) or 0
        limit = min(max(p.int_("limit", default=100) or 100, 1), 100)
        timeout = max(p.float_("timeout"), 0.0)
        allowed = p.json_("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else None
        self._confirm(offset)
        # Like Telegram: a new getUpdates terminates the previous long poll with 409.
        self._resolve_poller("conflict")
        batch = self._select(limit)
        if batch or timeout <= 0 or self._closing:
            return batch
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[str] = loop.create_future()
        self._poll_waiter = waiter
        timer = loop.call_later(timeout, self._resolve_poller_if, waiter, "timeout")
        self._inflight -= 1  # a parked long poll is not "in flight" for wait_idle()
        self._touch()
        try:
            reason = await waiter
        finally:
            self._inflight += 1
            timer.cancel()
            if self._poll_waiter is waiter:
                self._poll_waiter = None
        if reason == "conflict":
            raise ApiError(409, POLL_CONFLICT)
        return self._select(limit)

    @staticmethod
    def _resolve_poller_if(waiter: asyncio.Future[str], reason: str) -> None:
        if not waiter.done():
            waiter.set_result(reason)

    def _confirm(self, offset: int) -> None:
        queue = self._queue
        if offset > 0:
            while queue and queue[0][0] < offset:
                queue.popleft()
        elif offset < 0:
            while len(queue) > -offset:
                queue.popleft()

    def _select(self, limit: int) -> list[dict[str, Any]]:
        return [update for _update_id, update in islice(self._queue, limit)]

    def _m_delete_webhook(self, p: _Params) -> _Described:
        had = bool(self.webhook.url)
        if p.bool_("drop_pending_updates"):
            self._queue.clear()
        self.webhook.url = ""
        self.webhook.secret_token = None
        return _Described(True, "Webhook was deleted" if had else "Webhook is already deleted")

    def _m_set_webhook(self, p: _Params) -> _Described:
        url = p.str_("url") or ""
        secret = p.str_("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        max_connections = p.int_("max_connections", default=40) or 40
        if not 1 <= max_connections <= 100:
            raise ApiError(400, "Bad Request: invalid max_connections specified")
        if p.bool_("drop_pending_updates"):
            self._queue.clear()
        allowed = p.json_("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else None
        if not url:
            had = bool(self.webhook.url)
            self.webhook.url = ""
            self.webhook.secret_token = None
            return _Described(True, "Webhook was deleted" if had else "Webhook is already deleted")
        self.webhook.url = url
        self.webhook.secret_token = secret
        self.webhook.allowed_updates = list(allowed) if allowed else None
        self.webhook.max_connections = max_connections
        self.webhook.ip_address = p.str_("ip_address")
        self.webhook.set_count += 1
        self._resolve_poller("conflict")
        return _Described(True, "Webhook was set")

    def _m_get_webhook_info(self, p: _Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook.url:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.ip_address:
                info["ip_address"] = self.webhook.ip_address
            if self.webhook.allowed_updates:
                info["allowed_updates"] = self.webhook.allowed_updates
        return info

    def _m_set_my_commands(self, p: _Params) -> bool:
        commands = p.json_("commands")
        if not isinstance(commands, list):
            raise ApiError(400, 'Bad Request: field "commands" must be of type Array')
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        cleaned: list[dict[str, str]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand: expected an Object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _BOT_COMMAND_NAME_RE.match(name.lower()):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise ApiError(400, "Bad Request: command description is empty")
            cleaned.append({"command": name.lower(), "description": description})
        key = (self._scope_key(p.json_("scope")), p.str_("language_code") or "")
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        return True

    def _m_get_my_commands(self, p: _Params) -> list[dict[str, str]]:
        key = (self._scope_key(p.json_("scope")), p.str_("language_code") or "")
        return list(self.commands.get(key, []))

    def _m_delete_my_commands(self, p: _Params) -> bool:
        key = (self._scope_key(p.json_("scope")), p.str_("language_code") or "")
        self.commands.pop(key, None)
        return True

    def _m_send_message(self, p: _Params) -> dict[str, Any]:
        chat = self._writable_chat(p)
        text = p.str_("text")
        if not text:
            raise ApiError(400, TEXT_EMPTY)
        plain, entities, parse_mode = self._format(
            p, text, "parse_mode", "entities", MAX_TEXT_LENGTH, caption=False
        )
        inline, other = self._reply_markup(p)
        reply_to = self._reply_target(chat, p)
        message = self._store(
            chat,
            from_id=self.bot_id,
            kind="text",
            text=text,
            parse_mode=parse_mode,
            plain_text=plain,
            entities=entities,
            reply_markup=inline,
            reply_keyboard=other,
            reply_to_message_id=reply_to,
        )
        self.delivered[chat.id] += 1
        return self._message_dict(message)

    def _send_file(self, p: _Params, field_name: str, kind: str) -> dict[str, Any]:
        chat = self._writable_chat(p)
        file = self._input_file(p, field_name, kind)
        caption = p.str_("caption") or ""
        plain, entities, parse_mode = self._format(
            p, caption, "parse_mode", "caption_entities", MAX_CAPTION_LENGTH, caption=True
        )
        inline, other = self._reply_markup(p)
        reply_to = self._reply_target(chat, p)
        message = self._store(
            chat,
            from_id=self.bot_id,
            kind=kind,
            caption=caption or None,
            parse_mode=parse_mode,
            plain_text=plain,
            entities=entities,
            reply_markup=inline,
            reply_keyboard=other,
            reply_to_message_id=reply_to,
            file=file,
        )
        self.delivered[chat.id] += 1
        return self._message_dict(message)

    def _input_file(self, p: _Params, field_name: str, kind: str) -> FakeFile:
        value = p.raw.get(field_name)
        if value is None or value == "":
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.uploads.get(value[len("attach://") :])
            if value is None:
                raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        if isinstance(value, Upload):
            if not value.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            return self._register_file(kind, value.data, value.filename, value.content_type)
        file_ref = str(value)
        known = self.files.get(file_ref)
        if known is not None:
            if known.kind != kind and kind != "document":
                raise ApiError(400, "Bad Request: type of file mismatch")
            return known
        if file_ref.startswith(("http://", "https://")):
            file = self._register_file(kind, None, file_ref.rsplit("/", 1)[-1] or None, None)
            file.url = file_ref
            return file
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _m_send_photo(self, p: _Params) -> dict[str, Any]:
        return self._send_file(p, "photo", "photo")

    def _m_send_document(self, p: _Params) -> dict[str, Any]:
        return self._send_file(p, "document", "document")

    def _m_edit_message_text(self, p: _Params) -> dict[str, Any]:
        message = self._editable_message(p)
        if message.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = p.str_("text")
        if not text:
            raise ApiError(400, TEXT_EMPTY)
        plain, entities, parse_mode = self._format(
            p, text, "parse_mode", "entities", MAX_TEXT_LENGTH, caption=False
        )
        inline, _other = self._reply_markup(p, inline_only=True)
        if plain == message.plain_text and entities == message.entities and inline == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.parse_mode, message.plain_text, message.entities = (
            text,
            parse_mode,
            plain,
            entities,
        )
        message.reply_markup = inline
        return self._mark_edited(message)

    def _m_edit_message_caption(self, p: _Params) -> dict[str, Any]:
        message = self._editable_message(p)
        if message.kind not in ("photo", "document"):
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption = p.str_("caption") or ""
        plain, entities, parse_mode = self._format(
            p, caption, "parse_mode", "caption_entities", MAX_CAPTION_LENGTH, caption=True
        )
        inline, _other = self._reply_markup(p, inline_only=True)
        if plain == message.plain_text and entities == message.entities and inline == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.caption, message.parse_mode, message.plain_text = caption or None, parse_mode, plain
        message.entities = entities
        message.reply_markup = inline
        return self._mark_edited(message)

    def _m_edit_message_reply_markup(self, p: _Params) -> dict[str, Any]:
        message = self._editable_message(p)
        inline, _other = self._reply_markup(p, inline_only=True)
        if inline == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.reply_markup = inline
        return self._mark_edited(message)

    def _mark_edited(self, message: FakeMessage) -> dict[str, Any]:
        message.edits += 1
        message.edit_date = int(time.time())
        return self._message_dict(message)

    def _m_delete_message(self, p: _Params) -> bool:
        chat = self._known_chat(p)
        message_id = p.int_("message_id", missing="Bad Request: message identifier is not specified")
        assert message_id is not None
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        if not message.from_bot and chat.type != "private" and not chat.bot_is_admin:
            raise ApiError(400, "Bad Request: message can't be deleted")
        message.deleted = True
        return True

    def _m_answer_callback_query(self, p: _Params) -> bool:
        query_id = p.str_("callback_query_id")
        if not query_id:
            raise ApiError(400, 'Bad Request: parameter "callback_query_id" is required')
        if query_id not in self._pending_callbacks or query_id in self.answered_callbacks:
            raise ApiError(400, QUERY_TOO_OLD)
        chat_id, message_id, user_id = self._pending_callbacks[query_id]
        self.answered_callbacks[query_id] = {
            "text": p.str_("text"),
            "show_alert": p.bool_("show_alert"),
            "url": p.str_("url"),
            "cache_time": p.int_("cache_time", default=0),
            "chat_id": chat_id,
            "message_id": message_id,
            "user_id": user_id,
        }
        return True

    def _m_get_chat(self, p: _Params) -> dict[str, Any]:
        chat = self._known_chat(p)
        return {
            **self._chat_dict(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _m_get_chat_administrators(self, p: _Params) -> list[dict[str, Any]]:
        chat = self._known_chat(p)
        if chat.type == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        result: list[dict[str, Any]] = []
        if chat.owner is not None:
            result.append(self._chat_member_dict(chat, chat.owner))
        result.extend(self._chat_member_dict(chat, uid) for uid in sorted(chat.admins) if uid != chat.owner)
        if chat.bot_is_admin:
            result.append(self._chat_member_dict(chat, self.bot_id))
        return result

    def _m_get_chat_member(self, p: _Params) -> dict[str, Any]:
        chat = self._known_chat(p)
        user_id = p.int_("user_id", missing="Bad Request: user_id is empty")
        assert user_id is not None
        return self._chat_member_dict(chat, user_id)

    def _m_send_chat_action(self, p: _Params) -> bool:
        chat = self._writable_chat(p)
        action = p.str_("action")
        if action not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append((chat.id, action))
        return True

    def _m_get_file(self, p: _Params) -> dict[str, Any]:
        file = self.files.get(p.str_("file_id") or "")
        if file is None or file.data is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": file.size,
            "file_path": file.file_path,
        }
