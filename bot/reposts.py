"""Results are posted in a community at most once an hour per poll or consultation.

Anyone may ask for a poll's or a closed consultation's results in a group, and each answer is a message
(with charts, several) that everyone there receives: without a limit, one resident could make the bot
post them again and again. Within the hour the bot answers with one short line saying when it posted
them, pointing to that message (a quote on Telegram and in the terminal, a link on Discord). The record
lives in the process's memory, on the engine's clock: a restart forgets it, which costs at most one more
posting.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.inbound import MessageRef

WINDOW = timedelta(hours=1)


class RepostGuard:
    def __init__(self, window: timedelta = WINDOW) -> None:
        self.window = window
        # (chat key, subject) → when posted, and the message once the platform delivered it
        self._posted: dict[tuple[str, str], tuple[datetime, MessageRef | None]] = {}

    def earlier(
        self, chat_key: str, subject: str, now: datetime
    ) -> tuple[datetime, MessageRef | None] | None:
        """When these results were posted in this chat within the window (and the message), or None."""
        posted = self._posted.get((chat_key, subject))
        return posted if posted is not None and now - posted[0] < self.window else None

    def record(self, chat_key: str, subject: str, now: datetime) -> None:
        """They are posted now (postings older than the window are forgotten on the way)."""
        self._posted = {key: seen for key, seen in self._posted.items() if now - seen[0] < self.window}
        self._posted[(chat_key, subject)] = (now, None)

    def delivered(self, subject: str, message: MessageRef) -> None:
        """The platform posted them: a repeated request within the hour points to this message."""
        key = (message.chat.key, subject)
        if key in self._posted and self._posted[key][1] is None:
            self._posted[key] = (self._posted[key][0], message)
