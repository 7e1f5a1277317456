"""The engine's rich text as Discord markdown, laid out within Discord's message limits.

User text is escaped twice over: markdown characters (`*`, `_`, `|`, a leading `#` or `>`…) so a poll
question cannot format or hide anything, and Discord's special forms so they read as text: mentions
(`@everyone`, `<@user>`, `<@&role>`), channel links `<#id>`, command links `</name:id>`, timestamps
`<t:…>` and server pages `<id:…>` get a zero-width space after their `<`. Bidi and other invisible
characters are removed, so a right-to-left override cannot turn the rest of a card backwards. Every message
is also sent with mentions disabled (see `NO_MENTIONS`), so nothing can ping anyone anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord
from discord.utils import escape_markdown, escape_mentions

from bot.formatting import Rich, Syntax, render_blocks, split_rendered
from bot.text import visible

CONTENT_LIMIT = 2000  # characters of a message's content
EMBED_LIMIT = 4096  # characters of an embed description
EMPTY = "\u200b"  # Discord refuses an empty message; a zero-width space is the least visible content

NO_MENTIONS = discord.AllowedMentions.none()


_SPECIAL_FORM = re.compile(r"<(?=[#/]|t:|id:)")  # mentions: escape_mentions


def neutralize(text: str) -> str:
    """User text that Discord shows as typed: no mention, link, timestamp or bidi control comes alive."""
    return _SPECIAL_FORM.sub("<" + EMPTY, escape_mentions(visible(text)))


def escape(text: str) -> str:
    return neutralize(escape_markdown(text))


def _code(text: str) -> str:
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


def _link(text: str, url: str) -> str:
    return url if text == url else f"[{text}](<{url}>)"


DISCORD = Syntax(
    escape=escape,
    bold=lambda s: f"**{s}**",
    italic=lambda s: f"*{s}*",
    code=_code,
    link=_link,
)


@dataclass(frozen=True, slots=True)
class Layout:
    """One Discord message's text: in the content (up to 2,000 characters) or, when longer, in an embed's
    description (up to 4,096), which keeps a long card one editable message."""

    content: str | None
    embed_text: str | None = None

    @property
    def embeds(self) -> list[discord.Embed]:
        return [discord.Embed(description=self.embed_text)] if self.embed_text is not None else []


def _fit(text: str) -> Layout:
    if len(text) <= CONTENT_LIMIT:
        return Layout(text or EMPTY)
    if len(text) <= EMBED_LIMIT:
        return Layout(None, text)
    return Layout(None, text[: EMBED_LIMIT - 1] + "…")


def layout_message(body: Rich) -> list[Layout]:
    """A new message: one message when it fits (content or embed), else several, cut between blocks."""
    blocks = render_blocks(body, DISCORD)
    text = "\n\n".join(blocks)
    if len(text) <= EMBED_LIMIT:
        return [_fit(text)]
    return [Layout(chunk) for chunk in split_rendered(blocks, CONTENT_LIMIT)]


def layout_edit(body: Rich) -> Layout:
    """An edit replaces one message, so it must fit one: content, else embed, else cut at 4,096."""
    return _fit("\n\n".join(render_blocks(body, DISCORD)))
