"""Consultation results: every figure the results show is reproduced from the exported CSV, on SQLite and
PostgreSQL, for the whole consultation and for filtered views; small groups are withheld."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import statistics
from collections.abc import Callable
from typing import Any

import pytest
from babel.numbers import format_decimal, format_percent

from bench.results import answer_rows, bulk_insert, create_consultation, example_definition, generate
from bot.consultations.definition import ConsultationDefinition
from bot.consultations.exports.answers_csv import export_csv
from bot.consultations.exports.columns import RESPONDENT
from bot.consultations.exports.source import ExportSource
from bot.consultations.questions import NumericQuestion, Question, RankingQuestion, ScaleQuestion
from bot.consultations.results import (
    consultation_results,
    free_text_line,
    option_label,
    render_results,
    scale_label,
    shapes_of,
)
from bot.i18n import Translator, translator
from storage.consultation_results import (
    MIN_GROUP,
    Condition,
    QuestionResult,
    QuestionShape,
    Results,
    compute_results,
    cross_tabulate,
)
from storage.consultations import AnswerPiece, by_id, flush_submissions, submit
from storage.database import Database
from storage.tables import Consultation

DEFINITION = example_definition()
Row = dict[str, str]
_RESIDENTS = itertools.count()


# --- helpers shared with the export tests -----------------------------------------------------------------


async def populate(
    db: Database, definition: ConsultationDefinition, submissions: int, *, seed: int = 3, submitted: int = 8
) -> Consultation:
    """A consultation with random answers: the first `submitted` residents through `submit()` (then written in
    clear, as the close does), the others bulk-inserted (as fast as the benchmark does)."""
    consultation_id = await create_consultation(db, definition)
    consultation = await by_id(db, consultation_id)
    assert consultation is not None
    subs, rows = generate(definition, consultation_id, submissions, seed)
    by_submission: dict[str, list[Any]] = {}
    for row in rows:
        by_submission.setdefault(row[0], []).append(row)
    for n, (sid, _) in enumerate(subs[:submitted]):
        pieces = [
            AnswerPiece(question=q, position=pos, option=o, rank=r, number=num, text=txt)
            for _, q, pos, _, o, r, num, txt in by_submission.get(sid, [])
        ]
        await submit(db, consultation, platform="test", user_id=f"resident{n}", pieces=pieces, editing=None)
    await flush_submissions(db, consultation_id, everything=True)
    rest = {sid for sid, _ in subs[submitted:]}
    await bulk_insert(db.url, subs[submitted:], [row for row in rows if row[0] in rest])
    return consultation


async def submit_answers(db: Database, consultation: Consultation, answers: list[dict[str, Any]]) -> None:
    """Each dict is one resident's answers (question id → Answer), submitted the way the engine does, then
    written in clear as the close does first."""
    questions = {q.id: q for q in DEFINITION.questions}
    assert consultation.id is not None
    for answer_set in answers:
        pieces = [
            AnswerPiece(question=q, position=pos, option=o, rank=r, number=num, text=txt)
            for qid, answer in answer_set.items()
            for _, q, pos, _, o, r, num, txt in answer_rows("", consultation.id, questions[qid], answer)
        ]
        user = f"resident{next(_RESIDENTS)}"
        await submit(db, consultation, platform="test", user_id=user, pieces=pieces, editing=None)
    await flush_submissions(db, consultation.id, everything=True)


def read_csv(
    data: bytes, definition: ConsultationDefinition = DEFINITION, language: str = "fr"
) -> tuple[list[str], list[Row]]:
    """(column ids, rows) of an exported CSV, read back as a program does with the JSON's `columns` and
    definition: each header label to its question id, each cell's labels to option ids, decimal commas to
    points. Every row must have as many cells as the header."""
    assert data.startswith(codecs.BOM_UTF8), "UTF-8 with a BOM"
    separator, decimal = (";", ",") if language == "fr" else (",", ".")
    header, *lines = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=separator)
    t = translator(language)
    labels = [f"{n}. {q.text.get(language)}" for n, q in enumerate(definition.questions, start=1)]
    assert header[1:] == labels, "one header row of question labels"
    ids = [RESPONDENT, *(q.id for q in definition.questions)]
    rows = []
    for line in lines:
        assert len(line) == len(header), line
        cells = [
            _cell_back(q, cell, t, decimal) for q, cell in zip(definition.questions, line[1:], strict=True)
        ]
        rows.append(dict(zip(ids, [line[0], *cells], strict=True)))
    return ids, rows


def _cell_back(question: Question, cell: str, t: Translator, decimal: str) -> str:
    """A labelled cell as the ids it stands for ("Oui" → "yes", "À pied; En bus" → "walk; bus")."""
    if not cell or not question.option_ids:
        return cell.replace(decimal, ".") if isinstance(question, NumericQuestion) else cell
    ids = {question.option_label(option, t): option for option in question.option_ids}
    separator = " > " if question.type == "ranking" else "; "
    return separator.join(ids[label] for label in cell.split(separator))


def expected_from_csv(definition: ConsultationDefinition, rows: list[Row]) -> dict[str, dict[str, Any]]:
    """Every aggregate, recomputed in Python from the CSV cells (the reference the SQL must match)."""
    out: dict[str, dict[str, Any]] = {}
    for question in definition.questions:
        cells = [row[question.id] for row in rows if row[question.id] != ""]
        figures: dict[str, Any] = {"respondents": len(cells)}
        kind = question.type
        if kind in ("single_choice", "yes_no"):
            figures["counts"] = {o: cells.count(o) for o in question.option_ids}
        elif kind == "multiple_choice":
            chosen = [cell.split("; ") for cell in cells]
            figures["counts"] = {o: sum(o in c for c in chosen) for o in question.option_ids}
        elif isinstance(question, RankingQuestion):
            rankings = [cell.split(" > ") for cell in cells]
            options = question.option_ids
            n = len(options)
            figures["counts"] = {o: sum(o in r for r in rankings) for o in options}
            figures["ranks"] = {
                o: tuple(sum(r[p] == o for r in rankings if len(r) > p) for p in range(question.ranked_count))
                for o in options
            }
            figures["borda"] = {o: sum(n - r.index(o) for r in rankings if o in r) for o in options}
        elif kind in ("scale", "number"):
            values = [float(cell) for cell in cells]
            figures["mean"] = statistics.fmean(values) if values else None
            figures["median"] = statistics.median(values) if values else None
            if isinstance(question, ScaleQuestion):
                figures["distribution"] = {
                    v: sum(x == v for x in values) for v in range(question.min, question.max + 1)
                }
        out[question.id] = figures
    return out


def check_against_csv(
    definition: ConsultationDefinition, results: Results, rows: list[Row], language: str = "fr"
) -> None:
    """The SQL figures equal the CSV's, and the rendered message shows them, formatted for `language`."""
    t = translator(language)
    text = render_results(definition, results, t).plain
    expected = expected_from_csv(definition, rows)
    assert results.submissions == len(rows)
    assert format_decimal(len(rows), format="#,##0.##", locale=language) in text
    for question in definition.questions:
        result = results.question(question.id)
        want = expected[question.id]
        assert result.respondents == want["respondents"], question.id
        check_figures(question, result, want, text, language)
        check_shares(question, want, text, t, language)
        check_borda(question, want, text, t, language)
        if question.type == "free_text":
            check_free_text(question, result, want, rows, text, t, language)


