"""The engine's own small rich-text model.

Replies never carry raw HTML or Markdown: the engine builds a tree of blocks and inline pieces, and each
adapter renders it in its platform's syntax, escaping every piece of user text itself. That way no poll
question can inject markup or mentions, whatever it contains.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True, slots=True)
class Plain:
    """Literal text (user text included): renderers escape it."""

    text: str


@dataclass(frozen=True, slots=True)
class Bold:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Italic:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Code:
    text: str


@dataclass(frozen=True, slots=True)
class Link:
    children: tuple[Inline, ...]
    url: str


Inline = Union[Plain, Bold, Italic, Code, Link]  # noqa: UP007 - a runtime alias used in isinstance


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One block of inline pieces; line breaks inside are kept as they are."""

    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class BulletList:
    items: tuple[tuple[Inline, ...], ...]


Block = Union[Paragraph, BulletList]  # noqa: UP007


@dataclass(frozen=True, slots=True)
class Rich:
    """A whole message body: blocks separated by blank lines."""

    blocks: tuple[Block, ...]

    def __add__(self, other: Rich) -> Rich:
        return Rich(self.blocks + other.blocks)

    @property
    def plain(self) -> str:
        """The text a screen reader or a text-only client gets."""
        return render(self, PLAIN)


Piece = Union[Inline, str]  # noqa: UP007


def _inline(pieces: Iterable[Piece]) -> tuple[Inline, ...]:
    return tuple(Plain(p) if isinstance(p, str) else p for p in pieces if p != "")


def b(*pieces: Piece) -> Bold:
    return Bold(_inline(pieces))


def i(*pieces: Piece) -> Italic:
    return Italic(_inline(pieces))


def code(text: str) -> Code:
    return Code(text)


def link(text: str, url: str) -> Link:
    return Link((Plain(text),), url)


def p(*pieces: Piece) -> Paragraph:
    return Paragraph(_inline(pieces))


def ul(*items: Iterable[Piece] | Piece) -> BulletList:
    rows = []
    for item in items:
        if isinstance(item, (str, Plain, Bold, Italic, Code, Link)):
            rows.append(_inline([item]))
        else:
            rows.append(_inline(item))
    return BulletList(tuple(rows))


def doc(*blocks: Block | str | None) -> Rich:
    """Build a message; plain strings become paragraphs, None is skipped."""
    return Rich(tuple(p(x) if isinstance(x, str) else x for x in blocks if x is not None))


@dataclass(frozen=True, slots=True)
class Syntax:
    """How one platform writes each formatting piece."""

    escape: Callable[[str], str]
    bold: Callable[[str], str]
    italic: Callable[[str], str]
    code: Callable[[str], str]
    link: Callable[[str, str], str]
    bullet: str = "• "


PLAIN = Syntax(
    escape=lambda s: s,
    bold=lambda s: s,
    italic=lambda s: s,
    code=lambda s: s,
    link=lambda text, url: text if text == url else f"{text} ({url})",
)


def _render_inline(pieces: tuple[Inline, ...], syntax: Syntax) -> str:
    out: list[str] = []
    for piece in pieces:
        if isinstance(piece, Plain):
            out.append(syntax.escape(piece.text))
        elif isinstance(piece, Bold):
            out.append(syntax.bold(_render_inline(piece.children, syntax)))
        elif isinstance(piece, Italic):
            out.append(syntax.italic(_render_inline(piece.children, syntax)))
        elif isinstance(piece, Code):
            out.append(syntax.code(piece.text))
        else:
            out.append(syntax.link(_render_inline(piece.children, syntax), piece.url))
    return "".join(out)


def render_blocks(rich: Rich, syntax: Syntax) -> list[str]:
    """Each block rendered on its own, so adapters can split long messages between blocks."""
    rendered = []
    for block in rich.blocks:
        if isinstance(block, Paragraph):
            rendered.append(_render_inline(block.children, syntax))
        else:
            rendered.append("\n".join(syntax.bullet + _render_inline(item, syntax) for item in block.items))
    return rendered


def render(rich: Rich, syntax: Syntax) -> str:
    return "\n\n".join(render_blocks(rich, syntax))


def split_rendered(blocks: list[str], limit: int) -> list[str]:
    """Group rendered blocks into chunks of at most `limit` characters, cutting inside a block only
    when a single block is longer than the limit (on a line break if there is one)."""
    chunks: list[str] = []
    current = ""
    for block in blocks:
        pieces = [block]
        if len(block) > limit:
            pieces = _cut(block, limit)
        for piece in pieces:
            candidate = piece if not current else current + "\n\n" + piece
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _cut(block: str, limit: int) -> list[str]:
    parts: list[str] = []
    while len(block) > limit:
        at = block.rfind("\n", 0, limit)
        if at <= 0:
            at = block.rfind(" ", 0, limit)
        if at <= 0:
            at = limit
        parts.append(block[:at].rstrip())
        block = block[at:].lstrip()
    if block:
        parts.append(block)
    return parts
