"""Every column of every table is classified here: whether it can name a resident (then /mydata lists it and
/forget erases or anonymizes it, storage/personal_data.py) or not. A new table or column fails the first test
until someone classifies it, and handles it there; the second fills every naming column for two residents,
erases one, and searches the whole database for what named them."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import SQLModel, col, select

import storage.tables  # noqa: F401  (every table registers itself in SQLModel.metadata)
from bot.formatting import doc
from bot.inbound import ChatRef
from bot.outbox.codec import reply_to_json
from bot.replies import Send
from storage.ballots import voter_key
from storage.outbox import encode_payload
from storage.personal_data import ERASED, ERASED_ACTOR
from storage.tables import (
    AnswerRow,
    AuditEntry,
    Community,
    CommunityAdmin,
    CommunityMember,
    Consultation,
    ConsultationDraft,
    Conversation,
    Event,
    OutboxMessage,
    Participation,
    Poll,
    Proposal,
    ProposalFollow,
    ProposalStep,
    ProposalSupport,
    Resident,
    Submission,
)
from tests.databases import dump
from tests.drivers.base import last
from tests.scenarios.consultation_fixture import with_changes

NOBODY = "names nobody"
ACCOUNT = "holds a platform user id, an identity, a private chat's key or a display name"
RESIDENT_ID = "holds a resident's id"
VOTER = "holds a voter's pseudonym in a poll (public: from the resident id; anonymous: keyed, while open)"
WITH_ROW = "says something of the person a row names (this one, or the submission of an answer): goes with it"

CLASSIFICATION: dict[str, dict[str, str]] = {
    "setting": {"key": NOBODY, "value": NOBODY},
    "resident": {
        "id": RESIDENT_ID,
        "platform": WITH_ROW,
        "user_id": ACCOUNT,
        "display_name": ACCOUNT,
        "language": WITH_ROW,
        "private_chat_open": WITH_ROW,
        "unreachable": WITH_ROW,
        "reminders_muted": WITH_ROW,
        "created_at": WITH_ROW,
    },
    "community": {
        "id": NOBODY,
        "platform": NOBODY,
        "chat_id": NOBODY,
        "title": NOBODY,
        "timezone": NOBODY,
        "language": NOBODY,
        "created_at": NOBODY,
    },
    "community_admin": {"community_id": WITH_ROW, "resident_id": RESIDENT_ID},
    "community_member": {"community_id": WITH_ROW, "resident_id": RESIDENT_ID},
    "poll": {
        "id": NOBODY,
        "question": NOBODY,
        "multi": NOBODY,
        "public": NOBODY,
        "hidden": NOBODY,
        "private_results": NOBODY,
        "community_id": NOBODY,
        "language": NOBODY,
        "timezone": NOBODY,
        "closes_at": NOBODY,
        "closed_at": NOBODY,
        "created_at": NOBODY,
        "created_by": RESIDENT_ID,
        "version": NOBODY,
        "deleted_at": NOBODY,
    },
    "poll_option": {"poll_id": NOBODY, "position": NOBODY, "label": NOBODY},
    "poll_post": {
        "poll_id": NOBODY,
        "platform": NOBODY,
        "chat_id": NOBODY,  # a community's
        "message_id": NOBODY,
        "posted_at": NOBODY,
    },
    "ballot": {
        "poll_id": WITH_ROW,
        "voter": VOTER,
        "slot": WITH_ROW,
        "option": WITH_ROW,
        "resident_id": RESIDENT_ID,
    },
    "audit_entry": {
        "id": NOBODY,
        "at": WITH_ROW,
        "actor": ACCOUNT,
        "action": WITH_ROW,
        "object_type": WITH_ROW,
        "object_id": WITH_ROW,
        "detail": NOBODY,  # what was done, and in which community
    },
    "conversation": {
        "platform": WITH_ROW,
        "user_id": ACCOUNT,
        "flow": WITH_ROW,
        "state": WITH_ROW,
        "updated_at": WITH_ROW,
    },
    "consultation": {
        "id": NOBODY,
        "slug": NOBODY,
        "title": NOBODY,
        "definition": NOBODY,
        "source": NOBODY,
        "anonymous": NOBODY,
        "results_public": NOBODY,
        "timezone": NOBODY,
        "opens_at": NOBODY,
        "closes_at": NOBODY,
        "closed_at": NOBODY,
        "opening_announced": NOBODY,
        "community_id": NOBODY,
        "created_at": NOBODY,
        "created_by": RESIDENT_ID,
    },
    "consultation_launch": {
        "consultation_id": NOBODY,
        "platform": NOBODY,
        "chat_id": NOBODY,  # a community's
        "message_id": NOBODY,
        "launched_at": NOBODY,
    },
    "consultation_draft": {
        "consultation_id": WITH_ROW,
        "platform": WITH_ROW,
        "user_id": ACCOUNT,
        "answers": WITH_ROW,
        "current": WITH_ROW,
        "ranking": WITH_ROW,
        "editing": WITH_ROW,
        "updated_at": WITH_ROW,
        "sealed": WITH_ROW,  # an anonymous consultation's draft, under a key erased with the row
    },
    "sealed_submission": {  # an anonymous submission waiting for its batch: names nobody, opens with a key
        "id": NOBODY,
        "consultation_id": NOBODY,
        "edit": NOBODY,
        "sealed": NOBODY,
    },
    "participation": {"consultation_id": WITH_ROW, "platform": WITH_ROW, "user_id": ACCOUNT},
    "submission": {
        "id": WITH_ROW,
        "consultation_id": WITH_ROW,
        "receipt": NOBODY,  # the hash of a secret only the resident's chat holds
        "platform": WITH_ROW,
        "user_id": ACCOUNT,
    },
    "answer": {  # linked to a person only through a named submission
        "submission_id": WITH_ROW,
        "question": WITH_ROW,
        "position": WITH_ROW,
        "consultation_id": WITH_ROW,
        "option": WITH_ROW,
        "rank": WITH_ROW,
        "number": WITH_ROW,
        "text": WITH_ROW,
    },
    "outbox": {
        "id": NOBODY,
        "dedup_key": ACCOUNT,  # a private message's key ends with the recipient's account
        "platform": NOBODY,
        "recipient": ACCOUNT,  # a private chat's key
        "payload": ACCOUNT,  # a public poll's results announcement lists voters' names
        "state": NOBODY,
        "attempts": NOBODY,
        "next_attempt_at": NOBODY,
        "not_after": NOBODY,
        "worker": NOBODY,
        "lease_until": NOBODY,
        "last_error": NOBODY,
        "message_id": NOBODY,
        "created_at": NOBODY,
        "sent_at": NOBODY,
    },
    "event": {
        "id": NOBODY,
        "title": NOBODY,
        "place": NOBODY,
        "description": NOBODY,
        "starts_at": NOBODY,
        "ends_at": NOBODY,
        "timezone": NOBODY,
        "language": NOBODY,
        "platform": NOBODY,
        "chat_id": NOBODY,  # a community's
        "message_id": NOBODY,
        "reminder_offsets": NOBODY,
        "version": NOBODY,
        "cancelled_at": NOBODY,
        "created_at": NOBODY,
        "created_by": RESIDENT_ID,
        "native_event_id": NOBODY,
        "community_id": NOBODY,
    },
    "rsvp": {"event_id": WITH_ROW, "platform": WITH_ROW, "user_id": ACCOUNT, "answer": WITH_ROW},
    "proposal_settings": {
        "community_id": NOBODY,
        "enabled": NOBODY,
        "moderation": NOBODY,
        "threshold": NOBODY,
        "answer_days": NOBODY,
    },
    "proposal": {
        "id": NOBODY,
        "community_id": NOBODY,
        "author_id": RESIDENT_ID,
        "show_name": WITH_ROW,  # the author's choice: goes with their name
        "title": NOBODY,  # the community's debate: stays, without its author
        "description": NOBODY,
        "status": NOBODY,
        "language": NOBODY,
        "created_at": NOBODY,
        "published_at": NOBODY,
        "threshold_reached_at": NOBODY,
        "answer_due_at": NOBODY,
        "reminders": NOBODY,
        "message_id": NOBODY,
    },
    "proposal_support": {"proposal_id": WITH_ROW, "resident_id": RESIDENT_ID, "created_at": WITH_ROW},
    "proposal_follow": {"proposal_id": WITH_ROW, "resident_id": RESIDENT_ID, "created_at": WITH_ROW},
    "proposal_step": {
        "id": NOBODY,
        "proposal_id": NOBODY,
        "at": NOBODY,
        "status": NOBODY,
        "text": NOBODY,  # an organizer's answer or reason, for the community
        "actor_id": RESIDENT_ID,
    },
}

NAMING = (ACCOUNT, RESIDENT_ID, VOTER)


def test_every_column_of_every_table_is_classified():
    schema = {
        table.name: {column.name for column in table.columns} for table in SQLModel.metadata.sorted_tables
    }
    classified = {table: set(columns) for table, columns in CLASSIFICATION.items()}
    unclassified = {
        t: sorted(c - classified.get(t, set())) for t, c in schema.items() if c - classified.get(t, set())
    }
    assert unclassified == {}, (
        "classify these columns in CLASSIFICATION; if one can name a resident, /mydata must list it and "
        "/forget erase or anonymize it (storage/personal_data.py)"
    )
    gone = {t: sorted(c - schema.get(t, set())) for t, c in classified.items() if c - schema.get(t, set())}
    assert gone == {}, "these columns no longer exist: drop them from CLASSIFICATION"


# -- one resident erased, another untouched -----------------------------------------------------------------


class Person:
    """What names one console resident in the database."""

    def __init__(self, name: str, resident_id: int, keys: list[bytes]) -> None:
        self.name = name
        self.resident_id = resident_id
        self.voters = {f"r{resident_id}"} | {voter_key(key, f"console:{name}") for key in keys}

    def named_by(self, table: str, column: str, value: object) -> bool:
        kind = CLASSIFICATION[table][column]
        if kind == RESIDENT_ID:
            return value == self.resident_id
        if kind == VOTER:
            return value in self.voters
        # anywhere else, its user id or its display name (case-sensitive: random tokens stay out of it)
        return isinstance(value, str) and (self.name in value or self.name.capitalize() in value)

    def rows(self, tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
        return {
            table: [row for row in rows if any(self.named_by(table, c, v) for c, v in row.items())]
            for table, rows in tables.items()
        }


def key(table: str, row: dict) -> tuple:
    """A row's primary key: the same row before and after, whatever changed in it."""
    return tuple(row[column.name] for column in SQLModel.metadata.tables[table].primary_key.columns)


