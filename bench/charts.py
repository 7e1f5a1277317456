"""Result charts: the time to draw each chart of the example consultation, as `/results` and `/export` do.

The consultation is config/examples/place-du-marche.yaml with hand-made figures for every question
(`sample_results`, which the chart tests use too). After one warm-up drawing of every chart (matplotlib's
font cache), each chart is drawn `--runs` times; the table gives each chart's median and slowest drawing,
and the summary the median over all charts, against the goals: a chart in under 150 ms at the median, none
over 300 ms.

    python -m bench.charts [--runs 5] [--language fr] [--json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from bench.common import report
from bench.results import example_definition
from bot.consultations.charts import consultation_charts, question_chart
from bot.i18n import translator
from storage.consultation_results import QuestionResult, Results

GOALS = {"median_ms": 150, "max_ms": 300}


def sample_results() -> Results:
    """Hand-made figures for every question of the example consultation."""
    questions = (
        QuestionResult(
            "frequence",
            "single_choice",
            412,
            counts={"daily": 120, "weekly": 151, "market-day": 98, "rarely": 43},
        ),
        QuestionResult(
            "transport",
            "multiple_choice",
            405,
            counts={"walk": 300, "bike": 122, "car": 151, "bus": 40, "other": 7},
        ),
        QuestionResult(
            "satisfaction",
            "scale",
            410,
            distribution={1: 52, 2: 101, 3: 130, 4: 90, 5: 37},
            mean=2.9512,
            median=3.0,
        ),
        QuestionResult("reproches", "free_text", 97),
        QuestionResult("pietonne", "yes_no", 1234, counts={"yes": 800, "no": 434}),
        QuestionResult(
            "stationnement", "single_choice", 800, counts={"gare": 500, "ecoles": 200, "aucun": 100}
        ),
        QuestionResult(
            "priorites",
            "ranking",
            380,
            counts={
                "arbres": 300,
                "bancs": 200,
                "jeux": 150,
                "fontaine": 180,
                "terrasses": 160,
                "halle": 150,
            },
            ranks={
                "arbres": (150, 100, 50),
                "bancs": (50, 70, 80),
                "jeux": (40, 50, 60),
                "fontaine": (60, 60, 60),
                "terrasses": (40, 50, 70),
                "halle": (40, 50, 60),
            },
            borda={
                "arbres": 1650,
                "bancs": 1030,
                "jeux": 790,
                "fontaine": 1080,
                "terrasses": 770,
                "halle": 790,
            },
        ),
        QuestionResult(
            "marche-travaux", "single_choice", 380, counts={"sur-place": 200, "gare": 150, "sans-avis": 30}
        ),
        QuestionResult("age", "number", 350, mean=47.3, median=45.0),
        QuestionResult("idees", "free_text", 3),
    )
    return Results(1, 1300, questions)


def time_charts(runs: int, language: str) -> list[dict[str, Any]]:
    """One row per question that gets a chart: its median and slowest drawing over `runs`, in ms."""
    definition = example_definition()
    results = sample_results()
    t = translator(language)
    consultation_charts(definition, results, t)  # warm matplotlib's font cache, as a running bot has
    rows = []
    for question in definition.questions:
        timings, size = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            chart = question_chart(question, results.question(question.id), t)
            timings.append(time.perf_counter() - started)
            if chart is None:
                break
            size = len(chart.data)
        if size:
            rows.append(
                {
                    "question": question.id,
                    "type": question.type,
                    "median ms": statistics.median(timings) * 1000,
                    "max ms": max(timings) * 1000,
                    "PNG kB": size / 1000,
                    "runs": runs,
                }
            )
    return rows


def main() -> None:
    os.environ.setdefault("COLUMNS", "150")  # rich's table is 80 columns wide when not on a terminal
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--language", choices=["fr", "en"], default="fr")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = time_charts(args.runs, args.language)
    medians = [row["median ms"] for row in rows]
    summary = {
        "median_ms": statistics.median(medians),
        "max_ms": max(row["max ms"] for row in rows),
        "goals": GOALS,
        "load_average_at_end": os.getloadavg()[0],  # other work on the machine skews the timings
    }
    report(
        "civicbot result charts: one PNG per choice, scale and ranking question",
        ["question", "type", "median ms", "max ms", "PNG kB", "runs"],
        rows,
        as_json=args.json,
        extra=summary,
    )
    if not args.json:
        print(
            f"median over the charts {summary['median_ms']:.0f} ms (goal < {GOALS['median_ms']}), "
            f"slowest {summary['max_ms']:.0f} ms (goal < {GOALS['max_ms']}); "
            f"load average {summary['load_average_at_end']:.1f}"
        )


if __name__ == "__main__":
    main()
