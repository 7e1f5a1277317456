"""Consultation results at scale: all the aggregates of a 10-question consultation, and the CSV export.

The consultation is config/examples/place-du-marche.yaml: ten questions of every type, with display
conditions and optional questions. Answers are random but plausible (conditions followed, optional
questions skipped at times) and bulk-inserted (executemany on SQLite, COPY on PostgreSQL), not submitted
one by one. Each timing opens a fresh `Database`, as the bot does after a restart, and reports the median
of `--runs` runs ("results ms", "CSV ms": the whole CSV streamed); "first ms" is the first run of the
results (SQLite's page cache empty).

    python -m bench.results [--submissions 10000 --submissions 100000] [--backend sqlite] [--runs 3]
                            [--index current|proposed|both] [--json]

`--index proposed` adds the index the results would like (PROPOSED_INDEX, not in the migrations yet)
before timing: it covers rank and number, so every aggregate is read from the index alone.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import median, report, throwaway_database
from bot.consultations.definition import (
    ConsultationDefinition,
    FreeTextQuestion,
    MultipleChoiceQuestion,
    NumberQuestion,
    Question,
    RankingQuestion,
    ScaleQuestion,
    definition_to_json,
    load_definition,
)
from bot.consultations.exports.answers_csv import csv_chunks
from bot.consultations.exports.source import ExportSource
from bot.consultations.results import consultation_results
from bot.i18n import translator
from storage.consultations import save_consultation
from storage.database import Database
from storage.tables import Consultation

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "examples" / "place-du-marche.yaml"
PROPOSED_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_answer_values ON answer (consultation_id, question, option, rank, number)"
)
ANSWER_COLUMNS = (
    "submission_id",
    "question",
    "position",
    "consultation_id",
    "option",
    "rank",
    "number",
    "text",
)
WORDS = (
    "place",
    "marché",
    "arbres",
    "bancs",
    "ombre",
    "vélo",
    "parking",
    "fontaine",
    "halle",
    "bruit",
    "propreté",
)
AnswerTuple = tuple[str, str, int, int, str | None, int | None, float | None, str | None]


def example_definition() -> ConsultationDefinition:
    return load_definition(EXAMPLE.read_text(encoding="utf-8"), t=translator("en"))


# --- random answers ---------------------------------------------------------------------------------------


def random_answer(question: Question, rng: random.Random) -> Any:
    """A valid answer to `question`, in the engine's `Answer` shapes, skewed so results are not uniform."""
    if isinstance(question, MultipleChoiceQuestion):
        ids = question.option_ids
        count = rng.randint(question.min_choices, question.choice_limit)
        chosen = set(rng.choices(ids, weights=range(len(ids), 0, -1), k=count * 2)[:count])
        return tuple(option for option in ids if option in chosen)
    if isinstance(question, RankingQuestion):
        order = list(question.option_ids)
        rng.shuffle(order)
        order.sort(key=lambda option: rng.random() * (1 + question.option_ids.index(option)))
        return tuple(order[: question.ranked_count])
    if isinstance(question, ScaleQuestion):
        return min(
            question.max,
            max(question.min, round(rng.triangular(question.min, question.max, question.max - 1))),
        )
    if isinstance(question, NumberQuestion):
        low, high = question.min or 0, question.max or 100
        value = rng.triangular(low, high, min(max(40, low), high))
        return round(value) if question.integer else round(value, 1)
    if isinstance(question, FreeTextQuestion):
        return " ".join(rng.choices(WORDS, k=rng.randint(3, 12))).capitalize() + "."
    if question.type == "yes_no":
        return "yes" if rng.random() < 0.6 else "no"
    ids = question.option_ids  # (the remaining types all have options)
    return rng.choices(ids, weights=range(len(ids), 0, -1))[0]


def random_answers(
    definition: ConsultationDefinition, rng: random.Random, skip: float = 0.15
) -> dict[str, Any]:
    """One resident's answers: hidden questions unanswered, optional ones skipped with probability `skip`."""
    answers: dict[str, Any] = {}
    for question in definition.questions:
        if not definition.is_visible(question, answers):
            continue
        if question.optional and rng.random() < skip:
            continue
        answers[question.id] = random_answer(question, rng)
    return answers


def answer_rows(
    submission_id: str, consultation_id: int, question: Question, answer: Any
) -> Iterator[AnswerTuple]:
    """The `answer` rows of one answer, laid out as storage stores them (see storage.tables.AnswerRow)."""
    qid = question.id
    if question.type in ("multiple_choice", "ranking"):
        ranked = question.type == "ranking"
        for position, option in enumerate(answer):
            yield (
                submission_id,
                qid,
                position,
                consultation_id,
                option,
                position + 1 if ranked else None,
                None,
                None,
            )
    elif question.type in ("scale", "number"):
        yield (submission_id, qid, 0, consultation_id, None, None, float(answer), None)
    elif question.type == "free_text":
        yield (submission_id, qid, 0, consultation_id, None, None, None, str(answer))
    else:
        yield (submission_id, qid, 0, consultation_id, str(answer), None, None, None)