def check_figures(
    question: Question, result: QuestionResult, want: dict[str, Any], text: str, language: str
) -> None:
    """Counts, ranks, points, distribution, mean and median equal the CSV's; the message shows the means."""
    for key in ("counts", "ranks", "borda", "distribution"):
        if key in want:
            assert getattr(result, key) == want[key], (question.id, key)
    for key in ("mean", "median"):
        if key in want:
            assert result_value(result, key) == pytest.approx(want[key], rel=1e-9), (question.id, key)
            if want[key] is not None:
                assert format_decimal(want[key], format="#,##0.##", locale=language) in text


def check_shares(question: Question, want: dict[str, Any], text: str, t: Translator, language: str) -> None:
    """The message has a "label: count (share)" line per option (not for a ranking) and per scale value."""
    respondents = want["respondents"]
    for option, count in want.get("counts", {}).items() if question.type != "ranking" else ():
        share = format_percent(count / respondents if respondents else 0, locale=language)
        line = t._(
            "{label}: {count} ({share})",
            label=option_label(question, option, t),
            count=count,
            share=share,
        )
        assert line in text, line
    for value, count in want.get("distribution", {}).items():
        assert isinstance(question, ScaleQuestion), "only a scale has a distribution"
        share = format_percent(count / respondents if respondents else 0, locale=language)
        label = scale_label(question, value, t)
        line = t._("{label}: {count} ({share})", label=label, count=count, share=share)
        assert line in text, line


