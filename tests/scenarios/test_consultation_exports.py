"""Exports of a consultation from an organizer's point of view: in a private chat, a spreadsheet, a printable
report, a CSV and the open data, each saying what it is for, written in the consultation's language."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from storage import audit
from tests.scenarios.test_consultations import answer_all, import_and_launch
from tests.scenarios.test_events import capture_files

FILES = ("place-test.xlsx", "place-test-rapport.html", "place-test.csv", "place-test-results.json")


async def test_an_organizer_gets_a_spreadsheet_a_printable_report_a_csv_and_open_data_in_private(driver):
    await import_and_launch(driver)
    for person in ("bob", "carol"):
        await answer_all(driver, person)
    driver.clock.advance(timedelta(days=30))  # closed: the anonymous answers are all counted
    await driver.settle()
    files = capture_files(driver)
    before = len(driver.messages("@alice"))
    await driver.send("alice", "/exporter place-test", chat="@alice")
    sent = driver.messages("@alice")[before:]
    assert [next(name for name in FILES if any(name in f for f in m.files)) for m in sent] == list(FILES)
    assert "en classeur (Excel, LibreOffice)" in sent[0].text
    assert "à imprimer pour le conseil municipal" in sent[1].text and "navigateur" in sent[1].text
    assert "pour un tableur ou un portail de données ouvertes" in sent[2].text
    assert "données ouvertes pour les programmes" in sent[3].text

    spreadsheet, page, table, _ = (f.data for f in files)
    assert load_workbook(io.BytesIO(spreadsheet)).sheetnames[0] == "Réponses"
    assert "<h2>1. À quelle fréquence venez-vous sur la place ?</h2>" in page.decode()
    assert "<dt>État</dt><dd>Close le " in page.decode(), "not provisional any more"
    header, *rows = csv.reader(io.StringIO(table.decode("utf-8-sig")), delimiter=";")
    assert header[:2] == ["Participant (pseudonyme)", "1. À quelle fréquence venez-vous sur la place ?"]
    assert [row[1] for row in rows] == ["Chaque semaine", "Chaque semaine"], "labels, not option ids"
    exports = [e.detail for e in await audit.entries(driver.app.db) if e.action == "consultation.export"]
    assert exports == ["place-test: xlsx, html, csv, json"]


async def test_a_consultation_of_an_english_community_is_exported_in_english(driver):
    await import_and_launch(driver)
    await answer_all(driver, "bob")
    await driver.send("alice", "/lang en")  # the square, where the consultation was launched, speaks English
    files = capture_files(driver)
    await driver.send("alice", "/export place-test", chat="@alice")
    _, page, table, _ = (f.data for f in files)
    assert table.startswith(codecs.BOM_UTF8 + b"Respondent (pseudonym),1. ")
    assert "<title>Results: Redesigning the square</title>" in page.decode()
    names = [f.filename for f in files]
    assert names[1] == "place-test-report.html"
    assert "à imprimer pour le conseil municipal" in driver.messages("@alice")[-3].text, "Alice reads French"


async def test_exports_are_sent_in_private_and_only_to_organizers(driver):
    await import_and_launch(driver)
    await driver.send("alice", "/export place-test")
    assert "Les exports sont envoyés en conversation privée." in driver.messages("square")[-1]
    assert not any(m.files for m in driver.messages("square"))
    await driver.send("bob", "/export place-test", chat="@bob")
    assert not any(m.files for m in driver.messages("@bob"))
