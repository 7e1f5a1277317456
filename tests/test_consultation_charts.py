"""Result charts: PNG, the same bytes for the same figures, every figure in the text alternative. (How quick
they are to draw is measured by `python -m bench.charts`, not here.)"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from babel.numbers import format_decimal, format_percent

from bench.charts import sample_results
from bench.results import example_definition
from bot.consultations.charts import (
    TITLE_WRAP,
    consultation_charts,
    question_chart,
    render_png,
    wrapped_lines,
)
from bot.consultations.definition import load_definition
from bot.consultations.questions import RankingQuestion, ScaleQuestion
from bot.consultations.results import Bar, render_results, scale_label
from bot.i18n import translator
from storage.consultation_results import QuestionResult, Results, protect

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DEFINITION = example_definition()


def png_chunks(data: bytes) -> list[bytes]:
    assert data.startswith(PNG_MAGIC)
    chunks, offset = [], len(PNG_MAGIC)
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        assert struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])[0] == zlib.crc32(
            kind + body
        )
        chunks.append(kind)
        offset += 12 + length
    return chunks


def test_one_png_per_choice_scale_and_ranking_question() -> None:
    charts = consultation_charts(DEFINITION, sample_results(), translator("fr"))
    assert [c.filename for c in charts] == [
        "01-frequence.png",
        "02-transport.png",
        "03-satisfaction.png",
        "05-pietonne.png",
        "06-stationnement.png",
        "07-priorites.png",
        "08-marche-travaux.png",
    ]
    for chart in charts:
        assert chart.media_type == "image/png" and chart.is_image
        chunks = png_chunks(chart.data)
        assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND"
        width = struct.unpack(">I", chart.data[16:20])[0]
        assert width == 1080  # a phone screen's width, drawn at that size: nothing to zoom


def test_charts_are_deterministic_and_carry_no_date_or_version() -> None:
    first = consultation_charts(DEFINITION, sample_results(), translator("fr"))
    second = consultation_charts(DEFINITION, sample_results(), translator("fr"))
    assert [c.data for c in first] == [c.data for c in second]
    for chart in first:
        assert b"tIME" not in png_chunks(chart.data)
        assert b"atplotlib" not in chart.data and b"2026" not in chart.data


def test_other_figures_give_other_bytes() -> None:
    results = sample_results()
    t = translator("fr")
    chart = question_chart(DEFINITION.question("pietonne"), results.question("pietonne"), t)
    other = question_chart(
        DEFINITION.question("pietonne"),
        QuestionResult("pietonne", "yes_no", 1234, counts={"yes": 801, "no": 433}),
        t,
    )
    assert chart is not None and other is not None and chart.data != other.data


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_text_alternative_carries_every_figure(language: str) -> None:
    t = translator(language)
    results = sample_results()
    charts = {c.filename.split("-", 1)[1][:-4]: c for c in consultation_charts(DEFINITION, results, t)}
    for question_id, chart in charts.items():
        question = DEFINITION.question(question_id)
        result = results.question(question_id)
        alt = chart.alt_text
        assert result.respondents is not None, "the sample withholds nothing"
        assert question.text.get(language) in alt
        assert format_decimal(result.respondents, locale=language) in alt
        if isinstance(question, RankingQuestion):
            for option, points in result.borda.items():
                assert points is not None
                assert question.option(option).label(language) in alt
                assert f"{format_decimal(points, locale=language)} points" in alt
            continue
        figures: dict[Any, int | None] = result.distribution if result.type == "scale" else result.counts
        for key, count in figures.items():
            assert count is not None
            share = format_percent(count / result.respondents, locale=language)
            assert f"{format_decimal(count, locale=language)} ({share})" in alt, (key, count)
            if isinstance(question, ScaleQuestion):
                assert scale_label(question, key, t) in alt
        if isinstance(question, ScaleQuestion):
            assert result.mean is not None and result.median is not None
            assert format_decimal(result.mean, format="#,##0.##", locale=language) in alt
            assert format_decimal(result.median, format="#,##0.##", locale=language) in alt


def test_french_numbers_in_figures() -> None:
    chart = question_chart(
        DEFINITION.question("pietonne"), sample_results().question("pietonne"), translator("fr")
    )
    assert chart is not None
    assert "800 (65\u00a0%)" in chart.alt_text
    assert "1\u202f234" in chart.alt_text  # 1 234 answers
    english = question_chart(
        DEFINITION.question("pietonne"), sample_results().question("pietonne"), translator("en")
    )
    assert english is not None and "800 (65%)" in english.alt_text and "1,234" in english.alt_text


def test_numbers_free_texts_and_withheld_views_get_no_chart() -> None:
    results = sample_results()
    t = translator("fr")
    assert question_chart(DEFINITION.question("age"), results.question("age"), t) is None
    assert question_chart(DEFINITION.question("idees"), results.question("idees"), t) is None
    withheld = Results(1, None, tuple(QuestionResult(q.id, q.type, None) for q in results.questions))
    assert consultation_charts(DEFINITION, withheld, t) == []


def test_markup_and_long_texts_are_drawn_as_written() -> None:
    long_question = (
        "Combien $x$ pour le projet « $$ » ? Une question très longue qui doit passer à la ligne plusieurs "
        "fois sans jamais sortir de l'image, même sur un petit écran, avec des mots_sans_espaces_très_longs"
    )
    long_option = "Entre $5 et $10, une option au texte long qui doit passer à la ligne"
    source = f"""
