"""An anonymous consultation against someone who copies the database, as issue 15 puts it: the SQLite files
(`-wal` and `-shm` included), or on PostgreSQL every heap and index page (dead rows included, read with
pageinspect) and the write-ahead log, at any moment after a resident sent their answers. They must not learn
which resident wrote which answers better than chance (within the batch their answers were written in), nor
anything of a draft."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage import consultations as store
from storage.database import Database
from storage.drafts import draft_key_name, opened
from storage.tables import Consultation, ConsultationDraft
from tests.sql import execute
from tests.standalone_engine import START

K = 5  # the small-group threshold, min_group's default
RESIDENTS = 12
SUBMIT_ORDER = [3, 7, 0, 11, 5, 9, 1, 10, 2, 6, 4, 8]  # they started in the order 0, 1, …, 11


async def anonymous_consultation(db: Database) -> Consultation:
    row = Consultation(
        slug="place", title="Place", definition="{}", source="", anonymous=True,
        closes_at=START + timedelta(days=30), created_at=START,
    )  # fmt: skip
    return await store.save_consultation(db, row, actor="console:alice", now=START)


async def start_draft(db: Database, consultation: Consultation, user_id: str, words: str) -> None:
    """What the flow saves after a typed answer."""
    await store.save_draft(
        db,
        ConsultationDraft(
            consultation_id=consultation.id or 0, platform="console", user_id=user_id,
            answers=f'{{"texte": "{words}"}}', updated_at=START,
        ),
    )  # fmt: skip


async def send(db: Database, consultation: Consultation, user_id: str, words: str) -> str | None:
    """What the flow does on "Send my answers" (the batch, if one is due, included)."""
    _, receipt = await store.submit(
        db, consultation, platform="console", user_id=user_id,
        pieces=[store.AnswerPiece("texte", text=words)], editing=None, min_group=K,
    )  # fmt: skip
    return receipt


async def close(db: Database, consultation: Consultation) -> None:
    assert await store.close_consultation(db, consultation.id or 0, now=START, actor="civicbot", min_group=K)


# -- what a thief reads --------------------------------------------------------------------------------------


def sqlite_files(db: Database) -> bytes:
    path = Path(make_url(db.url).database or "")
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


async def pg_pages(db: Database) -> list[tuple[str, int, bytes]]:
    """(relation, block, raw page) of every table, TOAST table and index of the database's public schema."""
    pages: list[tuple[str, int, bytes]] = []
    async with db.write_engine.connect() as connection:
        await connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        relations = (
            await connection.execute(
                text(
                    "SELECT c.oid::regclass::text, "
                    "pg_relation_size(c.oid) / current_setting('block_size')::int "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 't', 'i') AND (n.nspname = 'public' OR c.oid IN "
                    "(SELECT t.reltoastrelid FROM pg_class t JOIN pg_namespace tn ON tn.oid = t.relnamespace "
                    "WHERE tn.nspname = 'public'))"
                )
            )
        ).all()
        for relation, blocks in relations:
            for block in range(blocks):
                raw = await connection.execute(
                    text("SELECT get_raw_page(:r, :b)"), {"r": relation, "b": block}
                )
                pages.append((relation, block, bytes(raw.scalar_one())))
        await connection.commit()
    return pages


async def pg_wal_since(db: Database, since: float) -> bytes | None:
    """The server's write-ahead log segments written since `since`, or None when this process may not read
    them (the test then says so)."""
    async with db.read() as session:
        directory = Path((await execute(session, text("SHOW data_directory"))).scalar_one()) / "pg_wal"
    try:
        segments = [p for p in directory.iterdir() if p.is_file() and p.stat().st_mtime >= since - 2]
        return b"".join(p.read_bytes() for p in segments)
    except OSError:
        return None


async def readable(db: Database, *, since: float) -> bytes:
    """Everything the thief gets, as bytes: the files on SQLite; every page and the log on PostgreSQL."""
    if db.is_sqlite:
        return sqlite_files(db)
    wal = await pg_wal_since(db, since)
    return b"".join(page for _, _, page in await pg_pages(db)) + (wal or b"")


# -- (a) nothing in clear before its batch, a draft never ----------------------------------------------------


