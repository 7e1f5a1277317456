"""Consultation results, computed in SQL: the database aggregates, Python only arranges a few dozen numbers.

A whole consultation takes a handful of queries whatever its size: one for the number of submissions, one
for every per-option count and every question's respondents at once, one for the rank and scale histograms,
and one per `number` question (mean and median). Nothing here ever reads every answer into Python, and the
same SQL runs on SQLite and PostgreSQL, so both give the same figures.

Definitions of the figures (the rendered results, the JSON export and the tests all use these):

- **respondents** of a question: submissions with at least one answer row for it (skipped questions and
  questions hidden by their display condition have none);
- **counts**: per option, the respondents who chose it (single and multiple choice, yes/no; an option of a
  multiple-choice question counts once per respondent who ticked it); for a ranking, how many ranked it;
- **median**: the middle value, or the mean of the two middle values when there is an even number of them
  (what PostgreSQL's `percentile_cont(0.5)` gives); for a scale it is read from the SQL histogram, for a
  number from `ORDER BY number LIMIT 1 or 2 OFFSET (n - 1) / 2`;
- **Borda score** of a ranking option: a resident who ranks it r-th (1 = first) gives it n - r + 1 points,
  where n is the number of options of the question, even if they ranked only some of them; options they
  left unranked get 0 points from them. So a first place is worth n points and every place below one less.

**Small-group protection** (k = `min_group`, the setting `CIVICBOT_MIN_GROUP`, 5 by default): a figure
that rests on fewer than k answers could reveal one person's answer, so it is withheld (None) and the
question says why (`QuestionResult.fewer_than`). `protect` is that one rule:

- a scale's distribution, mean and median, and a number's mean and median, answered by 1 to k − 1
  residents (no answer at all leaves nothing to protect);
- free texts leave the export only once k residents wrote one;
- a filtered view (the submissions whose answer to one question matches a `Condition`) or a row of a
  cross-tabulation smaller than k: every figure about it, its size included; in a filtered view of k or
  more, each question answered by 1 to k − 1 of them, its respondents included.

Counts of choices, yes/no and rankings over the whole consultation are shown whatever their size, as a
poll's tally is: counting answers is their point.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, Table, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.functions import aggregate_strings

from config.settings import DEFAULT_MIN_GROUP
from storage.database import Database
from storage.tables import AnswerRow, Submission

MIN_GROUP = DEFAULT_MIN_GROUP  # k when the caller does not pass the setting's value (tools, tests)


class Kind(StrEnum):
    """How the answers to a question are stored and aggregated; each question type of the bot picks one
    (`register_kind`), so storage knows the aggregates and nothing of the definition's types."""

    ONE_OPTION = "one_option"  # one option id per answer (single choice, yes/no)
    SOME_OPTIONS = "some_options"  # one row per option ticked (multiple choice)
    RANKING = "ranking"  # one row per option ranked, with its rank
    SCALE = "scale"  # a whole number within (lowest, highest): a histogram
    NUMBER = "number"  # any number: mean and median in SQL
    TEXT = "text"  # a text: how many, never what


CHOICE_KINDS = frozenset({Kind.ONE_OPTION, Kind.SOME_OPTIONS})
OPTION_KINDS = CHOICE_KINDS | {Kind.RANKING}
NUMERIC_KINDS = frozenset({Kind.SCALE, Kind.NUMBER})
MULTI_VALUED = frozenset({Kind.SOME_OPTIONS, Kind.RANKING})

KINDS: dict[str, Kind] = {}
"""Question type → its kind, filled by the bot's question types (bot/consultations/questions/)."""
DEFAULT_OPTIONS: dict[str, tuple[str, ...]] = {}
"""Question type → its options when a shape gives none (yes/no: "yes", "no")."""


def register_kind(question_type: str, kind: Kind, options: tuple[str, ...] = ()) -> None:
    """Declare how a question type's answers are aggregated (and its fixed options, if any)."""
    KINDS[question_type] = kind
    if options:
        DEFAULT_OPTIONS[question_type] = options