def check_borda(question: Question, want: dict[str, Any], text: str, t: Translator, language: str) -> None:
    """The message shows each option's points next to its label."""
    for option, points in want.get("borda", {}).items():
        label = option_label(question, option, t)
        number = format_decimal(points, format="#,##0.##", locale=language)
        assert any(label in line and f"{number} point" in line for line in text.splitlines()), (
            label,
            points,
        )


def check_free_text(
    question: Question,
    result: QuestionResult,
    want: dict[str, Any],
    rows: list[Row],
    text: str,
    t: Translator,
    language: str,
) -> None:
    """The message counts a free-text question's respondents, and never shows the texts themselves."""
    number = format_decimal(want["respondents"], format="#,##0.##", locale=language)
    line = free_text_line(result, t)
    assert line in text.splitlines() and line.startswith(number + " ")
    for row in rows:  # the texts themselves never reach a chat message
        if row[question.id]:
            assert row[question.id] not in text


def result_value(result: Any, key: str) -> Any:
    return getattr(result, key)


# --- the whole consultation -------------------------------------------------------------------------------


async def test_every_figure_is_reproduced_from_the_exported_csv(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 300)
    assert consultation.id is not None
    results = await consultation_results(db, consultation.id, DEFINITION)
    _, rows = read_csv(await export_csv(ExportSource(db, consultation, DEFINITION)))
    assert len(rows) == 300
    check_against_csv(DEFINITION, results, rows, "fr")
    check_against_csv(DEFINITION, results, rows, "en")


@pytest.mark.parametrize(
    ("condition", "keep"),
    [
        (Condition("pietonne", "==", "yes"), lambda r: r["pietonne"] == "yes"),
        (Condition("pietonne", "!=", "yes"), lambda r: r["pietonne"] not in ("", "yes")),
        (Condition("transport", "==", "car"), lambda r: "car" in r["transport"].split("; ")),
        (
            Condition("transport", "!=", "walk"),
            lambda r: r["transport"] and "walk" not in r["transport"].split("; "),
        ),
        (
            Condition("satisfaction", "<=", 2),
            lambda r: r["satisfaction"] != "" and int(r["satisfaction"]) <= 2,
        ),
        (Condition("satisfaction", ">", 3), lambda r: r["satisfaction"] != "" and int(r["satisfaction"]) > 3),
        (Condition("age", ">=", 50), lambda r: r["age"] != "" and float(r["age"]) >= 50),
        (Condition("priorites", "==", "arbres"), lambda r: r["priorites"].split(" > ")[0] == "arbres"),
        (
            Condition("priorites", "!=", "arbres"),
            lambda r: r["priorites"] and r["priorites"].split(" > ")[0] != "arbres",
        ),
    ],
    ids=lambda value: "" if callable(value) else f"{value.question}{value.op}{value.value}",
)
async def test_filtered_views_are_reproduced_from_the_csv(
    db: Database, condition: Condition, keep: Callable[[Row], bool]
) -> None:
    consultation = await populate(db, DEFINITION, 200, seed=11, submitted=3)
    assert consultation.id is not None
    _, rows = read_csv(await export_csv(ExportSource(db, consultation, DEFINITION)))
    group = [row for row in rows if keep(row)]
    assert len(group) >= MIN_GROUP, "the data should make a group big enough to be shown"
    results = await consultation_results(db, consultation.id, DEFINITION, condition)
    assert results.condition == condition
    check_against_csv(DEFINITION, results, group, "en")