async def test_a_resident_s_words_are_in_no_database_byte_before_their_batch_and_their_draft_never(
    db: Database,
):
    """Bob types a first answer (a draft), changes his mind, sends another. While the consultation is open
    neither text is in any byte the thief can copy (files, pages with their dead rows, write-ahead log): the
    draft and the waiting submission are sealed. After the close only the sent text is there, in `answer`
    pages; the draft's text never was; the keys never entered the database and are gone."""
    since = time.time()
    if db.is_postgres and await pg_wal_since(db, since) is None:
        pytest.skip("this process may not read the server's pg_wal: run the test on the database's machine")
    consultation = await anonymous_consultation(db)
    cid = consultation.id or 0
    drafted = f"brouillon-{secrets.token_hex(6)} mon voisin du 12".encode()
    sent = f"envoyé-{secrets.token_hex(6)} plus de bancs".encode()
    await start_draft(db, consultation, "bob-4242", drafted.decode())
    await start_draft(db, consultation, "bob-4242", sent.decode())
    draft_key = db.keys.get(draft_key_name(cid, "console", "bob-4242"))
    async with db.read() as session:
        sealed_draft = await session.get(ConsultationDraft, (cid, "console", "bob-4242"))
    assert draft_key is not None and sealed_draft is not None and sealed_draft.answers == "{}"
    assert sealed_draft.sealed is not None and drafted not in sealed_draft.sealed
    await send(db, consultation, "bob-4242", sent.decode())
    consultation_key = db.keys.get(store.consultation_key_name(cid))
    assert consultation_key is not None
    assert db.keys.get(draft_key_name(cid, "console", "bob-4242")) is None, "sent: the draft's key is gone"

    while_open = await readable(db, since=since)
    assert drafted not in while_open and drafted.decode("utf-8") not in while_open.decode("latin-1")
    assert sent not in while_open, "waiting for its batch, sealed"
    assert draft_key not in while_open and consultation_key not in while_open, "keys never in the database"

    await close(db, consultation)
    after = await readable(db, since=since)
    assert drafted not in after, "the draft's words were never in clear"
    assert sent in after, "the answer, once its batch is written"
    assert draft_key not in after and consultation_key not in after
    if db.is_postgres:
        holding = {relation for relation, _, page in await pg_pages(db) if sent in page}
        assert holding == {"answer"}, "in answer rows only, which hold no resident id"
    assert db.keys.get(store.consultation_key_name(cid)) is None, "the close destroyed the key"
    assert opened(db.keys, sealed_draft) is None, "a copy of the sealed draft no longer opens"


# -- (b) ordering channels --------------------------------------------------------------------------------


def correct(participants: list[str], submissions: list[str], truth: dict[str, str]) -> int:
    """Attributions right when the i-th participant is taken for the author of the i-th submission."""
    return sum(truth[person] == words for person, words in zip(participants, submissions, strict=False))


async def twelve_residents(db: Database) -> tuple[Consultation, dict[str, str]]:
    """12 residents start answering in one order, send in another, each words of their own; then the close."""
    consultation = await anonymous_consultation(db)
    truth = {f"resident-{n:02d}": f"mot-{n:02d}-{secrets.token_hex(5)}" for n in range(RESIDENTS)}
    people = sorted(truth)
    for person in people:
        await start_draft(db, consultation, person, "…")
    for n in SUBMIT_ORDER:
        await send(db, consultation, people[n], truth[people[n]])
    await close(db, consultation)
    return consultation, truth


async def written_words(db: Database, consultation: Consultation, order_by: str) -> list[str]:
    async with db.read() as session:
        query = text(
            f"SELECT a.text FROM answer a JOIN submission s ON s.id = a.submission_id "
            f"WHERE a.consultation_id = :c ORDER BY {order_by}"
        )
        return list((await execute(session, query, params={"c": consultation.id})).scalars())


def physical_order(data: bytes, truth: dict[str, str]) -> list[str]:
    """The words in the order they first appear in the bytes."""
    return sorted(truth.values(), key=lambda words: data.find(words.encode()))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # (PostgreSQL's channels: the next test)