def generate(
    definition: ConsultationDefinition, consultation_id: int, submissions: int, seed: int = 7
) -> tuple[list[tuple[str, int]], list[AnswerTuple]]:
    """(submission rows, answer rows) for `submissions` random residents."""
    rng = random.Random(seed)
    subs: list[tuple[str, int]] = []
    rows: list[AnswerTuple] = []
    questions = {q.id: q for q in definition.questions}
    for _ in range(submissions):
        sid = base64.urlsafe_b64encode(rng.randbytes(9)).decode()
        subs.append((sid, consultation_id))
        for qid, answer in random_answers(definition, rng).items():
            rows.extend(answer_rows(sid, consultation_id, questions[qid], answer))
    return subs, rows


# --- loading ----------------------------------------------------------------------------------------------


async def create_consultation(db: Database, definition: ConsultationDefinition, source: str = "") -> int:
    import json

    now = datetime(2026, 12, 1, tzinfo=UTC)
    row = Consultation(
        slug=definition.id,
        title=definition.title.get("fr"),
        definition=json.dumps(definition_to_json(definition), ensure_ascii=False),
        source=source,
        anonymous=definition.anonymous,
        results_public=definition.results_public,
        timezone=definition.timezone,
        opens_at=definition.opens_at,
        closes_at=definition.closes_at,
        created_at=now,
    )
    saved = await save_consultation(db, row, actor="bench", now=now)
    assert saved.id is not None
    return saved.id


async def bulk_insert(url: str, subs: list[tuple[str, int]], rows: list[AnswerTuple]) -> None:
    """executemany in one transaction on SQLite, COPY on PostgreSQL; then fresh planner statistics."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.split("///", 1)[1])
        with connection:
            connection.executemany("INSERT INTO submission (id, consultation_id) VALUES (?, ?)", subs)
            columns, marks = ", ".join(ANSWER_COLUMNS), ", ".join("?" * len(ANSWER_COLUMNS))
            connection.executemany(f"INSERT INTO answer ({columns}) VALUES ({marks})", rows)
        connection.execute("ANALYZE")
        connection.close()
        return
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.copy_records_to_table("submission", records=subs, columns=["id", "consultation_id"])
        await connection.copy_records_to_table("answer", records=rows, columns=list(ANSWER_COLUMNS))
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def add_proposed_index(url: str) -> None:
    db = Database(url)
    async with db.write() as session:
        await session.execute(text(PROPOSED_INDEX))
    async with db.write() as session:
        await session.execute(text("ANALYZE"))
    await db.dispose()


# --- timing -----------------------------------------------------------------------------------------------


async def time_results(url: str, consultation_id: int, definition: ConsultationDefinition) -> float:
    db = Database(url)
    try:
        started = time.perf_counter()
        results = await consultation_results(db, consultation_id, definition)
        elapsed = time.perf_counter() - started
    finally:
        await db.dispose()
    assert results.submissions
    return elapsed


async def time_export(
    url: str, consultation_id: int, definition: ConsultationDefinition
) -> tuple[float, int]:
    db = Database(url)
    try:
        consultation = await db_consultation(db, consultation_id)
        size = 0
        started = time.perf_counter()
        async for chunk in csv_chunks(ExportSource(db, consultation, definition)):
            size += len(chunk)
        elapsed = time.perf_counter() - started
    finally:
        await db.dispose()
    return elapsed, size


async def db_consultation(db: Database, consultation_id: int) -> Consultation:
    from storage.consultations import by_id

    found = await by_id(db, consultation_id)
    assert found is not None
    return found


async def one_size(backend: str, submissions: int, index: str, runs: int) -> dict[str, Any]:
    definition = example_definition()
    async with throwaway_database(backend) as url:
        db = Database(url)
        await db.migrate()
        consultation_id = await create_consultation(db, definition)
        await db.dispose()
        subs, rows = generate(definition, consultation_id, submissions)
        started = time.perf_counter()
        await bulk_insert(url, subs, rows)
        load = time.perf_counter() - started
        if index == "proposed":
            await add_proposed_index(url)
        results = [await time_results(url, consultation_id, definition) for _ in range(runs)]
        exports = [await time_export(url, consultation_id, definition) for _ in range(runs)]
    return {
        "backend": backend,
        "index": index,
        "submissions": submissions,
        "rows": len(rows),
        "insert s": load,
        "results ms": median(results) * 1000,
        "first ms": results[0] * 1000,
        "CSV ms": median([e[0] for e in exports]) * 1000,
        "CSV MB": exports[0][1] / 1e6,
        "runs": runs,
    }


async def main_async(args: argparse.Namespace) -> None:
    indexes = ["current", "proposed"] if args.index == "both" else [args.index]
    rows = []
    for backend in args.backend or ["sqlite", "postgresql"]:
        for index in indexes:
            for submissions in args.submissions or [10_000, 100_000]:
                rows.append(await one_size(backend, submissions, index, args.runs))
    report(
        "civicbot consultation results: every aggregate of 10 questions, and the CSV export",
        [
            "backend",
            "index",
            "submissions",
            "rows",
            "results ms",
            "first ms",
            "CSV ms",
            "CSV MB",
            "insert s",
            "runs",
        ],
        rows,
        as_json=args.json,
        extra={
            "goals": {"results_ms": 1000, "csv_export_ms": 3000},
            "proposed_index": PROPOSED_INDEX,
            "load_average_at_end": os.getloadavg()[0],  # other work on the machine skews the timings
        },
    )


def main() -> None:
    os.environ.setdefault("COLUMNS", "150")  # rich's table is 80 columns wide when not on a terminal
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--submissions", type=int, action="append")
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--index", choices=["current", "proposed", "both"], default="both")
    parser.add_argument("--json", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
