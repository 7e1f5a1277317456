"""Results are posted in a community at most once an hour per poll or consultation.

Anyone may ask for a poll's or a closed consultation's results in a group, and each answer is a message
(with charts, several) that everyone there receives: without a limit, one resident could make the bot
post them again and again. Within the hour the bot answers with one short line saying when it posted
them, just above. The record lives in the process's memory, on the engine's clock: a restart forgets it,
which costs at most one more posting.
"""

from __future__ import annotations

from datetime import datetime, timedelta

WINDOW = timedelta(hours=1)


class RepostGuard:
    def __init__(self, window: timedelta = WINDOW) -> None:
        self.window = window
        self._posted: dict[tuple[str, str], datetime] = {}  # (chat key, subject) → when posted

    def earlier(self, chat_key: str, subject: str, now: datetime) -> datetime | None:
        """When these results were posted in this chat within the window, or None."""
        at = self._posted.get((chat_key, subject))
        return at if at is not None and now - at < self.window else None

    def record(self, chat_key: str, subject: str, now: datetime) -> None:
        """They are posted now (postings older than the window are forgotten on the way)."""
        self._posted = {key: at for key, at in self._posted.items() if now - at < self.window}
        self._posted[(chat_key, subject)] = now
