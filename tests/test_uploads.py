"""A file over the upload limit is refused with a clear message, without being downloaded: each adapter
reads the size the platform announces first, and stops reading a stream past the limit (bot/uploads.py)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from types import SimpleNamespace

from telegram import File

from adapters.console.adapter import read_at_most
from adapters.discord.inbound import download as discord_download
from adapters.telegram.inbound import download as telegram_download
from bot.uploads import MAX_UPLOAD_BYTES, read_limited
from tests.drivers.base import last
from tests.drivers.console import make_driver
from tests.drivers.discord import discord_driver
from tests.drivers.telegram import running_bot

TWENTY_MB = b"# " + b"x" * (20_000_000 - 3) + b"\n"
REFUSAL = "Ce fichier est trop gros pour une consultation (200 Ko au maximum)."


async def test_a_20_mb_telegram_document_is_refused_without_being_downloaded(tmp_path):
    async with running_bot(tmp_path) as bot:
        await bot.upload("alice", "budget.yaml", TWENTY_MB, chat="@alice")
        assert REFUSAL in bot.messages("@alice")[-1]
        assert bot.fake.calls_to("getFile") == [], "the announced size sufficed: no getFile"
        assert bot.fake.file_bytes_served == 0

        (document,) = [f for f in bot.fake.files.values() if f.kind == "document"]
        url = f"{bot.fake.base_file_url}{bot.fake.token}/{document.file_path}"
        unannounced = File(file_id=document.file_id, file_unique_id="u", file_size=None, file_path=url)
        assert await telegram_download(unannounced) is None, "a size left unsaid is checked while reading"


async def test_a_20_mb_discord_attachment_is_refused_without_being_downloaded(tmp_path):
    async with discord_driver(tmp_path) as discord:
        await discord.upload("alice", "budget.yaml", TWENTY_MB, chat="@alice")
        assert REFUSAL in last(discord, "@alice")
        assert discord.server.attachment_bytes_served == 0

        (stored,) = [a for m in discord.server._messages.values() for a in m.get("attachments", [])]
        understated = SimpleNamespace(url=stored["url"], size=100)  # a size that lies
        assert await discord_download(understated) is None  # type: ignore[arg-type]  # a stand-in attachment


async def test_the_consoles_upload_checks_the_size_on_disk_then_reads_no_further_than_the_limit(tmp_path):
    sparse = tmp_path / "budget.yaml"
    with sparse.open("wb") as handle:
        handle.truncate(20_000_000)  # 20 MB on paper, nothing on disk
    assert read_at_most(sparse) is None

    pipe = tmp_path / "endless.yaml"
    os.mkfifo(pipe)  # its size on disk says 0: only the reading can stop it
    written = 0

    def writer() -> None:
        nonlocal written
        try:
            with pipe.open("wb", buffering=0) as out:
                while written < 20_000_000:
                    written += out.write(b"x" * 65536)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=writer)
    thread.start()
    assert await asyncio.to_thread(read_at_most, pipe) is None
    await asyncio.to_thread(thread.join)
    assert written < 2 * MAX_UPLOAD_BYTES, "the reader stopped just past the limit"

    driver = make_driver(f"sqlite+aiosqlite:///{tmp_path / 'civicbot.db'}", tmp_path)
    await driver.start()
    try:
        await driver.console.upload_file("alice", "@alice", sparse)
        await driver.settle()
        assert REFUSAL in last(driver, "@alice")
    finally:
        await driver.stop()


async def test_reading_a_stream_stops_at_the_first_chunk_past_the_limit():
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(1000):
            pulled += 1
            yield b"x" * 1000

    assert await read_limited(chunks(), limit=5000) is None
    assert pulled == 6
    assert await read_limited(chunks(), limit=1_000_000) == b"x" * 1_000_000
