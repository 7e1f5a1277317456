"""The key store: where the keys that anonymity destroys live, outside the database. Several processes of one
deployment share it, so creating a key must be atomic (one vote per resident depends on everyone computing
the same pseudonym), and destroying one must leave nothing to read."""

from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path

import pytest

from storage.keystore import KEY_BYTES, KeyStore, default_directory


def _obtain_in_another_process(directory: str, name: str, results: multiprocessing.Queue) -> None:
    results.put(asyncio.run(KeyStore(Path(directory)).obtain(name)))


async def test_two_processes_asking_for_a_new_key_at_once_get_the_same_one(tmp_path: Path):
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()
    workers = [
        context.Process(target=_obtain_in_another_process, args=(str(tmp_path), f"poll-{n % 2}", results))
        for n in range(6)
    ]
    for worker in workers:
        worker.start()
    keys = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert len(set(keys)) == 2, "three processes per name, one key per name"
    store = KeyStore(tmp_path)
    assert {store.get("poll-0"), store.get("poll-1")} == set(keys)
    assert store.names() == ["poll-0", "poll-1"], "no temporary file is left behind"


async def test_a_key_is_kept_across_restarts_and_gone_for_good_once_destroyed(tmp_path: Path):
    key = await KeyStore(tmp_path).obtain("consultation-3")
    assert len(key) == KEY_BYTES
    assert await KeyStore(tmp_path).obtain("consultation-3") == key, "a new process finds the same key"
    await KeyStore(tmp_path).destroy("consultation-3", "never-existed")
    assert KeyStore(tmp_path).get("consultation-3") is None
    assert KeyStore(tmp_path).names() == [], "the file is removed"
    assert await KeyStore(tmp_path).obtain("consultation-3") != key, "asking again makes a new key"


async def test_a_key_file_is_readable_by_its_owner_only(tmp_path: Path):
    store = KeyStore(tmp_path / "keys")
    await store.obtain("poll-1")
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "keys" / "poll-1").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("name", ["", "../setting", "Poll-1", "poll/1", ".hidden", "poll 1", "x" * 97])
async def test_a_name_that_could_leave_the_folder_or_hide_in_it_is_refused(tmp_path: Path, name: str):
    store = KeyStore(tmp_path)
    with pytest.raises(ValueError):
        await store.obtain(name)
    with pytest.raises(ValueError):
        store.get(name)


async def test_a_key_moved_in_from_elsewhere_does_not_replace_an_existing_one(tmp_path: Path):
    store = KeyStore(tmp_path)
    assert store.keep("poll-7", b"k" * KEY_BYTES) == b"k" * KEY_BYTES
    assert store.keep("poll-7", b"j" * KEY_BYTES) == b"k" * KEY_BYTES
    with pytest.raises(ValueError):
        store.keep("poll-8", b"short")


def test_each_database_has_a_key_folder_of_its_own(tmp_path: Path):
    assert default_directory(f"sqlite+aiosqlite:///{tmp_path}/civicbot.db") == tmp_path / "civicbot.db.keys"
    one = default_directory("postgresql+asyncpg://postgres@127.0.0.1:5432/town")
    other = default_directory("postgresql+asyncpg://postgres@127.0.0.1:5432/village")
    assert one != other and one.parent == other.parent == Path("civicbot-keys")
