"""The outbox: decided messages are delivered once, retried when the platform says "later", given up
when it says "never", dropped when they are no longer useful, and shared safely between workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.dispatcher import Dispatcher, Pacer
from bot.formatting import doc
from bot.inbound import ChatRef, Inbound, MessageRef
from bot.outbox.codec import reply_from_json, reply_to_json
from bot.replies import DeliveryError, Reply, Send
from config.settings import Settings
from storage import outbox as store
from storage import residents as resident_store
from storage.outbox_queue import OutboxQueue

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Sink:
    """A platform that records what it received, and fails on demand."""

    platform = "sink"

    def __init__(self) -> None:
        self.received: list[str] = []
        self.failures: dict[str, list[DeliveryError]] = {}

    async def deliver(self, reply: Reply, *, event: Inbound | None) -> MessageRef | None:
        assert isinstance(reply, Send)
        queued = self.failures.get(reply.to.chat_id)
        if queued:
            raise queued.pop(0)
        self.received.append(reply.to.chat_id)
        return MessageRef(reply.to, str(len(self.received)))

    async def finish(self, event: Inbound) -> None:
        return None


@pytest.fixture
async def app(db_url):
    settings = Settings(_env_file=None, database_url=db_url, outbox_rates="")
    application = App.build(settings, clock=ManualClock(NOW))
    await application.start(scheduler=False, dispatcher=False)
    sink = Sink()
    application.runtime.attach(sink)
    application.sink = sink  # type: ignore[attr-defined]  # the tests reach the sink through their app
    yield application
    await application.stop()


def message(key: str, chat: str, *, not_after: datetime | None = None) -> store.Outgoing:
    reply = Send(to=ChatRef.private("sink", chat), body=doc(f"Rappel pour {chat}"))
    return store.Outgoing(key, "sink", reply.to.key, reply_to_json(reply), not_after)


async def queue(app, *messages: store.Outgoing) -> None:
    async with app.db.write() as session:
        await store.enqueue(session, list(messages), now=app.engine.clock.now())


async def test_a_reply_survives_the_trip_through_json():
    reply = Send(to=ChatRef("telegram", "-100"), body=doc("Réunion <jeudi> & apéro 🎉"), idempotency_key="k")
    assert reply_from_json(reply_to_json(reply)) == reply
    quoting = Send(to=reply.to, body=doc("Déjà publié"), reply_to=MessageRef(reply.to, "41"))
    assert reply_from_json(reply_to_json(quoting)) == quoting


async def test_deciding_the_same_message_twice_queues_it_once(app):
    await queue(app, message("event:1:reminder:24h:sink:bob", "bob"))
    await queue(app, message("event:1:reminder:24h:sink:bob", "bob"))
    assert await store.counts(app.db) == {"pending": 1}
    assert await app.dispatcher.drain() == 1
    assert app.sink.received == ["bob"]
    assert await store.counts(app.db) == {"sent": 1}
    assert await app.dispatcher.drain() == 0, "nothing is sent twice"


async def test_a_transient_failure_is_retried_later_honouring_retry_after(app):
    app.sink.failures["bob"] = [DeliveryError("429", permanent=False, retry_after=30)]
    await queue(app, message("k1", "bob"))
    await app.dispatcher.drain()
    assert app.sink.received == []
    assert await store.counts(app.db) == {"pending": 1}
    app.engine.clock.advance(timedelta(seconds=29))
    await app.dispatcher.drain()
    assert app.sink.received == []
    app.engine.clock.advance(timedelta(seconds=2))
    await app.dispatcher.drain()
    assert app.sink.received == ["bob"]


async def test_a_permanent_failure_is_final_and_marks_the_resident_unreachable(app):
    await resident_store.ensure_resident(
        app.db, platform="sink", user_id="carol", display_name="Carol", now=NOW
    )
    app.sink.failures["carol"] = [DeliveryError("blocked", permanent=True)]
    await queue(app, message("k1", "carol"))
    await app.dispatcher.drain()
    app.engine.clock.advance(timedelta(hours=1))
    await app.dispatcher.drain()
    assert app.sink.received == []
    assert await store.counts(app.db) == {"failed": 1}
    carol = await resident_store.find_resident(app.db, "sink", "carol")
    assert carol is not None and carol.unreachable


async def test_a_message_no_longer_useful_is_dropped_not_sent_late(app):
    await queue(app, message("k1", "bob", not_after=NOW - timedelta(minutes=1)), message("k2", "carol"))
    await app.dispatcher.drain()
    assert app.sink.received == ["carol"]
    assert await store.counts(app.db) == {"dropped": 1, "sent": 1}


async def test_a_message_left_sending_by_a_dead_worker_is_sent_again_after_its_lease(app):
    await queue(app, message("k1", "bob"), message("k2", "carol"))
    dead = OutboxQueue(app.db, "dead", timedelta(seconds=60))
    rows = await dead.claim(now=NOW, limit=10)
    assert await dead.advance(done=None, start=rows[0].id, now=NOW)
    assert await app.dispatcher.drain() == 0, "claimed rows wait for their lease"
    app.engine.clock.advance(timedelta(seconds=61))
    assert await app.dispatcher.drain() == 2
    assert sorted(app.sink.received) == ["bob", "carol"]
    await dead.close()


async def test_a_worker_that_outlived_its_lease_does_not_send_what_another_took_over(app):
    await queue(app, message("k1", "bob"), message("k2", "carol"))
    slow = OutboxQueue(app.db, "slow", timedelta(seconds=60))
    rows = await slow.claim(now=NOW, limit=10)
    app.engine.clock.advance(timedelta(seconds=61))
    assert await app.dispatcher.drain() == 2
    assert not await slow.advance(done=None, start=rows[1].id, now=app.engine.clock.now())
    assert sorted(app.sink.received) == ["bob", "carol"]
    assert await store.counts(app.db) == {"sent": 2}
    await slow.close()


async def test_two_workers_share_a_broadcast_without_sending_anything_twice(app):
    await queue(app, *(message(f"broadcast:{n}", f"r{n}") for n in range(300)))
    first, second = (Dispatcher(app.runtime, worker=name, batch=20) for name in ("w1", "w2"))
    await asyncio.gather(first.drain(), second.drain())
    await asyncio.gather(first.stop(), second.stop())
    assert sorted(app.sink.received) == sorted(f"r{n}" for n in range(300))
    assert await store.counts(app.db) == {"sent": 300}


async def test_the_pacer_never_bursts_above_its_rate():
    pacer = Pacer(200)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(41):
        await pacer.wait()
    assert loop.time() - started >= 0.19