def kind_of(question_type: str) -> Kind:
    try:
        return KINDS[question_type]
    except KeyError:
        raise ValueError(f"unknown question type {question_type!r}") from None


# (SQLModel sets `__table__` when it builds the class; its type information does not declare it)
ANSWER: Table = AnswerRow.__table__  # type: ignore[attr-defined]  # set by SQLModel, undeclared
SUBMISSION: Table = Submission.__table__  # type: ignore[attr-defined]  # set by SQLModel, undeclared

Op = Literal["==", "!=", "<", "<=", ">", ">="]
NUMERIC_OPS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

_SEPARATOR = "\x1f"  # between the pieces of a multi-valued cell; never in an option id
# One character per position, in ascending order, so pieces sort by position (at most 12 options: plenty).
_PLACES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True, slots=True)
class QuestionShape:
    """What the SQL needs to know about a question. The bot builds it from the definition, so storage stays
    independent of the definition's models. `slots` is how many places a ranking has (all options by
    default); `scale` is (lowest, highest) of a scale."""

    id: str
    type: str
    options: tuple[str, ...] = ()
    scale: tuple[int, int] | None = None
    slots: int | None = None

    def __post_init__(self) -> None:
        kind = kind_of(self.type)
        if not self.options and self.type in DEFAULT_OPTIONS:
            object.__setattr__(self, "options", DEFAULT_OPTIONS[self.type])
        if kind is Kind.SCALE and self.scale is None:
            raise ValueError(f"scale question {self.id!r} needs its (lowest, highest) values")

    @property
    def kind(self) -> Kind:
        return kind_of(self.type)

    @property
    def places(self) -> int:
        """Places of a ranking (the length of each option's rank histogram)."""
        return min(self.slots or len(self.options), len(self.options))


@dataclass(frozen=True, slots=True)
class Condition:
    """Keep the submissions whose answer to `question` matches. Choices, yes/no: `==` chose option `value`,
    `!=` answered without choosing it. Ranking: `==` ranked `value` first, `!=` ranked another option first.
    Scale, number: a numeric comparison with `value`. Free texts cannot be filtered on."""

    question: str
    op: Op
    value: str | float


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """The figures of one question; None means withheld (small-group protection), and `fewer_than` is then
    the threshold they fell short of. Dicts follow the definition's option order; `distribution` lists
    every scale value, lowest first."""

    id: str
    type: str
    respondents: int | None
    counts: dict[str, int | None] = field(default_factory=dict)
    ranks: dict[str, tuple[int, ...] | None] = field(default_factory=dict)  # option → count per place
    borda: dict[str, int | None] = field(default_factory=dict)
    distribution: dict[int, int | None] = field(default_factory=dict)
    mean: float | None = None
    median: float | None = None
    fewer_than: int | None = None  # k, when figures (or free texts) rest on fewer than k answers

    @property
    def kind(self) -> Kind:
        return kind_of(self.type)

    @property
    def withheld(self) -> bool:
        return self.respondents is None

    @property
    def free_texts(self) -> int | None:
        """How many free-text answers (the texts themselves never leave the export)."""
        return self.respondents if self.kind is Kind.TEXT else None

    @property
    def texts_exported(self) -> bool:
        """Free texts go into the export only once k residents wrote one (`protect`)."""
        return self.kind is Kind.TEXT and self.fewer_than is None and self.respondents is not None

    def share(self, count: int | None) -> float | None:
        """A count as a share of this question's respondents (a multiple choice sums to more than 1)."""
        if count is None or not self.respondents:
            return None if count is None else 0.0
        return count / self.respondents

    def borda_order(self) -> list[tuple[str, int | None]]:
        """Options by Borda score, highest first; ties keep the definition's order."""
        order = {option: n for n, option in enumerate(self.borda)}
        return sorted(self.borda.items(), key=lambda item: (-(item[1] or 0), order[item[0]]))


