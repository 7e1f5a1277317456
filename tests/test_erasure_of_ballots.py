"""/forget, as the ballot table sees it: votes in open polls are gone, votes in closed polls still count,
and no ballot row is left that names the resident (what a screen shows cannot tell that apart)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import or_, select

from bot.replies import Send
from storage import residents as resident_store
from storage.ballots import public_voter
from storage.tables import Ballot
from tests.standalone_engine import ballots, command, new_poll, press, private, standalone_engine


async def test_forget_withdraws_open_votes_and_leaves_closed_ones_counted_but_linked_to_nobody(
    tmp_path: Path,
):
    async with standalone_engine(tmp_path) as engine:
        polls = {
            "closed public": (await new_poll(engine, public=True)).id,
            "open public": (await new_poll(engine, public=True)).id,
            "closed anonymous": (await new_poll(engine)).id,
            "open anonymous": (await new_poll(engine)).id,
        }
        for poll_id in polls.values():
            await engine.handle(press(engine.signer.sign("v", poll_id, 0), "bob"))
        await engine.handle(press(engine.signer.sign("v", polls["closed public"], 1), "carol"))
        bob = await resident_store.find_resident(engine.db, "console", "bob")
        assert bob is not None and bob.id is not None
        for poll in ("closed public", "closed anonymous"):
            await engine.polls.close(polls[poll], actor="console:olivia")

        confirmation = await engine.handle(command("forget", "bob", chat=private("bob")))
        yes = next(r for r in confirmation if isinstance(r, Send) and r.buttons).buttons[0][0]
        await engine.handle(press(yes.action, "bob", chat=private("bob")))

        async with engine.db.read() as session:
            query = select(Ballot).where(
                or_(Ballot.resident_id == bob.id, Ballot.voter == public_voter(bob.id))
            )
            assert (await session.exec(query)).all() == [], "no ballot row names the resident any more"
        counts = {poll: len(await ballots(engine, poll_id)) for poll, poll_id in polls.items()}
        assert counts == {"closed public": 2, "open public": 0, "closed anonymous": 1, "open anonymous": 0}
        carol = await resident_store.find_resident(engine.db, "console", "carol")
        assert carol is not None
        assert [b.resident_id for b in await ballots(engine, polls["closed public"])].count(carol.id) == 1
