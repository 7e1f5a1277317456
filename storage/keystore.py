"""Keys kept outside the database, so that destroying one is real.

Whatever a database once held survives in places nobody controls: SQLite's write-ahead log and free pages,
PostgreSQL's dead rows, its WAL archive and every base backup. A secret that must disappear (an anonymous
poll's key at its close, the key that seals an anonymous consultation's drafts and pending answers) therefore
never enters the database: it lives here, one small file per key in a directory of its own, and the database
keeps only what is useless without it (keyed pseudonyms, sealed blobs). This is crypto-shredding: destroying
the file makes every copy of what it protected unreadable, wherever that copy is.

Several processes of one deployment (a split deployment, restarts) share the directory: `obtain` creates a
key atomically (the first writer wins, everyone reads its key), so one vote per resident holds whichever
process records it. `destroy` overwrites the file with zeros, syncs it, then removes it; a copy-on-write file
system or an SSD may still keep the old block, which is why the README asks for the key directory to stay out
of backups and on the bot's own disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

KEY_BYTES = 32
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,95}$")


def default_directory(url: str) -> Path:
    """Where a database's keys live unless the setting `key_dir` says: beside a SQLite file
    (`civicbot.db.keys`), or for a server database in `civicbot-keys/<server>-<database>` of the working
    directory. Two databases never share keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "civicbot.db").resolve()
        return path.with_name(path.name + ".keys")
    server = f"{parsed.get_backend_name()}-{parsed.host or 'local'}-{parsed.port or 'default'}"
    return Path("civicbot-keys") / f"{server}-{parsed.database}"


def _check(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a key name: {name!r}")
    return name


class KeyStore:
    """A directory of random keys, named by what they protect (`poll-12`, `consultation-3`)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get(self, name: str) -> bytes | None:
        """The key, or None when it never existed or was destroyed."""
        try:
            key = (self.directory / _check(name)).read_bytes()
        except FileNotFoundError:
            return None
        return key if len(key) == KEY_BYTES else None  # (a file being created is never read half-written)

    async def obtain(self, name: str) -> bytes:
        """The key, created now if it does not exist yet; on disk before this returns."""
        existing = self.get(name)
        if existing is not None:
            return existing
        return await asyncio.to_thread(self._create, _check(name))

    async def destroy(self, *names: str) -> None:
        """Destroy these keys (those that do not exist are skipped): overwritten, synced, then removed."""
        if names:
            await asyncio.to_thread(self._destroy, [_check(name) for name in names])

    def names(self, prefix: str = "") -> list[str]:
        """Every key whose name starts with `prefix`."""
        if not self.directory.is_dir():
            return []
        return sorted(
            p.name for p in self.directory.iterdir() if p.name.startswith(prefix) and _NAME.match(p.name)
        )

    def keep(self, name: str, key: bytes) -> bytes:
        """Store a key made elsewhere (a migration moving keys out of the database); an existing one wins."""
        if len(key) != KEY_BYTES:
            raise ValueError(f"a key has {KEY_BYTES} bytes")
        return self._create(_check(name), key)

    def _create(self, name: str, key: bytes | None = None) -> bytes:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = self.directory / name
        temporary = self.directory / f".{name}.{secrets.token_hex(8)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, key if key is not None else secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs is the key
            os.link(temporary, final)
        os.unlink(temporary)
        self._sync_directory()
        kept = self.get(name)
        assert kept is not None
        return kept

    def _destroy(self, names: list[str]) -> None:
        for name in names:
            path = self.directory / name
            try:
                fd = os.open(path, os.O_WRONLY)
            except FileNotFoundError:
                continue
            try:
                os.write(fd, bytes(KEY_BYTES))
                os.fsync(fd)
            finally:
                os.close(fd)
            with contextlib.suppress(FileNotFoundError):  # (another process destroyed it meanwhile)
                path.unlink()
        self._sync_directory()

    def _sync_directory(self) -> None:
        """Make a file's creation or removal durable (a crash must not bring a destroyed key back)."""
        with contextlib.suppress(FileNotFoundError):
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
