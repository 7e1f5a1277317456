"""An anonymous consultation: once submitted, no row links a resident's identity to their answers."""

from __future__ import annotations

from datetime import timedelta

from tests.databases import dump
from tests.scenarios.test_consultations import answer_all, import_and_launch

PERSONAL = ("platform", "user_id", "resident_id", "display_name")


async def test_after_an_anonymous_submission_no_row_links_the_resident_to_any_answer(driver):
    """While the consultation is open the answers wait sealed (nothing in clear came from a resident's own
    transaction); after the close they are in clear, and still no row names anyone."""
    await import_and_launch(driver)
    await answer_all(driver, "bob", satisfaction="2")
    await answer_all(driver, "carol", arbres="Oui")
    waiting = await dump(driver.app.db)

    assert waiting["consultation_draft"] == [], "drafts, the only linked data, are erased at submission"
    assert len(waiting["participation"]) == 2, "only the fact that they took part is kept"
    assert waiting["submission"] == [] and waiting["answer"] == [], "nothing in clear yet"
    assert len(waiting["sealed_submission"]) == 2
    assert {"platform", "user_id", "receipt"} & set(waiting["sealed_submission"][0]) == set()
    assert not [name for name in driver.app.db.keys.names() if name.startswith("draft-")], "draft keys gone"

    driver.clock.advance(timedelta(days=30))
    await driver.settle()
    tables = await dump(driver.app.db)
    assert tables["sealed_submission"] == [], "the close wrote every waiting submission"
    assert driver.app.db.keys.names() == [], "and destroyed the key that opened them"
    assert {"submission_id", "answer"} & set(tables["participation"][0]) == set()
    assert len(tables["submission"]) == 2
    for submission in tables["submission"]:
        assert submission["platform"] is None and submission["user_id"] is None
        assert not any("_at" in column for column in submission), "no timestamp to match against logs"
    answer_columns = set(tables["answer"][0])
    assert not answer_columns & set(PERSONAL)
    assert all(row["flow"] != "consultation" for row in tables["conversation"])

    people = {(p["platform"], p["user_id"]) for p in tables["participation"]}
    identifiers = {user for _, user in people} | {r["display_name"] for r in tables["resident"]}
    for table in ("submission", "answer"):
        for row in tables[table]:
            for value in row.values():
                assert not (isinstance(value, str) and value in identifiers), (table, row)
