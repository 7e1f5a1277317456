"""The poll service, unit by unit: which taps count as votes, who may close a poll, what closing announces
and forgets, and how a poll is found. The scenarios show the same rules as residents see them on each
platform; these tests pin every branch down in milliseconds."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot import authority
from bot.i18n import translator
from bot.inbound import ChatRef, MessageRef
from bot.outbox.codec import reply_from_json
from bot.polls.card import results_lines
from bot.polls.service import SCHEDULER
from bot.polls.spec import PollSpec
from bot.replies import Edit, Notice, Refresh, Send
from storage import polls as poll_store
from storage import residents as resident_store
from storage.ballots import public_voter, voter_key
from storage.polls import PollInfo
from storage.tables import AuditEntry, OutboxMessage
from tests.standalone_engine import (
    ANNEX,
    SQUARE,
    START,
    ballots,
    command,
    context,
    new_poll,
    notices,
    press,
    private,
    said,
    standalone_engine,
)

OPTIONS = ["Mon", "Tue", "Wed"]


@pytest.fixture
async def engine(tmp_path: Path) -> Any:
    async with standalone_engine(tmp_path) as engine:
        yield engine


async def tap(
    engine: Any, poll: PollInfo | int, option: int, who: str, *, chat: ChatRef = SQUARE
) -> list[Any]:
    poll_id = poll if isinstance(poll, int) else poll.id
    return await engine.handle(press(engine.signer.sign("v", poll_id, option), who, chat=chat))


async def stored_poll(engine: Any, poll_id: int) -> PollInfo:
    """The poll as stored now (the test made it: it exists)."""
    poll = await poll_store.get_poll(engine.db, poll_id)
    assert poll is not None
    return poll


def refused(replies: list[Any], text: str) -> bool:
    """The only answer is an alert with `text`."""
    return replies == [Notice(text=text, alert=True)]


# --- creating ---------------------------------------------------------------------------------------------


async def test_a_new_poll_sends_its_card_with_one_button_per_option_to_each_community(engine):
    calls: list[str] = []
    engine.schedule_changed = lambda: calls.append("schedule")
    await engine.handle(command("help", "olivia", admin=True))  # the square is now known
    engine.refresh_community(SQUARE.key, "en", "America/Montreal")
    ctx = context(engine, command("poll", "olivia", admin=True))
    poll = await engine.polls.create(ctx, PollSpec("Which day?", list(OPTIONS)), [SQUARE, ANNEX])

    olivia = await resident_store.find_resident(engine.db, "console", "olivia")
    assert olivia is not None and poll.created_by == olivia.id
    assert (poll.language, poll.timezone) == ("en", "America/Montreal"), "the first community's"
    assert {(post.platform, post.chat_id) for post in poll.posts} == {
        ("console", "square"),
        ("console", "annex"),
    }
    assert [r.to for r in ctx.replies if isinstance(r, Send)] == [SQUARE, ANNEX]
    for reply in ctx.replies:
        assert isinstance(reply, Send) and reply.track == f"poll:{poll.id}"
        assert "Which day?" in reply.body.plain
        assert [row[0].label for row in reply.buttons] == OPTIONS
        assert [engine.signer.verify(row[0].action) for row in reply.buttons] == [
            ["v", str(poll.id), str(n)] for n in range(3)
        ]
    assert calls == [], "no deadline: nothing to schedule"
    await engine.delivered(f"poll:{poll.id}", MessageRef(SQUARE, "m-1"))
    [card] = await engine.polls.card_edits(poll.id)
    assert isinstance(ctx.replies[0], Send) and ctx.replies[0].body == card.body, (
        "a new card is the card of a poll without votes"
    )
    assert "0 voters" in card.body.plain

    annex_first = await new_poll(engine, targets=(ANNEX, SQUARE), closes_at=START + timedelta(days=1))
    assert (annex_first.language, annex_first.timezone) == ("fr", "Europe/Paris")
    assert calls == ["schedule"]


async def test_a_multiple_choice_poll_counts_each_choice_of_a_voter(engine):
    poll = await new_poll(engine, multi=True)
    assert poll.multi
    await tap(engine, poll, 0, "bob")
    assert notices(await tap(engine, poll, 2, "bob")) == ["Vote recorded: Wed"]
    assert sorted(b.option for b in await ballots(engine, poll.id)) == [0, 2]


async def test_a_poll_made_in_a_private_chat_speaks_its_author_s_language(engine):
    ctx = context(engine, command("poll", "alice", chat=private("alice")))
    poll = await engine.polls.create(ctx, PollSpec("Which day?", list(OPTIONS)), [SQUARE])
    assert poll.language == "en"


async def test_the_posted_copies_are_remembered_and_edited_in_place(engine):
    poll = await new_poll(engine, targets=(SQUARE, ANNEX))
    assert await engine.polls.info(poll.id) == poll  # cached before the copy was posted
    await engine.delivered(f"poll:{poll.id}", MessageRef(SQUARE, "m-1"))
    info = await engine.polls.info(poll.id)
    assert {post.chat_id: post.message_id for post in info.posts} == {"square": "m-1", "annex": None}
    edits = await engine.polls.card_edits(poll.id)
    assert [type(e) for e in edits] == [Edit], "only the copy whose message is known"
    assert edits[0].target == MessageRef(SQUARE, "m-1")
    assert "Which day?" in edits[0].body.plain and len(edits[0].buttons) == 3
    assert await engine.polls.card_edits(999) == []


# --- voting -----------------------------------------------------------------------------------------------


async def test_a_tap_votes_a_second_moves_and_the_same_again_withdraws(engine):
    poll = await new_poll(engine)
    recorded = await tap(engine, poll, 0, "bob")
    assert recorded == [Notice(text="Vote recorded: Mon"), Refresh(key=f"poll:{poll.id}")]
    assert notices(await tap(engine, poll, 1, "bob")) == ["Vote moved to: Tue"]
    assert notices(await tap(engine, poll, 1, "bob")) == ["Vote withdrawn: Tue"]
    assert await ballots(engine, poll.id) == []


async def test_an_anonymous_ballot_holds_the_voter_s_pseudonym_and_no_resident(engine):
    poll = await new_poll(engine)
    await tap(engine, poll, 2, "bob")
    key = await poll_store.poll_key(engine.db, poll.id)
    assert key is not None
    [ballot] = await ballots(engine, poll.id)
    assert (ballot.voter, ballot.option, ballot.resident_id) == (voter_key(key, "console:bob"), 2, None)
    assert await resident_store.find_resident(engine.db, "console", "bob") is None, "no profile created"


async def test_a_public_ballot_names_its_resident(engine):
    poll = await new_poll(engine, public=True)
    await tap(engine, poll, 1, "bob")
    bob = await resident_store.find_resident(engine.db, "console", "bob")
    assert bob is not None and bob.id is not None
    assert [(b.voter, b.option, b.resident_id) for b in await ballots(engine, poll.id)] == [
        (public_voter(bob.id), 1, bob.id)
    ]


async def test_taps_that_are_not_votes_are_refused_and_store_nothing(engine):
    poll = await new_poll(engine)
    assert refused(await tap(engine, 999, 0, "bob"), "This poll no longer exists.")
    assert refused(await tap(engine, poll, 3, "bob"), "This button is not valid (any more).")
    assert refused(await tap(engine, poll, -1, "bob"), "This button is not valid (any more).")
    assert refused(
        await tap(engine, poll, 0, "bob", chat=ANNEX), "This poll belongs to another conversation."
    )
    forged = await engine.handle(press(f"v.{poll.id}.0.forgedsignature", "bob"))
    assert refused(forged, "This button is not valid (any more).")
    non_ascii = await engine.handle(press(f"v.{poll.id}.0.é", "bob"))
    assert refused(non_ascii, "This button is not valid (any more).")
    for option in (-1, 3, 10):  # what a button handler could hand over, signed or not
        ctx = context(engine, press("", "bob"))
        await engine.polls.vote(ctx, poll.id, option)
        assert refused(ctx.replies, "This button is not valid (any more).")
    await engine.polls.close(poll.id, actor="console:olivia")
    assert refused(await tap(engine, poll, 0, "bob"), "This poll is closed: votes are no longer accepted.")
    assert await ballots(engine, poll.id) == []


async def test_a_poll_closed_by_another_process_refuses_votes_and_this_process_forgets_it(engine):
    closed_message = "This poll is closed: votes are no longer accepted."
    poll = await new_poll(engine)
    await tap(engine, poll, 0, "bob")  # this process now remembers the poll and its key
    await poll_store.close_poll(engine.db, poll.id, now=START, actor="console:olivia")
    assert refused(await tap(engine, poll, 1, "carol"), closed_message)
    assert not (await engine.polls.info(poll.id)).is_open, "the stale poll was dropped"

    other = await new_poll(engine)
    assert (await engine.polls.info(other.id)).is_open  # remembered as open, its key not loaded yet
    await poll_store.close_poll(engine.db, other.id, now=START, actor="console:olivia")
    assert refused(await tap(engine, other, 1, "carol"), closed_message)
    assert not (await engine.polls.info(other.id)).is_open
    assert [b.voter for b in await ballots(engine, poll.id)] != [] and await ballots(engine, other.id) == []


# --- who may close ----------------------------------------------------------------------------------------


async def may_manage(ctx: Any, poll: PollInfo) -> bool:
    """The one rule (bot/authority.py): administrators of the community the poll belongs to, global admins."""
    return await authority.may_manage(ctx, poll.community_id, poll.created_by)


async def test_who_may_manage_a_poll_in_a_community(engine):
    poll = await new_poll(engine)  # posted in the square only

    async def may(who: str, chat: ChatRef, *, admin: bool = False) -> bool:
        return await may_manage(context(engine, command("close", who, chat=chat, admin=admin)), poll)

    assert await may("olivia", SQUARE, admin=True), "an administrator where it is posted"
    assert not await may("bob", SQUARE), "a resident where it is posted"
    assert not await may("dave", ANNEX, admin=True), "an administrator of a community it is not posted in"
    assert not await may("bob", ANNEX)
    assert await may("alice", ANNEX), "a global admin, anywhere"
    assert await may("alice", private("alice"))


async def test_who_may_manage_a_poll_from_a_private_chat(engine):
    await engine.handle(
        command("help", "olivia", admin=True)
    )  # the platform reported her as the square's admin
    await engine.handle(command("help", "dave", chat=ANNEX, admin=True))  # and dave as the annex's
    square_poll = await new_poll(engine)
    annex_poll = await new_poll(engine, targets=(ANNEX,), by="dave")
    by_carol = await new_poll(engine, targets=(ANNEX,), by="carol")

    async def may(who: str, poll: PollInfo) -> bool:
        return await may_manage(context(engine, command("close", who, chat=private(who))), poll)

    assert await may("olivia", square_poll)
    assert not await may("olivia", annex_poll), "she administers only the square"
    assert not await may("carol", by_carol), "its author, who administers none: it belongs to the annex"
    assert not await may("carol", square_poll)
    assert await may("dave", by_carol), "the annex's administrator"
    assert not await may("bob", square_poll), "never seen: no profile"


# --- closing ----------------------------------------------------------------------------------------------


async def outbox(engine: Any) -> list[OutboxMessage]:
    async with engine.db.read() as session:
        return list((await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all())


async def test_closing_announces_the_results_everywhere_and_shows_the_final_cards(engine):
    calls: list[str] = []
    engine.schedule_changed = lambda: calls.append("schedule")
    engine.outbox_changed = lambda: calls.append("outbox")
    ctx = context(engine, command("poll", "alice", chat=private("alice")))  # an English poll
    poll = await engine.polls.create(ctx, PollSpec("Which day?", list(OPTIONS)), [SQUARE, ANNEX])
    await engine.delivered(f"poll:{poll.id}", MessageRef(SQUARE, "m-1"))
    await engine.delivered(f"poll:{poll.id}", MessageRef(ANNEX, "m-2"))
    await tap(engine, poll, 0, "bob")
    await tap(engine, poll, 2, "carol", chat=ANNEX)

    closed, edits = await engine.polls.close(poll.id, actor="console:olivia")

    assert closed
    assert {e.target for e in edits} == {MessageRef(SQUARE, "m-1"), MessageRef(ANNEX, "m-2")}
    assert all(e.buttons == () and e.body.plain.startswith("Poll closed") for e in edits)
    messages = await outbox(engine)
    assert {(m.dedup_key, m.recipient) for m in messages} == {
        (f"poll:{poll.id}:closed:{SQUARE.key}", SQUARE.key),
        (f"poll:{poll.id}:closed:{ANNEX.key}", ANNEX.key),
    }
    final = await stored_poll(engine, poll.id)
    lines = results_lines(final, await poll_store.tally(engine.db, final), translator("en"))
    assert [await announcement(m) for m in messages] == [
        f"Poll no. {poll.id} is closed. Which day?\n\n" + "\n".join(lines) + "\n\n2 voters"
    ] * 2
    assert calls == ["schedule", "outbox"]

    assert await engine.polls.close(poll.id, actor="console:olivia") == (False, [])
    assert calls == ["schedule", "outbox"], "closing twice changes nothing"
    assert len(await outbox(engine)) == 2


async def announcement(message: OutboxMessage) -> str:
    reply = reply_from_json(json.loads(message.payload))
    assert isinstance(reply, Send)
    return reply.body.plain


async def test_a_poll_with_private_results_tells_its_community_only_how_many_voted(engine):
    """The square learns the number of voters; its administrators who opened a private chat, and the global
    admins, get the tally in private, each in their own language; a resident, or an administrator who never
    wrote to the bot in private (it may not write first), gets nothing."""
    await engine.handle(command("help", "olivia", admin=True))  # the square's administrator
    await engine.handle(
        command("lang", "olivia", "en", chat=private("olivia"))
    )  # her private chat, in English
    await engine.handle(command("help", "oscar", admin=True))  # another administrator, never in private
    await engine.handle(command("help", "bob", chat=private("bob")))  # a resident with a private chat
    ctx = context(engine, command("poll", "olivia", admin=True))
    spec = PollSpec("Quel jour ?", list(OPTIONS), private_results=True)
    poll = await engine.polls.create(ctx, spec, [SQUARE])
    await tap(engine, poll, 0, "bob")
    await tap(engine, poll, 2, "carol")

    await engine.polls.close(poll.id, actor="console:olivia")

    messages = {m.recipient: m for m in await outbox(engine)}
    assert set(messages) == {SQUARE.key, private("olivia").key, private("alice").key}
    assert {m.dedup_key for m in messages.values()} == {f"poll:{poll.id}:closed:{key}" for key in messages}, (
        "one announcement per chat, rewritten in place by /forget"
    )
    final = await stored_poll(engine, poll.id)
    tally = await poll_store.tally(engine.db, final)
    french, english = translator("fr"), translator("en")
    assert await announcement(messages[SQUARE.key]) == (
        f"Le sondage n° {poll.id} est clos. Quel jour ?\n\n2 votants\n\n"
        + french._("Results go only to the poll's organizers, in private.")
    )
    for who, t in (("olivia", english), ("alice", french)):
        assert await announcement(messages[private(who).key]) == (
            t._("Poll no. {id} is closed.", id=poll.id)
            + " Quel jour ?\n\n"
            + "\n".join(results_lines(final, tally, t))
            + "\n\n"
            + t.n_("{count} voter", "{count} voters", 2)
            + "\n\n"
            + t._("Results go only to the poll's organizers, in private.")
        ), who


async def test_after_the_close_this_process_keeps_neither_the_key_nor_the_open_poll(engine):
    """The key is what links an anonymous ballot to a resident: once closed, it exists nowhere."""
    poll = await new_poll(engine, question="One voter?")
    await tap(engine, poll, 0, "bob")
    assert await engine.polls.key(poll.id) is not None
    await engine.polls.close(poll.id, actor="console:olivia")
    [message] = await outbox(engine)
    assert (await announcement(message)).endswith("\n\n1 votant"), "in the square's French"
    assert await engine.polls.key(poll.id) is None
    assert not (await engine.polls.info(poll.id)).is_open


async def test_deadlines_close_the_polls_that_are_due_and_only_those(engine):
    clock = engine.clock
    past = await new_poll(engine, closes_at=START - timedelta(minutes=1))
    due = await new_poll(engine, closes_at=START)
    later = await new_poll(engine, closes_at=START + timedelta(minutes=1))
    for poll in (past, due, later):
        await engine.delivered(f"poll:{poll.id}", MessageRef(SQUARE, f"m-{poll.id}"))

    edits = await engine.polls.close_due()

    assert [e.target.message_id for e in edits] == [f"m-{past.id}", f"m-{due.id}"]
    assert [(await stored_poll(engine, p.id)).is_open for p in (past, due, later)] == [
        False,
        False,
        True,
    ]
    async with engine.db.read() as session:
        closes = (await session.exec(select(AuditEntry).where(AuditEntry.action == "poll.close"))).all()
    assert {(a.actor, a.object_id) for a in closes} == {(SCHEDULER, str(past.id)), (SCHEDULER, str(due.id))}
    clock.advance(timedelta(minutes=1))
    assert [e.target.message_id for e in await engine.polls.close_due()] == [f"m-{later.id}"]


async def test_hidden_results_are_shown_only_once_the_poll_is_closed(engine):
    t = translator("en")
    hidden, shown = await new_poll(engine, hidden=True), await new_poll(engine, public=True)
    await tap(engine, shown, 1, "bob")
    assert await engine.polls.results(hidden, t) is None
    lines = await engine.polls.results(shown, t)
    assert lines == results_lines(shown, await poll_store.tally(engine.db, shown), t)
    assert lines[0].startswith("Mon: 0") and lines[2].startswith("Tue: 1") and "Bob" in lines[4]
    await engine.polls.close(hidden.id, actor="console:olivia")
    closed = await stored_poll(engine, hidden.id)
    assert await engine.polls.results(closed, t) == results_lines(
        closed, await poll_store.tally(engine.db, closed), t
    )


# --- finding a poll ---------------------------------------------------------------------------------------


async def test_a_poll_is_found_by_its_number_or_as_the_latest_of_the_chat(engine):
    async def resolve(argument: str, chat: ChatRef = SQUARE) -> tuple[int | None, list[str]]:
        ctx = context(engine, command("results", "bob", argument, chat=chat))
        poll = await engine.polls.resolve(ctx, argument)
        return (poll.id if poll else None), said(ctx.replies)

    assert await resolve("") == (None, ["There is no poll in this chat yet."])
    first = await new_poll(engine)
    await new_poll(engine, targets=(ANNEX,))  # later, elsewhere
    assert await resolve("") == (first.id, [])
    assert await resolve(f" #{first.id} ") == (first.id, [])
    assert await resolve(f"n°{first.id}") == (first.id, [])
    assert await resolve(f"n° {first.id}", private("bob")) == (first.id, [])
    assert await resolve("", private("bob")) == (None, ["Give the poll number, for example /results 12."])
    assert await resolve("999999999999") == (None, ["There is no poll no. 999999999999."])
    assert await resolve("9999999999999") == (None, ["“9999999999999” is not a poll number."])
    assert await resolve("twelve") == (None, ["“twelve” is not a poll number."])
    assert await resolve(f"X{first.id}") == (None, [f"“X{first.id}” is not a poll number."])
    assert await resolve("x" * 50) == (None, [f"“{'x' * 40}” is not a poll number."])


# --- one query for many waiters ---------------------------------------------------------------------------


async def test_a_crowd_tapping_an_unknown_poll_costs_one_query_and_a_failed_one_is_retried(
    engine, monkeypatch
):
    poll = await new_poll(engine)
    engine.polls.forget(poll.id)
    loads: list[int] = []
    real = poll_store.get_poll

    async def counted(db: Any, poll_id: int) -> PollInfo | None:
        loads.append(poll_id)
        await asyncio.sleep(0)  # the others arrive while it loads
        if len(loads) == 1:
            raise ConnectionError("the database went away")
        return await real(db, poll_id)

    monkeypatch.setattr(poll_store, "get_poll", counted)
    failed = await asyncio.gather(*(engine.polls.info(poll.id) for _ in range(5)), return_exceptions=True)
    assert [type(f) for f in failed] == [ConnectionError] * 5 and loads == [poll.id]
    found = await asyncio.gather(*(engine.polls.info(poll.id) for _ in range(5)))
    assert found == [poll] * 5 and loads == [poll.id, poll.id]
    assert await engine.polls.info(poll.id) == poll and len(loads) == 2, "remembered"
    assert await engine.polls.info(999) is None


async def test_the_poll_key_is_loaded_once_for_a_crowd(engine, monkeypatch):
    poll = await new_poll(engine)
    loads: list[int] = []
    real = poll_store.poll_key

    async def counted(db: Any, poll_id: int) -> bytes | None:
        loads.append(poll_id)
        await asyncio.sleep(0)
        return await real(db, poll_id)

    monkeypatch.setattr(poll_store, "poll_key", counted)
    keys = await asyncio.gather(*(engine.polls.key(poll.id) for _ in range(5)))
    assert keys == [await real(engine.db, poll.id)] * 5 and keys[0] is not None
    assert await engine.polls.key(poll.id) == keys[0]
    assert loads == [poll.id]


async def test_different_polls_loaded_at_the_same_time_each_get_their_own(engine):
    first, second = await new_poll(engine), await new_poll(engine, targets=(ANNEX,))
    for poll in (first, second):
        engine.polls.forget(poll.id)
    loaded = await asyncio.gather(engine.polls.info(first.id), engine.polls.info(second.id))
    assert list(loaded) == [first, second]
    keys = list(await asyncio.gather(engine.polls.key(first.id), engine.polls.key(second.id)))
    assert keys == [await poll_store.poll_key(engine.db, p.id) for p in (first, second)]
    assert keys[0] != keys[1]


async def test_this_process_remembers_a_bounded_number_of_polls_and_never_an_absence(engine, monkeypatch):
    polls = [await new_poll(engine) for _ in range(3)]
    for poll in polls:
        engine.polls.forget(poll.id)
    loads: list[int] = []
    real = poll_store.get_poll

    async def counted(db: Any, poll_id: int) -> PollInfo | None:
        loads.append(poll_id)
        return await real(db, poll_id)

    monkeypatch.setattr(poll_store, "get_poll", counted)
    engine.polls.CACHE_LIMIT = 2
    for poll_id in [999, *(p.id for p in polls)]:
        await engine.polls.info(poll_id)
    for poll_id in [999, *(p.id for p in polls)]:
        await engine.polls.info(poll_id)
    first, second, third = (p.id for p in polls)
    assert loads == [999, first, second, third, 999, third], "the first two remembered, the third not"
