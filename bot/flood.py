"""Nobody can flood a chat through the bot: each person's requests, and what the bot posts in a community in
reply to its residents, are rate limited before any handler runs.

- A person who sends commands, taps buttons or gets answers faster than a human could gets one polite
  "slow down" and is then ignored (nothing answered, nothing stored) for `CIVICBOT_FLOOD_PAUSE` seconds.
- A community receives at most `CIVICBOT_FLOOD_COMMUNITY_LIMIT` messages in reply to its residents; beyond
  it they are dropped silently (a notice would be one more message in a chat being flooded; a flooder's own
  "slow down" is dropped too then), and residents' typed requests there are not handled until the window
  ends. Button taps are still served: they answer with a toast and an edit of the card, not a new message.
- Organizers (global admins, and a community's administrators as its platform reports them) have a higher
  limit rather than none, so a script behind an admin account still stops; what they post is not counted
  in the community's budget, and neither is the outbox (broadcasts, reminders, results at a close), which
  has its own per-platform pace.

The counting is the `limits` library's fixed-window strategy: a window opens with the first counted
event, so a burst straddling two windows can pass up to twice a limit, once (the person is then paused).
Its storages read `time.time()` (the memory one also starts a timer thread) and aiolimiter reads the event
loop's clock, so neither can follow the engine's `Clock`; `ClockStorage` is the storage the strategy asks
for — counters that expire — timed by that clock, so tests move time rather than sleep. Everything is in
memory, per process, and expired counters are swept, so memory stays bounded by the people active in the
last window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from bot.clock import Clock
from bot.formatting import doc
from bot.i18n import Translator, translator
from bot.inbound import ButtonPress, ChatKind, ChatRef, Inbound, TextMessage
from bot.replies import AskInput, Invite, Notice, Reply, Send

if TYPE_CHECKING:
    from bot.engine import Engine
    from config.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FloodLimits:
    person: RateLimitItem  # a resident, in one community
    private: RateLimitItem  # a resident, in their private chat with the bot
    organizer: RateLimitItem  # a global admin anywhere, a community's administrator in it
    community: RateLimitItem  # messages a community receives in reply to its residents
    pause_seconds: int  # how long a person who went over their limit is ignored

    @classmethod
    def from_settings(cls, settings: Settings) -> FloodLimits:
        return cls(
            person=parse(settings.flood_limit),
            private=parse(settings.flood_private_limit),
            organizer=parse(settings.flood_organizer_limit),
            community=parse(settings.flood_community_limit),
            pause_seconds=settings.flood_pause,
        )


class ClockStorage(Storage):
    """The counters `limits`' fixed-window strategy keeps, expiring by the engine's clock."""

    STORAGE_SCHEME = None  # not reachable by a storage URI: built with its clock
    SWEEP_EVERY = 60.0  # seconds between two removals of expired counters

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock
        self._counters: dict[str, tuple[int, float]] = {}  # key → (count, instant it expires)
        self._next_sweep = 0.0

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _sweep(self, now: float) -> None:
        if now >= self._next_sweep:
            self._counters = {key: entry for key, entry in self._counters.items() if entry[1] > now}
            self._next_sweep = now + self.SWEEP_EVERY

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = self._now()
        self._sweep(now)
        count, expires = self._counters.get(key, (0, now))
        if expires <= now:
            count, expires = 0, now + expiry
        self._counters[key] = (count + amount, expires)
        return count + amount

    def get(self, key: str) -> int:
        count, expires = self._counters.get(key, (0, 0.0))
        return count if expires > self._now() else 0

    def get_expiry(self, key: str) -> float:
        return self._counters.get(key, (0, self._now()))[1]

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        count = len(self._counters)
        self._counters.clear()
        return count

    def clear(self, key: str) -> None:
        self._counters.pop(key, None)

    def __len__(self) -> int:
        return len(self._counters)


class Verdict(StrEnum):
    SERVE = "serve"  # handle the event
    WARN = "warn"  # the person just went over their limit: tell them once, handle nothing
    IGNORE = "ignore"  # answer nothing, store nothing


def _is_chatter(event: Inbound) -> bool:
    """Plain messages in a community: the bot answers them only inside a flow the person started, so
    they count only when answered."""
    return isinstance(event, TextMessage) and event.chat.kind is ChatKind.COMMUNITY


def _community_target(reply: Reply) -> ChatRef | None:
    """The community a reply posts a new message in, if it does."""
    if isinstance(reply, (Send, Invite, AskInput)) and not reply.to.is_private:
        return reply.to
    return None


class FloodGuard:
    def __init__(self, limits: FloodLimits, clock: Clock) -> None:
        self.limits = limits
        self.storage = ClockStorage(clock)
        self._limiter = FixedWindowRateLimiter(self.storage)
        # one "slow down" per pause: while it is spent, the person is ignored
        self._pause = RateLimitItemPerSecond(1, limits.pause_seconds)

    def _person_limit(self, event: Inbound, organizer: bool) -> RateLimitItem:
        if organizer:
            return self.limits.organizer
        return self.limits.private if event.chat.is_private else self.limits.person

    def paused(self, identity: str) -> bool:
        return not self._limiter.test(self._pause, "pause", identity)

    def admit(self, event: Inbound, *, organizer: bool) -> Verdict:
        """Decide, before any handler runs, whether this event is handled."""
        identity = event.sender.identity
        if self.paused(identity):
            return Verdict.IGNORE
        limit = self._person_limit(event, organizer)
        keys = ("person", identity, event.chat.key)
        within = self._limiter.test(limit, *keys) if _is_chatter(event) else self._limiter.hit(limit, *keys)
        if not within:
            self._limiter.hit(self._pause, "pause", identity)
            self._limiter.clear(limit, *keys)  # after the pause, a fresh window
            log.info(
                "flood: a person in %s went over %s and is ignored for %d s",
                event.chat.key,
                limit,
                self.limits.pause_seconds,
            )
            return Verdict.WARN
        community_full = not self._limiter.test(self.limits.community, "community", event.chat.key)
        if (
            community_full
            and not organizer
            and not event.chat.is_private
            and not isinstance(event, ButtonPress)
        ):
            return Verdict.IGNORE  # its answer could not be posted: do not act on it either
        return Verdict.SERVE

    def charge(
        self, event: Inbound, replies: list[Reply], *, organizer: bool, verdict: Verdict
    ) -> list[Reply]:
        """Count what was answered, and drop the messages a community has no room left for."""
        if verdict is Verdict.SERVE and _is_chatter(event) and replies:
            self._limiter.hit(
                self._person_limit(event, organizer), "person", event.sender.identity, event.chat.key
            )
        if organizer:
            return replies
        kept = []
        for reply in replies:
            community = _community_target(reply)
            if community is None or self._limiter.hit(self.limits.community, "community", community.key):
                kept.append(reply)
            else:
                log.debug(
                    "flood: %s is over %s, a %s was dropped",
                    community.key,
                    self.limits.community,
                    type(reply).__name__,
                )
        return kept

    def slow_down(self, event: Inbound, t: Translator) -> Reply:
        """The one polite warning: a toast for a tap, a message otherwise."""
        minutes, seconds = divmod(self.limits.pause_seconds, 60)
        if seconds:
            text = t.n_(
                "Please slow down: I will answer you again in {count} second.",
                "Please slow down: I will answer you again in {count} seconds.",
                self.limits.pause_seconds,
            )
        else:
            text = t.n_(
                "Please slow down: I will answer you again in {count} minute.",
                "Please slow down: I will answer you again in {count} minutes.",
                minutes,
            )
        if isinstance(event, ButtonPress):
            return Notice(text=text, alert=True)
        return Send(to=event.chat, body=doc(text))

    async def screen(self, event: Inbound, engine: Engine) -> list[Reply]:
        """What the event gets once the limits have had their say: the engine's replies, one warning, or
        nothing."""
        organizer = engine.is_global_admin(event.sender.identity) or event.sender_is_admin
        verdict = self.admit(event, organizer=organizer)
        if verdict is Verdict.IGNORE:
            return []
        if verdict is Verdict.WARN:
            replies: list[Reply] = [self.slow_down(event, translator(engine.language_for(event)))]
        else:
            replies = await engine.handle(event)
        return self.charge(event, replies, organizer=organizer, verdict=verdict)

    @classmethod
    def of(cls, engine: Engine) -> FloodGuard:
        return cls(FloodLimits.from_settings(engine.settings), engine.clock)
