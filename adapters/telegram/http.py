"""The HTTP client under python-telegram-bot, shaped for a crowd of concurrent requests.

httpcore 1.0 scans its whole queue of waiting requests against every connection each time a request starts
or ends, so hundreds of concurrent callback answers cost quadratic time (the bench showed most of the CPU
there). Requests therefore wait in an asyncio semaphore in front of the pool, never inside it: the pool only
ever sees as many requests as it has connections.
"""

from __future__ import annotations

import asyncio
import ssl
from functools import cache
from typing import Any

import httpx
from telegram.request import HTTPXRequest

CONNECTIONS = 8  # loopback or not, a few keep-alive connections carry hundreds of requests per second


@cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings every Bot API client of the process shares (httpx's defaults): httpx would build them
    for each client, reading the certificate bundle each time, ~25 ms apiece — twice per start of a bot,
    and once per test bot in the test suite."""
    return httpx.create_ssl_context()


class GatedRequest(HTTPXRequest):
    def __init__(self, connections: int = CONNECTIONS, **options: Any) -> None:
        super().__init__(connection_pool_size=connections, httpx_kwargs={"verify": tls_context()}, **options)
        self._gate = asyncio.Semaphore(connections)

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        async with self._gate:
            return await super().do_request(*args, **kwargs)
