"""Keeping the bot token out of logs and error messages, and the webhook secret derived from it.

The token is the bot: whoever reads it in a log controls the bot. python-telegram-bot logs every request
(its URL holds the token) and every update (a voter's name next to the poll they tapped) at DEBUG, and httpx
logs each request URL at INFO. So those loggers are raised above that, and every record that still goes
through them is scrubbed of the token as a last line of defence.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

# Loggers whose records may carry a token or an update's content.
NOISY = {"telegram": logging.INFO, "httpx": logging.WARNING, "httpcore": logging.WARNING}
HIDDEN = "<telegram-token>"


def webhook_secret(token: str) -> str:
    """A secret for `X-Telegram-Bot-Api-Secret-Token` when none is configured: stable across restarts
    (HMAC of the token), useless for recovering the token, and within Telegram's alphabet."""
    return hmac.new(token.encode(), b"civicbot telegram webhook", hashlib.sha256).hexdigest()


class Redactor(logging.Filter):
    """Replaces every secret in a record's message, arguments and traceback text."""

    def __init__(self) -> None:
        super().__init__("civicbot-telegram-redactor")
        self._pattern: re.Pattern[str] | None = None
        self._secrets: set[str] = set()

    def add(self, *secrets: str) -> None:
        self._secrets.update(s for s in secrets if s)
        if self._secrets:
            # case-insensitive: PTB capitalizes error descriptions, lower-casing a token quoted in one
            alternatives = "|".join(re.escape(s) for s in sorted(self._secrets, key=len, reverse=True))
            self._pattern = re.compile(alternatives, re.IGNORECASE)

    def scrub(self, text: str) -> str:
        return self._pattern.sub(HIDDEN, text) if self._pattern is not None else text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        message = record.getMessage()
        clean = self.scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            if self._pattern.search(formatted):
                record.exc_text = self.scrub(formatted)
                record.exc_info = None
        return True


REDACTOR = Redactor()


def guard_logs(*secrets: str) -> Redactor:
    """Quiet the chatty loggers and scrub `secrets` from everything they and ours still log.
    Idempotent: several bots (or restarts) in one process share one redactor."""
    REDACTOR.add(*secrets)
    for name, level in NOISY.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < level:  # explicit, so a DEBUG root cannot undo it
            logger.setLevel(level)
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in (*NOISY, "adapters", "tornado")]
    for name in names:
        logger = logging.getLogger(name)
        if REDACTOR not in logger.filters:
            logger.addFilter(REDACTOR)
    return REDACTOR
