"""The spreadsheet and the printable report of a consultation: what a town hall opens in Excel or LibreOffice,
and what it prints for the town council, read back as they are (openpyxl, the HTML text)."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from bot.consultations.charts import consultation_charts
from bot.consultations.exports.answers_csv import export_csv, number_text
from bot.consultations.exports.report import export_report, render_report
from bot.consultations.exports.source import ExportSource
from bot.consultations.exports.workbook import export_xlsx, sheet_name
from bot.consultations.fields import LocalizedText
from bot.consultations.figures import summary, why_withheld
from bot.consultations.results import consultation_results
from bot.i18n import translator
from storage.database import Database
from tests.test_consultation_export import _consultation, _source
from tests.test_consultation_results import DEFINITION, populate, submit_answers

FR = translator("fr")
QUESTIONS = [f"{n}. {q.text.fr}" for n, q in enumerate(DEFINITION.questions, start=1)]


def _workbook(data: bytes) -> Workbook:
    assert data.startswith(b"PK"), "an XLSX file is a zip"
    return load_workbook(io.BytesIO(data))


def _rows(workbook: Workbook, name: str) -> list[tuple[Any, ...]]:
    return list(workbook[name].iter_rows(values_only=True))


def _figures(workbook: Workbook, number: int) -> dict[str, tuple[Any, ...]]:
    """A question's sheet as label → the figures on its row (the table under the summary)."""
    name = sheet_name(QUESTIONS[number - 1])
    return {row[0]: row[1:] for row in _rows(workbook, name) if row[0] is not None}


# --- the workbook -----------------------------------------------------------------------------------------