async def test_no_ordering_in_the_files_tells_which_resident_wrote_which_answers_on_sqlite(
    db: Database, db_url: str
):
    """The thief takes the i-th participant (in `participation`'s rowid order, the order they sent) for the
    author of the i-th answers, in each order the file has: where each text lies in the file, the b-tree
    order of the submissions' ids. A random match of 12 gets 7 or more right with probability 8.3e-5:
    more than 6 right fails."""
    consultation, truth = await twelve_residents(db)
    async with db.read() as session:
        query = text("SELECT user_id FROM participation WHERE consultation_id = :c ORDER BY rowid")
        participants = list((await execute(session, query, params={"c": consultation.id})).scalars())
    assert [participants.index(sorted(truth)[n]) for n in SUBMIT_ORDER] == list(range(RESIDENTS)), (
        "the rowid does record the order they sent (what the thief starts from)"
    )
    channels = {
        "place in the files": physical_order(sqlite_files(db), truth),
        "submission id order": await written_words(db, consultation, "s.id"),
        "answer key order": await written_words(db, consultation, "a.submission_id, a.question"),
    }
    for channel, order in channels.items():
        assert sorted(order) == sorted(truth.values()), channel
        assert correct(participants, order, truth) <= 6, channel


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
async def test_no_transaction_id_row_address_or_page_tells_which_resident_wrote_which_answers_on_postgresql(
    db: Database,
):
    """On PostgreSQL the thief also has each row's transaction (`xmin`), its address (`ctid`), and the raw
    pages with the dead versions of rows. No submission or answer row shares a transaction with a
    participation row. Attributing the i-th participant (by `xmin`) to the i-th answers in each order (by
    `xmin` then `ctid`, by `ctid`, by place in the raw pages) gets 7 or more right with probability 8.3e-5
    for a random match: more than 6 fails. Knowing the batch each participant's sealed row went to (its dead
    version's `xmax`), matching inside each batch (5 then 7 residents) gets 9 or more right with
    probability 2.0e-4: more than 8 fails, and every batch must mix at least k = 5 residents."""
    consultation, truth = await twelve_residents(db)
    cid = consultation.id
    async with db.read() as session:
        taking_part = (
            await execute(
                session,
                text(
                    "SELECT user_id, xmin::text::bigint FROM participation WHERE consultation_id = :c "
                    "ORDER BY xmin::text::bigint"
                ),
                params={"c": cid},
            )
        ).all()
        written = (
            await execute(
                session,
                text(
                    "SELECT s.xmin::text::bigint FROM submission s WHERE s.consultation_id = :c UNION ALL "
                    "SELECT a.xmin::text::bigint FROM answer a WHERE a.consultation_id = :c"
                ),
                params={"c": cid},
            )
        ).scalars()
    participants = [user for user, _ in taking_part]
    assert not {xmin for _, xmin in taking_part} & set(written), "no clear row in a resident's transaction"

    pages = await pg_pages(db)
    answer_pages = b"".join(page for relation, _, page in pages if relation == "answer")
    channels = {
        "submission xmin, ctid": await written_words(
            db, consultation, "s.xmin::text::bigint, (s.ctid::text::point)[0], (s.ctid::text::point)[1]"
        ),
        "answer ctid": await written_words(
            db, consultation, "(a.ctid::text::point)[0], (a.ctid::text::point)[1]"
        ),
        "place in the raw pages": physical_order(answer_pages, truth),
        "place in every page": physical_order(b"".join(page for _, _, page in pages), truth),
    }
    for channel, order in channels.items():
        assert sorted(order) == sorted(truth.values()), channel
        assert correct(participants, order, truth) <= 6, channel

    # the dead sealed rows: inserted by a participant's transaction, deleted by a batch's
    async with db.write_engine.connect() as connection:
        blocks = (
            await connection.execute(
                text("SELECT pg_relation_size('sealed_submission') / current_setting('block_size')::int")
            )
        ).scalar_one()
        dead = (
            await connection.execute(
                text(
                    "SELECT t_xmin::text::bigint, t_xmax::text::bigint FROM generate_series(0, :n - 1) b, "
                    "heap_page_items(get_raw_page('sealed_submission', b::int)) WHERE t_xmin IS NOT NULL"
                ),
                {"n": blocks},
            )
        ).all()
        await connection.commit()
    assert not {xmin for xmin, _ in dead} & set(written), "nor in the one that wrote a sealed row"
    # (the participation row is written in a savepoint: its xmin is a subtransaction's; in one process both
    # orders are the order of sending, which is how the thief pairs them)
    batch_of = dict(zip([xmin for _, xmin in taking_part], [xmax for _, xmax in sorted(dead)], strict=True))
    batches: dict[int, list[str]] = {}
    for user, xmin in taking_part:
        batches.setdefault(batch_of[xmin], []).append(user)
    assert sorted(len(members) for members in batches.values()) == [K, RESIDENTS - K], (
        "a batch of all but k when 2k waited, then the close's"
    )
    right = 0
    for batch, members in batches.items():
        async with db.read() as session:
            query = text(
                "SELECT a.text FROM answer a JOIN submission s ON s.id = a.submission_id "
                "WHERE s.xmin::text::bigint = :x ORDER BY (s.ctid::text::point)[0], (s.ctid::text::point)[1]"
            )
            order = list((await execute(session, query, params={"x": batch})).scalars())
        assert len(order) == len(members), "each batch wrote exactly its members' answers"
        right += correct(members, order, truth)
    assert right <= 8, "within batches, no better than chance"


