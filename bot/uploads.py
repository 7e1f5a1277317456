"""How large a file people may send, checked before and while it is read.

The only file civicbot reads is a consultation's YAML (200,000 characters at most), so anything larger is
refused without being downloaded: adapters compare the size the platform announces (a Telegram document's
``file_size``, a Discord attachment's ``size``, a file's size on disk) before fetching anything, and stop
reading a stream as soon as it passes the limit, in case the announcement was missing or wrong. The engine
then answers with the same clear message whichever check stopped it.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Final

MAX_UPLOAD_BYTES: Final = 200_000


def announced_too_large(size: int | None, limit: int = MAX_UPLOAD_BYTES) -> bool:
    """The platform's own figure says the file is over the limit (unknown sizes are checked while reading)."""
    return size is not None and size > limit


async def read_limited(chunks: AsyncIterable[bytes], limit: int = MAX_UPLOAD_BYTES) -> bytes | None:
    """The whole content, or None as soon as it passes ``limit`` (the rest is never read)."""
    data = bytearray()
    async for chunk in chunks:
        data += chunk
        if len(data) > limit:
            return None
    return bytes(data)
