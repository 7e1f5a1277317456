"""Proposals as the database keeps them, whatever the timing: one support per resident per proposal, the
threshold reached once, a weekly limit that simultaneous submissions cannot pass, a decision taken once, a
reminder decided once; and each community's rules over the deployment's defaults."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import proposal_supports as supports
from storage import proposals as store
from storage import residents
from storage.database import Database
from storage.outbox import Outgoing
from storage.tables import OutboxMessage, Proposal, ProposalStep, ProposalSupport, Resident

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DEFAULTS = store.Rules(threshold=25, answer_days=30)


async def community(db: Database) -> int:
    found = await residents.ensure_community(db, platform="console", chat_id="square", title="Place", now=NOW)
    assert found.id is not None
    return found.id


async def resident(db: Database, name: str) -> int:
    found = await residents.ensure_resident(
        db, platform="console", user_id=name, display_name=name.capitalize(), now=NOW
    )
    assert found.id is not None
    return found.id


def marker(key: str):
    """A `build` that queues one message named `key` plus the step's id or the proposal's."""

    async def build(
        session: AsyncSession, proposal: Proposal, step: ProposalStep | None = None
    ) -> Sequence[Outgoing]:
        name = f"{key}:{proposal.id}:{step.id if step is not None else ''}"
        return [Outgoing(name, "console", "console:private:alice", {"type": "noop"})]

    return build


@dataclass(frozen=True)
class Published:
    """A proposal just submitted, by its number."""

    id: int


async def published(db: Database, author: str = "dave", *, moderated: bool = False) -> Published:
    draft = store.Draft(
        await community(db), await resident(db, author), True, "Un banc", "Sous le tilleul", "fr"
    )
    proposal = await store.submit(
        db, draft, moderated=moderated, weekly_limit=3, now=NOW, build=marker("card")
    )
    assert proposal is not None and proposal.id is not None
    return Published(proposal.id)


async def outbox_keys(db: Database, prefix: str) -> list[str]:
    async with db.read() as session:
        keys = (await session.exec(select(OutboxMessage.dedup_key))).all()
    return sorted(k for k in keys if k.startswith(prefix))


async def support_rows(db: Database, proposal_id: int) -> list[ProposalSupport]:
    async with db.read() as session:
        query = select(ProposalSupport).where(ProposalSupport.proposal_id == proposal_id)
        return list((await session.exec(query)).all())


def tap(db: Database, proposal_id: int, name: str, *, at: datetime = NOW, chat=None, reached=None):
    """`name` taps « Je soutiens » (in `chat`, or from anywhere)."""
    who = supports.Supporter("console", name, name.capitalize())
    return supports.support(
        db, proposal_id, who, chat=chat, now=at, defaults=DEFAULTS, reached=reached or marker("reached")
    )


async def test_two_hundred_simultaneous_taps_by_one_newcomer_leave_exactly_one_support(
    db, db_url, tmp_path: Path
):
    """Two databases objects stand for two bot processes, each with its group-commit writer; bob has no
    resident row before his first tap."""
    proposal = await published(db)
    other = Database(db_url, key_dir=tmp_path / "keys")
    try:
        taps = await asyncio.gather(*(tap((db, other)[n % 2], proposal.id, "bob") for n in range(200)))
    finally:
        await other.dispose()
    assert [t.outcome for t in taps].count(supports.Tapped.ADDED) == 1
    assert {t.outcome for t in taps} == {supports.Tapped.ADDED, supports.Tapped.KEPT}
    bob = await resident(db, "bob")
    assert [row.resident_id for row in await support_rows(db, proposal.id)] == [bob]
    async with db.read() as session:
        assert len((await session.exec(select(Resident).where(Resident.user_id == "bob"))).all()) == 1


async def test_a_tap_again_later_withdraws_the_support_and_a_double_tap_keeps_it(db):
    proposal = await published(db)

    async def outcome(at: datetime) -> supports.Tapped:
        return (await tap(db, proposal.id, "bob", at=at)).outcome

    assert await outcome(NOW) is supports.Tapped.ADDED
    assert await outcome(NOW + timedelta(seconds=1)) is supports.Tapped.KEPT
    assert await outcome(NOW + timedelta(minutes=1)) is supports.Tapped.WITHDRAWN
    assert await support_rows(db, proposal.id) == []
    assert await outcome(NOW + timedelta(minutes=2)) is supports.Tapped.ADDED


async def test_the_support_that_reaches_the_threshold_sets_the_answer_date_and_tells_the_organizers_once(db):
    proposal = await published(db)
    taps = await asyncio.gather(*(tap(db, proposal.id, f"r{n}") for n in range(30)))
    assert sum(t.reached for t in taps) == 1
    assert await outbox_keys(db, "reached") == [f"reached:{proposal.id}:"]
    stored = await store.get(db, proposal.id)
    assert stored is not None
    assert stored.threshold_reached_at == NOW and stored.answer_due_at == NOW + timedelta(days=30)


async def test_a_support_not_on_the_proposal_s_card_or_of_one_closed_to_supports_is_refused(db):
    proposal = await published(db, moderated=True)  # waiting for moderation
    closed = await tap(db, proposal.id, "bob")
    assert closed.outcome is supports.Tapped.CLOSED and closed.status == store.PENDING
    assert (await tap(db, 999, "bob")).outcome is supports.Tapped.GONE
    other = await published(db, "carol")
    elsewhere = await tap(db, other.id, "bob", chat=("console", "annex"))
    assert elsewhere.outcome is supports.Tapped.ELSEWHERE
    assert await support_rows(db, proposal.id) == [] and await support_rows(db, other.id) == []
    assert (await tap(db, other.id, "bob", chat=("console", "square"))).outcome is supports.Tapped.ADDED


async def test_simultaneous_submissions_by_one_resident_cannot_pass_the_weekly_limit(db):
    square, dave = await community(db), await resident(db, "dave")
    drafts = [store.Draft(square, dave, True, f"Idée {n}", "…", "fr") for n in range(6)]
    stored = await asyncio.gather(
        *(store.submit(db, d, moderated=True, weekly_limit=3, now=NOW, build=marker("m")) for d in drafts)
    )
    assert sum(p is not None for p in stored) == 3
    a_week_later = NOW + timedelta(days=7)
    again = await store.submit(
        db, drafts[0], moderated=True, weekly_limit=3, now=a_week_later, build=marker("m")
    )
    assert again is not None, "seven days later the limit counts anew"


async def test_two_organizers_deciding_at_once_move_a_proposal_once(db):
    proposal = await published(db, moderated=True)
    approve = store.Decision((store.PENDING,), store.OPEN)
    reject = store.Decision((store.PENDING,), store.REJECTED, "Hors sujet")
    outcomes = await asyncio.gather(
        *(
            store.decide(
                db, proposal.id, d, actor_id=None, actor="console:alice", now=NOW, build=marker("step")
            )
            for d in (approve, reject, approve, reject)
        )
    )
    decided = [o for o in outcomes if o is not None]
    assert len(decided) == 1
    step = decided[0][1]
    assert await outbox_keys(db, "step") == [f"step:{proposal.id}:{step.id}"]
    assert [s.status for s in await store.history(db, proposal.id)] == [store.PENDING, step.status]


async def test_a_reminder_is_decided_once_and_counted_on_the_proposal(db):
    proposal = await published(db)
    counts = await asyncio.gather(
        *(store.decide_reminder(db, proposal.id, 0, 2, now=NOW, build=marker("remind")) for _ in range(5))
    )
    assert sorted(counts) == [0, 0, 0, 0, 1]
    stored = await store.get(db, proposal.id)
    assert stored is not None and stored.reminders == 2, "two reminders due: one message stands for both"


async def test_a_community_s_rules_follow_the_defaults_until_it_sets_its_own(db):
    square = await community(db)
    assert await store.rules(db, square, DEFAULTS) == DEFAULTS
    await store.set_rules(db, square, {"threshold": 10, "moderation": False}, actor="console:alice", now=NOW)
    await store.set_rules(db, square, {"threshold": 12}, actor="console:alice", now=NOW)
    mine = await store.rules(db, square, store.Rules(threshold=50, answer_days=60))
    assert mine == store.Rules(enabled=True, moderation=False, threshold=12, answer_days=60)


async def test_a_newcomer_s_simultaneous_first_contacts_create_one_resident_row(db):
    """Their follow, their command and their tap all land at once: one row, and each gets it."""
    found = await asyncio.gather(
        *(
            residents.ensure_resident(db, platform="console", user_id="zoe", display_name="Zoé", now=NOW)
            for _ in range(20)
        )
    )
    assert len({r.id for r in found}) == 1