async def test_an_empty_consultation_has_zero_counts_and_no_means(db: Database) -> None:
    consultation_id = await create_consultation(db, DEFINITION)
    results = await consultation_results(db, consultation_id, DEFINITION)
    assert results.submissions == 0
    satisfaction = results.question("satisfaction")
    assert satisfaction.respondents == 0 and satisfaction.mean is None and satisfaction.median is None
    assert set(satisfaction.distribution.values()) == {0}
    assert results.question("age").median is None
    assert results.question("priorites").borda == dict.fromkeys(
        DEFINITION.question("priorites").option_ids, 0
    )
    assert "0 resident" in render_results(DEFINITION, results, translator("en")).plain


async def test_medians_of_even_and_odd_counts_are_the_same_on_both_backends(db: Database) -> None:
    consultation_id = await create_consultation(db, DEFINITION)
    consultation = await by_id(db, consultation_id)
    assert consultation is not None
    ages = [70, 18, 31, 45]  # even: (31 + 45) / 2
    scales = [5, 1, 2, 4]  # even: (2 + 4) / 2
    await submit_answers(
        db, consultation, [{"age": a, "satisfaction": s} for a, s in zip(ages, scales, strict=True)]
    )
    results = await consultation_results(db, consultation_id, DEFINITION, min_group=1)  # 4 answers: shown
    assert results.question("age").median == 38.0
    assert results.question("age").mean == pytest.approx(41.0)
    assert results.question("satisfaction").median == 3.0
    assert results.question("satisfaction").mean == 3.0
    await submit_answers(db, consultation, [{"age": 99, "satisfaction": 1}])  # odd: the middle one
    results = await consultation_results(db, consultation_id, DEFINITION)  # 5 answers: shown with k = 5
    assert results.question("age").median == 45.0
    assert results.question("satisfaction").median == 2.0


async def test_borda_scores_follow_the_documented_rule(db: Database) -> None:
    consultation_id = await create_consultation(db, DEFINITION)
    consultation = await by_id(db, consultation_id)
    assert consultation is not None
    # 6 options, 3 ranked: first = 6 points, second = 5, third = 4, unranked = 0
    await submit_answers(
        db,
        consultation,
        [
            {"priorites": ("arbres", "bancs", "jeux")},
            {"priorites": ("bancs", "arbres", "halle")},
            {"priorites": ("arbres", "halle", "bancs")},
        ],
    )
    result = (await consultation_results(db, consultation_id, DEFINITION)).question("priorites")
    assert result.borda == {
        "arbres": 6 + 5 + 6,
        "bancs": 5 + 6 + 4,
        "jeux": 4,
        "fontaine": 0,
        "terrasses": 0,
        "halle": 4 + 5,
    }
    assert result.ranks["arbres"] == (2, 1, 0)
    assert [option for option, _ in result.borda_order()][:3] == ["arbres", "bancs", "halle"]
    text = render_results(
        DEFINITION, Results(consultation_id, 3, (result,)), translator("en"), questions=["priorites"]
    )
    assert "a first place is worth 6 points" in text.plain
    assert "3. A covered market hall: 9 points" in text.plain
    assert "5. A fountain or water play: 0 points" in text.plain  # tied: the same place
    assert "5. Café terraces: 0 points" in text.plain


# --- small-group protection -------------------------------------------------------------------------------