@dataclass(frozen=True, slots=True)
class Results:
    """Every question's figures. `submissions` is the total, or the filtered group's size; None when the
    group is smaller than `min_group` and everything is withheld."""

    consultation_id: int
    submissions: int | None
    questions: tuple[QuestionResult, ...]
    condition: Condition | None = None
    min_group: int = MIN_GROUP

    @property
    def withheld(self) -> bool:
        return self.submissions is None

    def question(self, question_id: str) -> QuestionResult:
        for result in self.questions:
            if result.id == question_id:
                return result
        raise KeyError(question_id)


@dataclass(frozen=True, slots=True)
class CrossTab:
    """Answers to `column` among the residents who chose each option of `row`. A row whose group has
    fewer than `min_group` members is withheld: its size and its cells are None."""

    row: str
    column: str
    groups: dict[str, int | None]
    cells: dict[str, dict[str, int | None]]


# --- aggregates -------------------------------------------------------------------------------------------


async def compute_results(
    db: Database,
    consultation_id: int,
    shapes: Sequence[QuestionShape],
    condition: Condition | None = None,
    *,
    min_group: int = MIN_GROUP,
) -> Results:
    """All the results of a consultation (or of the group a condition selects), in one read transaction."""
    async with db.read() as session:
        return await results_in(
            await session.connection(), consultation_id, shapes, condition, min_group=min_group
        )


async def results_in(
    conn: AsyncConnection,
    consultation_id: int,
    shapes: Sequence[QuestionShape],
    condition: Condition | None = None,
    *,
    min_group: int = MIN_GROUP,
) -> Results:
    """`compute_results` on an open connection: an export reads its figures and rows in one snapshot."""
    group = None if condition is None else _group(consultation_id, shapes, condition)
    if group is None:
        total_query = select(func.count()).where(SUBMISSION.c.consultation_id == consultation_id)
    else:
        total_query = select(func.count()).select_from(group.subquery())
    total = int((await conn.execute(total_query)).scalar_one())
    if group is not None and total < min_group:
        withheld = tuple(_withheld(s, min_group) for s in shapes)
        return Results(consultation_id, None, withheld, condition, min_group)

    where: list[ColumnElement[bool]] = [ANSWER.c.consultation_id == consultation_id]
    if group is not None:
        where.append(ANSWER.c.submission_id.in_(group))
    respondents, counts = await _counts(conn, where)
    histograms = await _histograms(conn, where, [s for s in shapes if s.kind in (Kind.RANKING, Kind.SCALE)])
    numbers = {
        s.id: await _mean_median(conn, where, s.id, respondents.get(s.id, 0))
        for s in shapes
        if s.kind is Kind.NUMBER
    }
    questions = tuple(
        protect(
            _assemble(s, respondents.get(s.id, 0), counts[s.id], histograms[s.id], numbers.get(s.id)),
            min_group,
            filtered=group is not None,
        )
        for s in shapes
    )
    return Results(consultation_id, total, questions, condition, min_group)


async def _counts(
    conn: AsyncConnection, where: list[ColumnElement[bool]]
) -> tuple[dict[str, int], dict[str, dict[str | None, int]]]:
    """Respondents of every question and rows per (question, option), in one pass (index-only on SQLite:
    the index (consultation_id, question, option) carries the primary key, position included). Every answer
    has exactly one row at position 0, so counting those counts respondents, whatever the type."""
    first = func.sum(case((ANSWER.c.position == 0, 1), else_=0))
    query = (
        select(ANSWER.c.question, ANSWER.c.option, func.count(), first)
        .where(*where)
        .group_by(ANSWER.c.question, ANSWER.c.option)
    )
    respondents: dict[str, int] = defaultdict(int)
    counts: dict[str, dict[str | None, int]] = defaultdict(dict)
    for question, option, rows, firsts in (await conn.execute(query)).all():
        respondents[question] += int(firsts or 0)
        counts[question][option] = int(rows)
    return respondents, counts