async def fill(driver) -> None:
    """dave and bob each appear in every column that can name a resident: through the bot where that is
    quick, by writing rows as the bot would elsewhere."""
    db = driver.app.db
    for person in ("dave", "bob"):
        await driver.send(person, "/start", chat="@" + person)
    for question in ("Premier ?", "Deuxième ?"):  # two public polls, closed: their results list both names
        await driver.send("alice", f"/poll --public {question} | A | B")
        await driver.press("dave", "A")
        await driver.press("bob", "B")
        await driver.send("alice", "/close")
    await driver.send("alice", "/poll --public Ouvert ? | Oui | Non")
    await driver.press("dave", "Oui")
    await driver.press("bob", "Non")
    await driver.send("alice", "/poll Anonyme ? | X | Y")
    await driver.press("dave", "X")
    await driver.press("bob", "Y")
    await driver.send("alice", "/event Réunion | samedi 19h | Salle des fêtes")
    for person in ("dave", "bob"):
        await driver.press(person, "Je viens")
    await driver.send("alice", "/event Atelier | dimanche 10h | Mairie")
    for slug, anonymous in (("nominative", "false"), ("close", "false"), ("anonyme", "true")):
        source = with_changes(id=slug, anonymous=anonymous).encode()
        await driver.upload("alice", f"{slug}.yaml", source, chat="@alice")
        assert "Consultation importée" in last(driver, "@alice")
    now = driver.clock.now()
    later = now + timedelta(days=1)
    async with db.write() as session:
        residents = {r.user_id: r for r in (await session.exec(select(Resident))).all()}
        consultations = {c.slug: c for c in (await session.exec(select(Consultation))).all()}
        square = (await session.exec(select(Community).where(Community.chat_id == "square"))).one()
        event = (await session.exec(select(Event).order_by(col(Event.id)))).first()
        # the second closed poll's announcement is still waiting to be sent
        await session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.dedup_key).startswith("poll:2:closed:"))
            .values(state="pending", message_id=None, sent_at=None, next_attempt_at=later)
        )
        for name in ("dave", "bob"):
            rid = residents[name].id
            session.add(CommunityAdmin(community_id=square.id, resident_id=rid))
            session.add(CommunityMember(community_id=square.id, resident_id=rid))
            session.add(
                AuditEntry(
                    at=now, actor=f"console:{name}", action="poll.create", object_type="poll", object_id="3"
                )
            )
            session.add(
                Conversation(
                    platform="console", user_id=name, flow="consultation", state='{"cid": 3}', updated_at=now
                )
            )
            session.add(
                ConsultationDraft(
                    consultation_id=consultations["anonyme"].id,
                    platform="console",
                    user_id=name,
                    updated_at=now,
                )
            )
            for slug in ("nominative", "close"):
                cid = consultations[slug].id
                session.add(Participation(consultation_id=cid, platform="console", user_id=name))
                session.add(
                    Submission(
                        id=f"{slug[:4]}-{name[0]}", consultation_id=cid, platform="console", user_id=name
                    )
                )
                await session.flush()
                session.add(
                    AnswerRow(
                        submission_id=f"{slug[:4]}-{name[0]}",
                        question="age",
                        position=0,
                        consultation_id=cid,
                        number=40,
                    )
                )
            anonymous = consultations["anonyme"].id
            session.add(Participation(consultation_id=anonymous, platform="console", user_id=name))
            session.add(
                Submission(id=f"anon-{name[0]}", consultation_id=anonymous, receipt=f"hash-{len(name)}")
            )
            for state in ("pending", "sent"):
                chat = ChatRef.private("console", name)
                body = doc(f"Rappel pour {name.capitalize()} : Réunion")
                session.add(
                    OutboxMessage(
                        dedup_key=f"event:{event.id}:reminder:{state}:console:{name}",
                        platform="console",
                        recipient=chat.key,
                        payload=encode_payload(reply_to_json(Send(to=chat, body=body))),
                        state=state,
                        next_attempt_at=later,  # the dispatcher leaves it waiting
                        created_at=now,
                    )
                )
        dave, bob = residents["dave"].id, residents["bob"].id
        for author, other in ((dave, bob), (bob, dave)):  # each wrote one, supports and follows both
            proposal = Proposal(
                community_id=square.id,
                author_id=author,
                title="Un banc",
                description="Sous le tilleul",
                status="open",
                created_at=now,
            )
            session.add(proposal)
            await session.flush()
            assert proposal.id is not None
            session.add(ProposalStep(proposal_id=proposal.id, at=now, status="studying", actor_id=other))
            for resident in (author, other):
                session.add(ProposalSupport(proposal_id=proposal.id, resident_id=resident, created_at=now))
                session.add(ProposalFollow(proposal_id=proposal.id, resident_id=resident, created_at=now))
        for table in (Poll, Consultation, Event):
            await session.exec(update(table).values(created_by=dave))
        await session.exec(update(Poll).where(col(Poll.id) == 4).values(created_by=bob))
        await session.exec(update(Event).where(col(Event.id) == 2).values(created_by=bob))
        await session.exec(
            update(Consultation).where(col(Consultation.slug) == "anonyme").values(created_by=bob)
        )
        await session.exec(
            update(Consultation)
            .where(col(Consultation.slug) == "close")
            .values(closed_at=now - timedelta(hours=1))
        )