id: budget-test
title: Budget
description: Test
thanks: Merci
closes: "2030-01-01 12:00"
questions:
  - id: montant
    type: single_choice
    text: "{long_question}"
    options:
      - {{id: a, text: "5 $ ou moins"}}
      - {{id: b, text: "{long_option}"}}
"""
    definition = load_definition(source, t=translator("en"))
    result = QuestionResult("montant", "single_choice", 7, counts={"a": 7, "b": 0})
    chart = question_chart(definition.questions[0], result, translator("fr"))
    assert chart is not None and chart.data.startswith(PNG_MAGIC)
    assert "5 $ ou moins : 7 (100" in chart.alt_text or "5 $ ou moins: 7 (100" in chart.alt_text


def test_render_png_handles_no_bars_and_zero_values() -> None:
    assert render_png("Titre", "0 réponse", []).startswith(PNG_MAGIC)
    assert render_png("Titre", "0 réponse", [Bar("a", 0, "0", "0 %"), Bar("b", 0, "—")]).startswith(PNG_MAGIC)


# --- the small-group threshold ----------------------------------------------------------------------------

FEW_SATISFIED = QuestionResult(
    "satisfaction", "scale", 2, distribution={1: 0, 2: 1, 3: 0, 4: 1, 5: 0}, mean=3.0, median=3.0
)


@pytest.mark.parametrize(
    ("language", "fewer"), [("en", "fewer than 5 answers"), ("fr", "moins de 5 réponses")]
)
def test_a_scale_answered_by_fewer_than_k_shows_fewer_than_k_answers_in_its_chart(
    language: str, fewer: str
) -> None:
    t = translator(language)
    question = DEFINITION.question("satisfaction")
    shown = question_chart(question, FEW_SATISFIED, t)
    chart = question_chart(question, protect(FEW_SATISFIED, 5), t)
    assert shown is not None and chart is not None and chart.data.startswith(PNG_MAGIC)
    assert chart.data != shown.data, "the image itself no longer draws the two answers"
    assert fewer in chart.alt_text
    assert format_percent(0.5, locale=language) not in chart.alt_text  # "1 (50 %)" per answered value
    assert format_decimal(3, locale=language) + " (" not in chart.alt_text
    for word in ("mean", "moyenne", "median", "médiane"):
        assert word not in chart.alt_text
    fewer_than_3 = question_chart(question, protect(FEW_SATISFIED, 3), translator("en"))
    assert fewer_than_3 is not None and "fewer than 3 answers" in fewer_than_3.alt_text
    assert question_chart(question, protect(FEW_SATISFIED, 2), t) == shown, "2 answers, k = 2: shown"


def test_the_threshold_withholds_numbers_and_filtered_counts_but_not_whole_choice_counts() -> None:
    age = protect(QuestionResult("age", "number", 1, mean=42.0, median=42.0), 5)
    assert (age.respondents, age.mean, age.median, age.fewer_than) == (1, None, None, 5)
    nobody = QuestionResult("age", "number", 0)
    assert protect(nobody, 5) == nobody, "no answer: no figure to protect"
    choice = QuestionResult("pietonne", "yes_no", 2, counts={"yes": 1, "no": 1})
    assert protect(choice, 5) == choice, "counting answers is a tally's point, as a poll's"
    filtered = protect(choice, 5, filtered=True)
    assert filtered.respondents is None and filtered.counts == {"yes": None, "no": None}
    assert question_chart(DEFINITION.question("pietonne"), filtered, translator("en")) is None
    texts = protect(QuestionResult("idees", "free_text", 4), 5)
    assert texts.respondents == 4 and not texts.texts_exported


def test_the_message_says_fewer_than_k_answers_instead_of_a_mean() -> None:
    questions = (
        protect(QuestionResult("age", "number", 1, mean=42.0, median=42.0), 5),
        protect(FEW_SATISFIED, 5),
    )
    text = render_results(
        DEFINITION, Results(1, 2, questions), translator("fr"), questions=["age", "satisfaction"]
    ).plain
    assert "moins de 5 réponses" in text
    assert "42" not in text and "moyenne" not in text and "médiane" not in text
    assert "50 %" not in text.replace("\u202f", " ").replace("\xa0", " ")
    assert text.count("ne sont pas publiés") == 1, "the message says why, once"


@pytest.mark.parametrize(
    ("title", "kept"),
    [
        ("Le bal de la fête du village dure jusqu à 23 h ?", "23 h ?"),
        ("Quelle heure pour la réunion publique : 19 h 00 ?", "19 h 00 ?"),
        ("Le bal de la fête du village peut durer 23 h ?", "23 h ?"),
    ],
)
def test_a_chart_title_never_parts_a_number_from_its_unit_nor_leaves_a_question_mark_alone(title, kept):
    lines = wrapped_lines(title, TITLE_WRAP, 8)
    assert " ".join(lines) == title, "nothing lost"
    assert any(kept in line for line in lines), lines
    assert not any(line.startswith(("h", "?", "00")) for line in lines), lines