def test_the_chance_bounds_stated_above():
    """P(≥ 7 fixed points of a random permutation of 12) and P(≥ 9 for independent ones of 5 and 7)."""
    from math import comb, factorial

    def exactly(n: int, fixed: int) -> float:
        derangements = round(
            factorial(n - fixed) * sum((-1) ** k / factorial(k) for k in range(n - fixed + 1))
        )
        return comb(n, fixed) * derangements / factorial(n)

    twelve = sum(exactly(12, j) for j in range(7, 13))
    batches = sum(exactly(5, a) * exactly(7, b) for a in range(6) for b in range(8) if a + b >= 9)
    assert round(twelve, 7) == 8.31e-5 and round(batches, 5) == 2.0e-4


# -- what a waiting row shows ------------------------------------------------------------------------------


async def test_a_waiting_submission_shows_neither_its_answers_nor_its_receipt(db: Database):
    """The sealed row holds a random id, the consultation and a padded ciphertext: the receipt's hash, which
    the batch writes in clear later, is not in it in clear (it would tie the clear row to the participant's
    transaction)."""
    consultation = await anonymous_consultation(db)
    receipt = await send(db, consultation, "bob", "une réponse")
    assert receipt is not None
    async with db.read() as session:
        [row] = (await execute(session, text("SELECT sealed FROM sealed_submission"))).all()
    hashed = store.receipt_hash(receipt, "console:bob").encode()
    assert hashed not in bytes(row[0]) and b"une r" not in bytes(row[0])
    assert len(bytes(row[0])) in (12 + 256 + 16, 12 + 512 + 16), "padded: its length tells little"
    assert re.fullmatch(r"[A-Za-z0-9_-]{12}", (await _waiting_ids(db))[0])


async def _waiting_ids(db: Database) -> list[str]:
    async with db.read() as session:
        return [row.id for row in (await execute(session, text("SELECT id FROM sealed_submission"))).all()]


async def test_keys_of_closed_consultations_left_by_a_crash_are_destroyed_at_the_next_start(db: Database):
    """A stop between the close's commit and the keys' destruction: the next start destroys them."""
    consultation = await anonymous_consultation(db)
    cid = consultation.id or 0
    await start_draft(db, consultation, "bob", "…")
    await send(db, consultation, "carol", "oui")
    async with db.write() as session:  # closed, as if the process stopped before destroying the keys
        row = await session.get(Consultation, cid)
        assert row is not None
        row.closed_at = START
        session.add(row)
    swept = await store.sweep_consultation_keys(db)
    assert set(swept) == {store.consultation_key_name(cid), draft_key_name(cid, "console", "bob")}
    assert db.keys.names() == []


async def test_forget_destroys_the_key_of_a_resident_s_sealed_draft(db: Database):
    """/forget erases Bob's draft row and destroys its key: a copy of the row no longer opens."""
    from storage.consultations_personal_data import erase, gather
    from storage.personal_data import Account, forgetting

    consultation = await anonymous_consultation(db)
    cid = consultation.id or 0
    await start_draft(db, consultation, "bob", "mon idée")
    bob = Account("console", "bob", "console:private:bob")
    async with db.read() as session:
        [(shown, _)] = (await gather(db, session, bob)).drafts
    assert shown.answers == '{"texte": "mon idée"}', "/mydata shows the draft, opened"
    async with db.read() as session:
        copy = await session.get(ConsultationDraft, (cid, "console", "bob"))
    assert copy is not None

    async def forget_bob(session):  # (what /forget runs for consultations)
        erased = await erase(session, bob, b"k" * 32)
        return erased, erased.keys

    await forgetting(db, forget_bob)
    assert db.keys.get(draft_key_name(cid, "console", "bob")) is None
    assert opened(db.keys, copy) is None


async def test_submissions_racing_the_close_are_counted_by_it_or_refused(db: Database):
    """Residents send while the consultation closes: each is either counted in the announced results (the
    close writes every waiting submission before it reads them) or told it closed; none is left sealed."""
    consultation = await anonymous_consultation(db)
    cid = consultation.id or 0
    for n in range(3):
        await send(db, consultation, f"early-{n}", "avant")
    counted: list[int] = []

    async def announce() -> list:
        counted.append(await store.submission_count(db, cid))
        async with db.read() as session:
            counted.append((await execute(session, text("SELECT count(*) FROM submission"))).scalar_one())
        return []

    async def late(n: int) -> bool:
        try:
            await send(db, consultation, f"late-{n}", "pendant")
        except store.ConsultationClosed:
            return False
        return True

    outcomes = await asyncio.gather(
        *(late(n) for n in range(6)),
        store.close_consultation(db, cid, now=START, actor="civicbot", announce=announce, min_group=K),
    )
    accepted = sum(1 for outcome in outcomes[:-1] if outcome)
    assert outcomes[-1] is True
    assert counted == [3 + accepted, 3 + accepted], "the announcement counted every accepted submission"
    assert await _waiting_ids(db) == []