async def _histograms(
    conn: AsyncConnection, where: list[ColumnElement[bool]], shapes: list[QuestionShape]
) -> dict[str, dict[tuple[Any, ...], int]]:
    """Rows per (option, rank) of the rankings and per value of the scales, all in one query."""
    histograms: dict[str, dict[tuple[Any, ...], int]] = defaultdict(dict)
    if not shapes:
        return histograms
    query = (
        select(ANSWER.c.question, ANSWER.c.option, ANSWER.c.rank, ANSWER.c.number, func.count())
        .where(*where, ANSWER.c.question.in_([s.id for s in shapes]))
        .group_by(ANSWER.c.question, ANSWER.c.option, ANSWER.c.rank, ANSWER.c.number)
    )
    for question, option, rank, number, rows in (await conn.execute(query)).all():
        histograms[question][(option, rank, number)] = int(rows)
    return histograms


async def _mean_median(
    conn: AsyncConnection, where: list[ColumnElement[bool]], question: str, n: int
) -> tuple[float | None, float | None]:
    """Mean and median of a number question in one statement: the median averages the one or two middle
    rows that `ORDER BY number LIMIT … OFFSET (n - 1) / 2` returns (n comes from the counts query)."""
    if n == 0:
        return None, None
    values = [*where, ANSWER.c.question == question, ANSWER.c.number.is_not(None)]
    middle = (
        select(ANSWER.c.number.label("number"))
        .where(*values)
        .order_by(ANSWER.c.number)
        .limit(2 - n % 2)
        .offset((n - 1) // 2)
        .subquery("middle")
    )
    mean = select(func.avg(ANSWER.c.number)).where(*values).scalar_subquery()
    row = (await conn.execute(select(func.avg(middle.c.number), mean))).one()
    return (None if row[1] is None else float(row[1])), (None if row[0] is None else float(row[0]))


def _assemble(
    shape: QuestionShape,
    respondents: int,
    counts: dict[str | None, int],
    histogram: dict[tuple[Any, ...], int],
    number: tuple[float | None, float | None] | None,
) -> QuestionResult:
    kind = shape.kind
    if kind in CHOICE_KINDS:
        return QuestionResult(
            shape.id, shape.type, respondents, counts={o: counts.get(o, 0) for o in shape.options}
        )
    if kind is Kind.RANKING:
        n, places = len(shape.options), shape.places
        ranks: dict[str, list[int]] = {o: [0] * places for o in shape.options}
        for (option, rank, _), rows in histogram.items():
            if option in ranks and rank is not None and 1 <= rank <= places:
                ranks[option][rank - 1] += rows
        borda = {o: sum(c * (n - r) for r, c in enumerate(ranks[o])) for o in shape.options}
        return QuestionResult(
            shape.id,
            shape.type,
            respondents,
            counts={o: counts.get(o, 0) for o in shape.options},
            ranks={o: tuple(c) for o, c in ranks.items()},
            borda=dict(borda),
        )
    if kind is Kind.SCALE:
        assert shape.scale is not None
        low, high = shape.scale
        distribution: dict[int, int | None] = dict.fromkeys(range(low, high + 1), 0)
        for (_, _, value), rows in histogram.items():
            if value is not None:
                key = int(value)
                distribution[key] = (distribution.get(key) or 0) + rows
        distribution = dict(sorted(distribution.items()))
        mean, median = _from_histogram({k: v or 0 for k, v in distribution.items()})
        return QuestionResult(
            shape.id, shape.type, respondents, distribution=distribution, mean=mean, median=median
        )
    if kind is Kind.NUMBER:
        mean, median = number or (None, None)
        return QuestionResult(shape.id, shape.type, respondents, mean=mean, median=median)
    return QuestionResult(shape.id, shape.type, respondents)  # free_text: how many, never what


def _from_histogram(histogram: dict[int, int]) -> tuple[float | None, float | None]:
    """Mean and median from value → count, with the same median rule as `_mean_median`."""
    n = sum(histogram.values())
    if n == 0:
        return None, None
    mean = sum(value * count for value, count in histogram.items()) / n
    wanted = sorted({(n - 1) // 2, n // 2})  # 0-based positions of the middle value(s)
    middle: list[int] = []
    seen = 0
    for value, count in sorted(histogram.items()):
        middle.extend(value for position in wanted if seen <= position < seen + count)
        seen += count
    return mean, sum(middle) / len(middle)


def _withheld(shape: QuestionShape, min_group: int) -> QuestionResult:
    options = shape.options if shape.kind in OPTION_KINDS else ()
    return QuestionResult(
        shape.id,
        shape.type,
        None,
        counts=dict.fromkeys(options),
        ranks=dict.fromkeys(options) if shape.kind is Kind.RANKING else {},
        borda=dict.fromkeys(options) if shape.kind is Kind.RANKING else {},
        distribution=dict.fromkeys(range(shape.scale[0], shape.scale[1] + 1)) if shape.scale else {},
        fewer_than=min_group,
    )


def protect(result: QuestionResult, min_group: int, *, filtered: bool = False) -> QuestionResult:
    """The small-group rule (see the module docstring) applied to one question's figures."""
    n = result.respondents
    if n is None or n >= min_group:
        return result
    if result.kind is Kind.TEXT:  # the texts stay out of the export; a filtered view hides the count too
        return replace(result, respondents=None if filtered and n else n, fewer_than=min_group)
    if n == 0 or (result.kind not in NUMERIC_KINDS and not filtered):
        return result
    return replace(
        result,
        respondents=None if filtered else n,
        counts=dict.fromkeys(result.counts),
        ranks=dict.fromkeys(result.ranks),
        borda=dict.fromkeys(result.borda),
        distribution=dict.fromkeys(result.distribution),
        mean=None,
        median=None,
        fewer_than=min_group,
    )


# --- filtered views and cross-tabulations -----------------------------------------------------------------


def _group(consultation_id: int, shapes: Sequence[QuestionShape], condition: Condition) -> Select[Any]:
    """The submission ids a condition selects, one row each (an aliased table: never correlated)."""
    shape = next((s for s in shapes if s.id == condition.question), None)
    if shape is None:
        raise ValueError(f"no question {condition.question!r} in this consultation")
    f = ANSWER.alias("f")
    base = select(f.c.submission_id).where(f.c.consultation_id == consultation_id, f.c.question == shape.id)
    if shape.kind in OPTION_KINDS:
        if condition.op not in ("==", "!=") or condition.value not in shape.options:
            raise ValueError(f"{shape.type} question {shape.id!r}: use == or != with one of its option ids")
        if shape.kind is Kind.RANKING:
            base = base.where(f.c.rank == 1)
        if condition.op == "==":
            return base.where(f.c.option == condition.value)
        if shape.kind is Kind.SOME_OPTIONS:
            g = ANSWER.alias("g")
            ticked = select(g.c.submission_id).where(
                g.c.consultation_id == consultation_id,
                g.c.question == shape.id,
                g.c.option == condition.value,
            )
            return base.where(f.c.position == 0, f.c.submission_id.not_in(ticked))
        return base.where(f.c.option != condition.value)
    if shape.kind in NUMERIC_KINDS:
        if condition.op not in NUMERIC_OPS or isinstance(condition.value, str):
            raise ValueError(f"{shape.type} question {shape.id!r}: compare it with a number")
        return base.where(NUMERIC_OPS[condition.op](f.c.number, float(condition.value)))
    raise ValueError(f"free-text question {shape.id!r} cannot be filtered on")


async def cross_tabulate(
    db: Database,
    consultation_id: int,
    row: QuestionShape,
    column: QuestionShape,
    *,
    min_group: int = MIN_GROUP,
) -> CrossTab:
    """How the residents who chose each option of `row` answered `column` (both choice or yes/no)."""
    if row.kind not in CHOICE_KINDS or column.kind not in CHOICE_KINDS:
        raise ValueError("cross-tabulate choice and yes/no questions only")
    r, c = ANSWER.alias("r"), ANSWER.alias("c")
    sizes_query = (
        select(r.c.option, func.count())
        .where(r.c.consultation_id == consultation_id, r.c.question == row.id)
        .group_by(r.c.option)
    )
    cells_query = (
        select(r.c.option, c.c.option, func.count())
        .select_from(r.join(c, and_(c.c.submission_id == r.c.submission_id, c.c.question == column.id)))
        .where(r.c.consultation_id == consultation_id, r.c.question == row.id)
        .group_by(r.c.option, c.c.option)
    )
    async with db.read() as session:
        conn = await session.connection()
        sizes = {option: int(n) for option, n in (await conn.execute(sizes_query)).all()}
        found: dict[tuple[str, str], int] = {
            (a, b): int(n) for a, b, n in (await conn.execute(cells_query)).all()
        }
    groups: dict[str, int | None] = {}
    cells: dict[str, dict[str, int | None]] = {}
    for option in row.options:
        size = sizes.get(option, 0)
        shown = size >= min_group
        groups[option] = size if shown else None
        cells[option] = {o: (found.get((option, o), 0) if shown else None) for o in column.options}
    return CrossTab(row.id, column.id, groups, cells)


# --- rows for the export ----------------------------------------------------------------------------------

Cell = str | float | tuple[str, ...] | None


async def respondents_per_question(
    conn: AsyncConnection, consultation_id: int, question_ids: Iterable[str]
) -> dict[str, int]:
    """Respondents of some questions (an index-only count): the export checks free texts with it."""
    ids = list(question_ids)
    if not ids:
        return {}
    query = (
        select(ANSWER.c.question, func.count())
        .where(
            ANSWER.c.consultation_id == consultation_id,
            ANSWER.c.question.in_(ids),
            ANSWER.c.position == 0,
        )
        .group_by(ANSWER.c.question)
    )
    found = {question: int(n) for question, n in (await conn.execute(query)).all()}
    return {question: found.get(question, 0) for question in ids}


async def submission_rows(
    conn: AsyncConnection,
    consultation_id: int,
    shapes: Sequence[QuestionShape],
    *,
    with_text: Iterable[str] = (),
    batch: int = 2000,
) -> AsyncIterator[tuple[str, tuple[Cell, ...]]]:
    """One (submission id, cells) per submission in id order, pivoted in SQL and streamed `batch` rows at a
    time (a server-side cursor), so memory stays flat whatever the size. A cell is an option id, a number, a
    text (only for the questions in `with_text`), the option ids of a multiple choice or a ranking in
    stored order, or None when the question was not answered."""
    texts = set(with_text)
    columns: list[Any] = [SUBMISSION.c.id]
    for shape in shapes:
        mine = ANSWER.c.question == shape.id
        if shape.kind in MULTI_VALUED:
            tagged = func.substr(literal(_PLACES), ANSWER.c.position + 1, 1) + ANSWER.c.option
            columns.append(aggregate_strings(case((mine, tagged)), _SEPARATOR))
        elif shape.kind in NUMERIC_KINDS:
            columns.append(func.max(case((mine, ANSWER.c.number))))
        elif shape.kind is Kind.TEXT:
            columns.append(func.max(case((mine, ANSWER.c.text))) if shape.id in texts else literal(None))
        else:
            columns.append(func.max(case((mine, ANSWER.c.option))))
    query = (
        select(*columns)
        .select_from(SUBMISSION.outerjoin(ANSWER, ANSWER.c.submission_id == SUBMISSION.c.id))
        .where(SUBMISSION.c.consultation_id == consultation_id)
        .group_by(SUBMISSION.c.id)
        .order_by(SUBMISSION.c.id)
        .execution_options(yield_per=batch)
    )
    multi = [n for n, shape in enumerate(shapes) if shape.kind in MULTI_VALUED]
    result = await conn.stream(query)
    async for partition in result.partitions():
        for submission_id, *cells in partition:
            for n in multi:
                cells[n] = _ordered(cells[n])
            yield submission_id, tuple(cells)


def _ordered(joined: str | None) -> tuple[str, ...] | None:
    """ "1b␟0a" → ("a", "b"): string aggregation has no guaranteed order, so each piece starts with its
    position as one character that sorts as the position does."""
    if not joined:
        return None
    return tuple(piece[1:] for piece in sorted(joined.split(_SEPARATOR)))