async def _residents(db: Database, pedestrian_no: int, pedestrian_yes: int = 6) -> tuple[Consultation, int]:
    consultation_id = await create_consultation(db, DEFINITION)
    consultation = await by_id(db, consultation_id)
    assert consultation is not None
    answers = [
        {"frequence": "daily", "pietonne": "no", "satisfaction": 1, "idees": f"idée numéro {n}"}
        for n in range(pedestrian_no)
    ]
    answers += [{"frequence": "weekly", "pietonne": "yes", "satisfaction": 4} for _ in range(pedestrian_yes)]
    await submit_answers(db, consultation, answers)
    return consultation, consultation_id


async def test_a_filtered_group_of_four_is_withheld(db: Database) -> None:
    _, consultation_id = await _residents(db, pedestrian_no=4)
    for condition in (Condition("pietonne", "==", "no"), Condition("satisfaction", "<=", 2)):
        results = await consultation_results(db, consultation_id, DEFINITION, condition)
        assert results.withheld and results.submissions is None
        for result in results.questions:
            assert result.respondents is None
            assert all(v is None for v in result.counts.values())
            assert all(v is None for v in result.distribution.values())
            assert all(v is None for v in result.borda.values())
            assert result.mean is None and result.median is None
        message = render_results(DEFINITION, results, translator("en"))
        assert "Fewer than 5 residents" in message.plain and "withheld" in message.plain
        assert len(message.blocks) == 3  # title, whom it counts, why nothing more: no figure at all


async def test_a_filtered_group_of_five_is_shown(db: Database) -> None:
    _, consultation_id = await _residents(db, pedestrian_no=5)
    results = await consultation_results(db, consultation_id, DEFINITION, Condition("pietonne", "==", "no"))
    assert results.submissions == 5
    assert results.question("frequence").counts["daily"] == 5
    assert results.question("satisfaction").distribution[1] == 5
    assert "5 residents took part" in render_results(DEFINITION, results, translator("en")).plain


async def test_cross_tabulation_withholds_the_rows_of_small_groups(db: Database) -> None:
    _, consultation_id = await _residents(db, pedestrian_no=4, pedestrian_yes=5)
    shapes = {shape.id: shape for shape in shapes_of(DEFINITION)}
    table = await cross_tabulate(db, consultation_id, shapes["pietonne"], shapes["frequence"])
    assert table.groups == {"yes": 5, "no": None}
    assert table.cells["yes"] == {"daily": 0, "weekly": 5, "market-day": 0, "rarely": 0}
    assert table.cells["no"] == dict.fromkeys(("daily", "weekly", "market-day", "rarely"))


async def test_free_texts_are_counted_but_never_shown_in_the_message(db: Database) -> None:
    _, consultation_id = await _residents(db, pedestrian_no=4)
    results = await consultation_results(db, consultation_id, DEFINITION)
    idees = results.question("idees")
    assert idees.free_texts == 4 and not idees.texts_exported
    text = render_results(DEFINITION, results, translator("en")).plain
    assert "4 free-text answers (left out of the export until 5 residents have answered)" in text
    assert "idée numéro" not in text


# --- conditions that make no sense ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        Condition("idees", "==", "x"),  # free text
        Condition("pietonne", "<=", 1),  # order on yes/no
        Condition("frequence", "==", "never"),  # no such option
        Condition("satisfaction", "==", "yes"),  # a scale compares with numbers
        Condition("nope", "==", "yes"),  # no such question
    ],
)
async def test_meaningless_conditions_are_refused(db: Database, condition: Condition) -> None:
    consultation_id = await create_consultation(db, DEFINITION)
    with pytest.raises(ValueError):
        await compute_results(db, consultation_id, shapes_of(DEFINITION), condition)


def test_a_scale_shape_needs_its_bounds() -> None:
    with pytest.raises(ValueError):
        QuestionShape("q", "scale")
    with pytest.raises(ValueError):
        QuestionShape("q", "essay")
    assert QuestionShape("q", "yes_no").options == ("yes", "no")