async def test_forget_leaves_no_value_that_names_the_resident_and_changes_nothing_of_another(driver):
    await fill(driver)
    db = driver.app.db
    keys = [k for name in db.keys.names("poll-") if (k := db.keys.get(name)) is not None]
    async with db.read() as session:
        ids = {r.user_id: r.id for r in (await session.exec(select(Resident))).all()}
    dave, bob = Person("dave", ids["dave"], keys), Person("bob", ids["bob"], keys)
    before = await dump(db)
    for person in (dave, bob):
        found = {
            (t, c)
            for t, rows in before.items()
            for row in rows
            for c, v in row.items()
            if person.named_by(t, c, v)
        }
        naming = {
            (t, c) for t, columns in CLASSIFICATION.items() for c, kind in columns.items() if kind in NAMING
        }
        assert naming - found == set(), f"the fixture must name {person.name} in every naming column"

    await driver.send("dave", "/forget", chat="@dave")
    await driver.press("dave", "Oui, effacer mes données", chat="@dave")
    after = await dump(db)

    assert {t: rows for t, rows in dave.rows(after).items() if rows} == {}, "nothing names dave any more"

    shared = {(table, key(table, row)) for table, rows in dave.rows(before).items() for row in rows}

    def bob_alone(tables: dict[str, list[dict]]) -> dict[str, Counter]:
        return {
            table: Counter(
                json.dumps(row, default=str, sort_keys=True)
                for row in rows
                if (table, key(table, row)) not in shared
            )
            for table, rows in bob.rows(tables).items()
        }

    assert bob_alone(after) == bob_alone(before), "what names bob and not dave is untouched"

    erased = [row for row in after["participation"] if row["platform"] == ERASED]
    assert len(erased) == 2, "taking part in the anonymous and the closed consultations stays, as a pseudonym"
    assert [s["id"] for s in after["submission"] if s["id"].startswith("nomi")] == ["nomi-b"], (
        "named answers to an open consultation are withdrawn"
    )
    closed = next(s for s in after["submission"] if s["id"] == "clos-d")
    assert closed["platform"] is None and closed["user_id"] is None, "kept in a closed one, linked to nobody"
    actors = Counter(entry["actor"].split(":")[0] + ":" for entry in after["audit_entry"])
    assert actors[ERASED_ACTOR] == 1, "dave's organizer action stays in the audit log, under a pseudonym"
    tallies = Counter((b["poll_id"], b["option"]) for b in after["ballot"])
    assert tallies[(1, 0)] == tallies[(2, 0)] == 1, "votes in closed polls stay counted"
    assert tallies[(3, 0)] == 0 and tallies[(4, 0)] == 0, "votes in open polls are withdrawn"
    announcements = [
        row for row in after["outbox"] if row["dedup_key"].startswith(("poll:1:closed", "poll:2:closed"))
    ]
    assert len(announcements) == 2 and all("Bob" in row["payload"] for row in announcements)
    assert [row["state"] for row in announcements] == ["sent", "pending"]


@pytest.fixture
def driver(console_driver):
    return console_driver
