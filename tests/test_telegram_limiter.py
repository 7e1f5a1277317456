"""The outgoing pace: no initial burst, slots in call order, a 429 pauses everything and retries the same
request, and nothing that might have been delivered is ever sent again."""

from __future__ import annotations

import asyncio

import pytest
from telegram.error import NetworkError, RetryAfter

from adapters.telegram.limiter import Limits, Schedule, TelegramRateLimiter


def test_a_schedule_without_burst_spaces_every_slot_by_the_interval():
    schedule = Schedule(per_second=10)
    slots = []
    for _ in range(4):  # four requests at the same instant
        at = schedule.earliest(100.0)
        schedule.book(at)
        slots.append(round(at, 6))
    assert slots == [100.0, 100.1, 100.2, 100.3]


def test_a_schedule_with_a_burst_lets_that_many_through_then_paces():
    schedule = Schedule(per_second=1, burst=3)
    slots = []
    for _ in range(5):
        at = schedule.earliest(0.0)
        schedule.book(at)
        slots.append(at)
    assert slots == [0.0, 0.0, 0.0, 1.0, 2.0]


def test_an_idle_schedule_does_not_save_up_a_burst():
    schedule = Schedule(per_second=10)
    schedule.book(schedule.earliest(0.0))
    assert schedule.earliest(50.0) == 50.0
    schedule.book(50.0)
    assert schedule.earliest(50.0) == pytest.approx(50.1)


class Endpoint:
    """A Bot API method that refuses `refusals` times with 429, then answers."""

    def __init__(self, refusals: int = 0, retry_after: float = 0.05, error: Exception | None = None) -> None:
        self.refusals = refusals
        self.retry_after = retry_after
        self.error = error
        self.calls: list[float] = []

    async def __call__(self) -> dict[str, bool]:
        self.calls.append(asyncio.get_running_loop().time())
        if self.error is not None:
            raise self.error
        if len(self.calls) <= self.refusals:
            raise RetryAfter(self.retry_after)  # type: ignore[arg-type]  # under a second: a fast test
        return {"ok": True}


async def request(limiter: TelegramRateLimiter, endpoint: Endpoint, method: str, chat_id: int | None = 1):
    data = {"chat_id": chat_id} if chat_id is not None else {}
    return await limiter.process_request(endpoint, (), {}, method, data, None)


async def test_a_refused_request_waits_retry_after_and_is_sent_again_until_it_passes():
    limiter = TelegramRateLimiter(Limits.unlimited())
    endpoint = Endpoint(refusals=2, retry_after=0.05)
    assert await request(limiter, endpoint, "sendMessage") == {"ok": True}
    assert len(endpoint.calls) == 3 and limiter.retries == 2
    gaps = [b - a for a, b in zip(endpoint.calls, endpoint.calls[1:], strict=False)]
    assert all(gap >= 0.045 for gap in gaps)


async def test_a_request_refused_too_often_gives_up_with_the_429():
    limiter = TelegramRateLimiter(Limits(per_second=None, per_chat_per_second=None, max_retries=2))
    endpoint = Endpoint(refusals=10, retry_after=0.01)
    with pytest.raises(RetryAfter):
        await request(limiter, endpoint, "sendMessage")
    assert len(endpoint.calls) == 3


async def test_a_network_error_is_never_retried_since_the_message_may_have_arrived():
    limiter = TelegramRateLimiter()
    endpoint = Endpoint(error=NetworkError("connection reset"))
    with pytest.raises(NetworkError):
        await request(limiter, endpoint, "sendMessage")
    assert len(endpoint.calls) == 1


async def test_a_429_pauses_every_request_not_only_the_refused_one():
    limiter = TelegramRateLimiter(Limits.unlimited())
    refused, other = Endpoint(refusals=1, retry_after=0.1), Endpoint()
    first = asyncio.create_task(request(limiter, refused, "sendMessage", chat_id=1))
    await asyncio.sleep(0)  # the first request runs until its 429 pauses it
    assert len(refused.calls) == 1
    await request(limiter, other, "answerCallbackQuery", chat_id=None)
    assert other.calls[0] >= refused.calls[0] + 0.1, "the pause holds back the whole bot"
    await first
    assert refused.calls[1] >= refused.calls[0] + 0.1


async def test_button_answers_are_not_paced_but_messages_are():
    limiter = TelegramRateLimiter(Limits(per_second=20, per_chat_per_second=None))
    answers, messages = Endpoint(), Endpoint()
    await asyncio.gather(*(request(limiter, answers, "answerCallbackQuery", None) for _ in range(10)))
    await asyncio.gather(*(request(limiter, messages, "sendMessage", n) for n in range(10)))
    assert answers.calls[-1] - answers.calls[0] < 0.02
    assert messages.calls[-1] - messages.calls[0] >= 9 / 20 * 0.9


async def test_a_group_is_paced_per_minute_after_its_burst():
    limits = Limits(per_second=None, per_chat_per_second=None, per_group_per_minute=600, per_group_burst=2)
    limiter = TelegramRateLimiter(limits)  # scaled: 10 per second in a group, after a burst of 2
    group, private = Endpoint(), Endpoint()
    await asyncio.gather(*(request(limiter, group, "sendMessage", -100123) for _ in range(4)))
    await asyncio.gather(*(request(limiter, private, "sendMessage", 42) for _ in range(4)))
    assert group.calls[-1] - group.calls[0] >= 0.18
    assert private.calls[-1] - private.calls[0] < 0.02, "private chats have no per-minute limit"