async def test_the_workbook_has_the_answers_a_sheet_of_figures_per_question_and_one_about_it(
    db: Database,
) -> None:
    consultation = await populate(db, DEFINITION, 30, submitted=3)
    assert consultation.id is not None
    workbook = _workbook(await export_xlsx(_source(db, consultation)))
    assert workbook.sheetnames == ["Réponses", *(sheet_name(q) for q in QUESTIONS), "À propos"]
    assert workbook.sheetnames[1] == "1. À quelle fréquence venez-vo…", "31 characters at most"
    assert workbook.sheetnames[9] == "9. Quel âge avez-vous (faculta…", "no “?” in a sheet name"

    answers = _rows(workbook, "Réponses")
    table = list(
        csv.reader(
            io.StringIO((await export_csv(_source(db, consultation))).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert list(answers[0]) == table[0], "the same header as the CSV: labels"
    assert len(answers) == len(table) == 31
    for sheet_row, csv_row in zip(answers[1:], table[1:], strict=True):
        as_text = [
            "" if v is None else number_text(float(v), ",") if isinstance(v, int | float) else v
            for v in sheet_row
        ]
        assert as_text == csv_row, "the same cells, numbers as numbers"
    assert any(isinstance(row[3], int | float) for row in answers[1:]), "a scale is a number to compute with"
    assert workbook["Réponses"].freeze_panes == "B2" and workbook["Réponses"].auto_filter.ref == "A1:K31"

    results = await consultation_results(db, consultation.id, DEFINITION)
    frequence = results.question("frequence")
    figures = _figures(workbook, 1)
    count, share_of = figures["Tous les jours ou presque"][:2]
    assert count == frequence.counts["daily"]
    assert share_of == pytest.approx(frequence.share(frequence.counts["daily"]))
    share = next(c for c in workbook[workbook.sheetnames[1]]["C"] if isinstance(c.value, float))
    assert share.number_format == "0%", "shares show as percentages"
    priorites = results.question("priorites")
    ranking = _rows(workbook, workbook.sheetnames[7])
    header = next(n for n, row in enumerate(ranking) if row[0] == "Option")
    assert ranking[header] == (
        "Option",
        "Points (méthode de Borda)",
        "Habitants qui l'ont classé",
        "Classé n° 1",
        "Classé n° 2",
        "Classé n° 3",
    )
    first = ranking[header + 1]
    best, points = priorites.borda_order()[0]
    assert first[0] == DEFINITION.question("priorites").option_label(best, FR) and first[1] == points
    assert first[3:] == priorites.ranks[best], "as the chart orders them: by Borda score"
    satisfaction = _figures(workbook, 3)
    assert (
        satisfaction["Moyenne"][0] == pytest.approx(results.question("satisfaction").mean)
        and "1 (Pas du tout)" in satisfaction
    )

    about = {row[0]: row[1] for row in _rows(workbook, "À propos") if row[0] is not None}
    assert about["Consultation"] == "Réaménagement de la place du marché"
    assert about["Participants"] == "30" and about["Seuil des petits groupes (k)"] == "5"
    assert about["Licence"] == "Licence Ouverte / Open Licence 2.0 (Etalab)"
    assert about["Clôture"] == "20 décembre 2026 à 18 h 00"
    assert why_withheld(5, FR) in about, "the small-group rule"


async def test_the_workbook_withholds_what_the_results_withhold_and_never_runs_a_residents_formula(
    db: Database,
) -> None:
    consultation = await _consultation(db)
    answers: list[dict[str, Any]] = [{"age": 42, "satisfaction": 2, "pietonne": "yes"}]
    answers += [{"pietonne": "no", "idees": f'=HYPERLINK("http://x.example/{n}")'} for n in range(5)]
    await submit_answers(db, consultation, answers)
    workbook = _workbook(await export_xlsx(_source(db, consultation)))
    satisfaction = _figures(workbook, 3)
    assert "moins de 5 réponses" in satisfaction and why_withheld(5, FR) in satisfaction
    assert satisfaction["2"] == (None, None) and satisfaction["Moyenne"] == (None, None), (
        "no figure of 1 answer"
    )
    age = _figures(workbook, 9)
    assert age["Moyenne"] == (None,) and age["Médiane"] == (None,)
    assert _figures(workbook, 5)["Oui"][:1] == (1,), "counts of choices are shown whatever their size"
    answers_sheet = workbook["Réponses"]
    assert {row[9] for row in _rows(workbook, "Réponses")[1:]} == {None}, "the age column is emptied"
    texts = [row[10] for row in answers_sheet.iter_rows(min_row=2)]
    assert {cell.data_type for cell in texts if cell.value} == {"s"}, "a text, not a formula"
    assert sorted(str(cell.value) for cell in texts if cell.value)[0] == '=HYPERLINK("http://x.example/0")'


async def test_an_english_workbook(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 6, submitted=0)
    workbook = _workbook(await export_xlsx(_source(db, consultation, "en")))
    assert workbook.sheetnames[0] == "Answers" and workbook.sheetnames[-1] == "About"
    assert _rows(workbook, "Answers")[0][:2] == (
        "Respondent (pseudonym)",
        "1. How often do you come to the market square?",
    )


# --- the printable report ---------------------------------------------------------------------------------


async def test_the_report_prints_every_question_with_its_chart_and_text_alternative_from_this_file_alone(
    db: Database,
) -> None:
    consultation = await populate(db, DEFINITION, 30, submitted=3)
    assert consultation.id is not None
    page = (await export_report(_source(db, consultation))).decode("utf-8")
    text = html.unescape(page)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page
    assert "<title>Résultats : Réaménagement de la place du marché</title>" in text
    assert "<h1>Résultats : Réaménagement de la place du marché</h1>" in text
    for label in QUESTIONS:
        assert f"<h2>{label}</h2>" in text, label
    assert page.count('<section class="question">') == 10 and "break-before: page" in page, "a page each"
    results = await consultation_results(db, consultation.id, DEFINITION)
    charts = consultation_charts(DEFINITION, results, FR)
    assert len(charts) == 7 and page.count("<img ") == 7, "choices, yes/no, scale and ranking are drawn"
    for chart in charts:
        assert f'<figcaption aria-hidden="true">{chart.alt_text}</figcaption>' in text, "under its chart"
        assert f'alt="{html.escape(chart.alt_text)}"' in page
    assert why_withheld(5, FR) in text, "the small-group rule is stated"
    age = summary(results.question("age"), FR)
    assert f"<li>{age}</li>" in text and "moyenne" in age, "a number question, as text"
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!data:)""", page), "no resource from elsewhere"
    assert "url(" not in page and "@import" not in page and "http" not in page
    assert "<script" not in page


async def test_the_report_escapes_the_consultations_texts(db: Database) -> None:
    consultation = await populate(db, DEFINITION, 6, submitted=0)
    definition = DEFINITION.model_copy(
        update={"title": LocalizedText(fr='<script src="https://x.example/a.js">')}
    )
    source = ExportSource(db, consultation, definition, FR)
    results = await consultation_results(db, consultation.id or 0, definition)
    page = render_report(source, results, {})
    assert "<script" not in page and "&lt;script src=&quot;https://x.example/a.js&quot;&gt;" in page
