"""The engine's rich text as Telegram HTML, cut into messages Telegram accepts.

Telegram measures its limits (4,096 for a text, 1,024 for a caption) on the text *after* parsing the HTML,
in UTF-16 code units, so an emoji counts twice and `&lt;` once. Chunks are therefore measured on the plain
rendering, and a block too long for one message is cut in the formatting model, never inside a tag.
"""

from __future__ import annotations

import html
from collections import deque
from dataclasses import dataclass

from bot.formatting import (
    PLAIN,
    Block,
    Bold,
    BulletList,
    Code,
    Inline,
    Italic,
    Link,
    Paragraph,
    Plain,
    Rich,
    Syntax,
    render_blocks,
)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
SEPARATOR = "\n\n"  # between blocks, as bot.formatting.render joins them


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


HTML = Syntax(
    escape=_escape,
    bold=lambda inner: f"<b>{inner}</b>",
    italic=lambda inner: f"<i>{inner}</i>",
    code=lambda text: f"<code>{_escape(text)}</code>",
    link=lambda inner, url: f'<a href="{html.escape(url, quote=True)}">{inner}</a>',
)


def utf16_length(text: str) -> int:
    """Telegram's unit for lengths and offsets."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _measure(block: Block) -> int:
    """What Telegram will count for this block (the plain rendering is never shorter than the parsed HTML)."""
    return utf16_length(render_blocks(Rich((block,)), PLAIN)[0])


@dataclass(frozen=True, slots=True)
class Chunks:
    """A body ready to send: `head` (a caption when there is an attachment, else the first text) and the
    texts that follow it, each within Telegram's limits."""

    head: str
    rest: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return (self.head, *self.rest)


def chunk(body: Rich, *, first_limit: int = TEXT_LIMIT, limit: int = TEXT_LIMIT) -> Chunks:
    """Group the body's blocks into messages, the first within `first_limit` and the others within
    `limit`. Messages break between blocks; a block is cut only when it alone exceeds the limit."""
    pending = deque(body.blocks)
    groups: list[list[Block]] = []
    current: list[Block] = []
    used = 0
    while pending:
        cap = first_limit if not groups else limit
        block = pending.popleft()
        extra = _measure(block) + (len(SEPARATOR) if current else 0)
        if used + extra <= cap:
            current.append(block)
            used += extra
            continue
        if current:  # start a new message with this block
            groups.append(current)
            current, used = [], 0
            pending.appendleft(block)
            continue
        head, tail = take(block, cap)
        groups.append([head])
        pending.extendleft(reversed(tail))
    if current or not groups:
        groups.append(current)
    texts = [SEPARATOR.join(render_blocks(Rich(tuple(group)), HTML)) for group in groups]
    return Chunks(texts[0], tuple(texts[1:]))


def take(block: Block, room: int) -> tuple[Block, list[Block]]:
    """The longest first part of `block` within `room` units, and what is left: a list is cut between
    items, a paragraph between lines or words, and every piece keeps its formatting."""
    if room <= 0:
        raise ValueError("room must be positive")
    if isinstance(block, BulletList):
        taken: list[tuple[Inline, ...]] = []
        used = 0
        for item in block.items:
            size = _measure(BulletList((item,))) + (1 if taken else 0)
            if used + size > room:
                break
            taken.append(item)
            used += size
        left = block.items[len(taken) :]
        if taken:
            return BulletList(tuple(taken)), [BulletList(left)] if left else []
        head, tail = take(Paragraph((Plain(PLAIN.bullet), *left[0])), room)  # one item alone is too long
        return head, [*tail, *([BulletList(left[1:])] if left[1:] else [])]
    first, rest = _take_inlines(block.children, room)
    return Paragraph(first), [Paragraph(rest)] if rest else []


# -- cutting a paragraph: flatten to leaves under their wrappers, cut one leaf, rebuild both trees --------

Wrapper = Bold | Italic | Link
Leaf = tuple[tuple[Wrapper, ...], Plain | Code]


def _leaves(pieces: tuple[Inline, ...], wrappers: tuple[Wrapper, ...] = ()) -> list[Leaf]:
    out: list[Leaf] = []
    for piece in pieces:
        if isinstance(piece, (Plain, Code)):
            out.append((wrappers, piece))
        else:
            out.extend(_leaves(piece.children, (*wrappers, piece)))
    return out


def _rebuild(leaves: list[Leaf]) -> tuple[Inline, ...]:
    out: list[Inline] = []
    index = 0
    while index < len(leaves):
        wrappers, leaf = leaves[index]
        if not wrappers:
            out.append(leaf)
            index += 1
            continue
        head = wrappers[0]
        group: list[Leaf] = []
        while index < len(leaves) and leaves[index][0] and leaves[index][0][0] is head:
            group.append((leaves[index][0][1:], leaves[index][1]))
            index += 1
        children = _rebuild(group)
        out.append(Link(children, head.url) if isinstance(head, Link) else type(head)(children))
    return tuple(out)


def _leaf_length(wrappers: tuple[Wrapper, ...], leaf: Plain | Code) -> int:
    # the plain rendering shows a link's URL: count it, so the measure stays an upper bound
    urls = sum(utf16_length(w.url) + 3 for w in wrappers if isinstance(w, Link))
    return utf16_length(leaf.text) + urls


def _cut_point(text: str, room: int) -> int:
    """The longest prefix of `text` within `room` units, ending at a line break or a space if it can."""
    end = used = 0
    for position, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            break
        end = position + 1
    if 0 < end < len(text):
        for separator in ("\n", " "):
            at = text.rfind(separator, 0, end + 1)
            if at > 0:
                return at
    return end


def _take_inlines(pieces: tuple[Inline, ...], room: int) -> tuple[tuple[Inline, ...], tuple[Inline, ...]]:
    leaves = _leaves(pieces)
    used = 0
    for index, (wrappers, leaf) in enumerate(leaves):
        size = _leaf_length(wrappers, leaf)
        if used + size <= room:
            used += size
            continue
        at = _cut_point(leaf.text, room - used - (size - utf16_length(leaf.text)))
        if at == 0 and index == 0:
            at = 1  # never stall: a URL longer than a message still makes progress
        head = [*leaves[:index], *([(wrappers, type(leaf)(leaf.text[:at].rstrip(" ")))] if at else [])]
        tail_text = leaf.text[at:].lstrip(" \n")
        tail = [*([(wrappers, type(leaf)(tail_text))] if tail_text else []), *leaves[index + 1 :]]
        return _rebuild(head), _rebuild(tail)
    return pieces, ()
