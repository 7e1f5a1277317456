"""A process that sends anonymous consultation answers as the bot does (submit, then a batch when one is
due), for the crash test to kill (SIGKILL): `python -m tests.consultation_crash_worker URL KEY_DIR SLUG N`.
It prints `ack <n>` once resident n's submission call returned (what the resident would be told), and
`done <n>` when resident n had already taken part (sent before a kill, its acknowledgement lost)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from storage import consultations as store
from storage.database import Database


def choice_of(resident: int) -> str:
    return ("tilleul", "platane", "erable")[resident % 3]


async def main(url: str, key_dir: str, slug: str, residents: int) -> None:
    db = Database(url, key_dir=Path(key_dir))
    try:
        consultation = await store.by_slug(db, slug)
        assert consultation is not None
        for resident in range(residents):
            piece = store.AnswerPiece("arbre", option=choice_of(resident))
            try:
                await store.submit(
                    db, consultation, platform="console", user_id=f"resident-{resident}", pieces=[piece],
                    editing=None, min_group=5,
                )  # fmt: skip
            except store.AlreadySubmitted:
                print(f"done {resident}", flush=True)
                continue
            print(f"ack {resident}", flush=True)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
