"""Anonymity by construction: once an anonymous poll closes, no row of the database links a resident to a
choice, and no log line ever paired them."""

from __future__ import annotations

import logging

from sqlalchemy import inspect

from storage.ballots import voter_key
from storage.polls import key_name
from tests.databases import dump


async def test_after_an_anonymous_poll_closes_no_row_links_a_resident_to_a_choice(driver, caplog):
    caplog.set_level(logging.DEBUG)
    residents = ["bob", "carol", "dave"]
    for person in residents:  # they also have profiles: the link must not come through them either
        await driver.send(person, "/start", chat="@" + person)
    await driver.send("alice", "/poll Nouveau nom pour la salle des fêtes ? | Salle Jaurès | Salle Colette")
    await driver.press("bob", "Salle Jaurès")
    await driver.press("carol", "Salle Colette")
    await driver.press("dave", "Salle Jaurès")
    db = driver.app.db

    open_state = await dump(db)
    poll_id = open_state["poll"][0]["id"]
    key = db.keys.get(key_name(poll_id))
    assert key is not None, "while open, a key lets a resident change their vote"
    assert "poll_key" not in open_state, "the key never enters the database"
    assert key.hex() not in repr(open_state) and repr(key) not in repr(open_state)
    pseudonyms_while_open = {b["voter"] for b in open_state["ballot"]}

    await driver.send("alice", "/close")
    closed = await dump(db)

    assert db.keys.get(key_name(poll_id)) is None, "closing destroys the key"
    assert db.keys.names() == [], f"and no other key is left behind ({open_state['poll']})"
    ballots = closed["ballot"]
    assert not {b["voter"] for b in ballots} & pseudonyms_while_open, "closing replaced every pseudonym"
    assert sorted(b["option"] for b in ballots) == [0, 0, 1]
    assert all(b["resident_id"] is None for b in ballots)
    async with db.read() as session:
        connection = await session.connection()
        columns = await connection.run_sync(lambda sync: inspect(sync).get_columns("ballot"))
    ballot_columns = {column["name"] for column in columns}
    assert ballot_columns == {"poll_id", "voter", "slot", "option", "resident_id"}, "no timestamp on a ballot"

    people = closed["resident"]
    identifiers = (
        {str(r["id"]) for r in people} | {r["user_id"] for r in people} | {r["display_name"] for r in people}
    )
    for ballot in ballots:
        assert not any(
            identifier and identifier in ballot["voter"] for identifier in identifiers if len(identifier) > 2
        )
    # even with the destroyed key, no ballot pseudonym can be recomputed from a resident's identity
    for resident in people:
        identity = f"{resident['platform']}:{resident['user_id']}"
        assert voter_key(key, identity) not in {b["voter"] for b in ballots}
    # nothing else records who voted: the audit log holds organizer actions only
    assert {entry["action"] for entry in closed["audit_entry"]} <= {"poll.create", "poll.close"}
    assert {entry["actor"] for entry in closed["audit_entry"]} == {driver.identity("alice")}

    for record in caplog.records:
        message = record.getMessage()
        for person in residents:
            assert not (person in message.lower() and ("Jaurès" in message or "Colette" in message)), message
